"""From a new tokenizer's tokens to the old tokenizer's pieces: the averaging matrix T.

LEP (Tikhomirov & Chernyshev, arXiv 2412.21140, section 2.2, eq. 1-2) initialises a new token's
embedding as the mean of the embeddings of the pieces the OLD tokenizer splits its text into.
All of it is one sparse matrix T `[new_rows, old_rows]`: row i holds weight 1/k on each of the k
old pieces of new token i (a repeated piece counts twice), so `new = T @ old` for a whole
embedding matrix `[old_rows, hidden]` at once. The same T is what LEP's Conversion fits on.

Getting the text right is most of the work:

- byte-level BPE (Llama-3, Qwen2) tokens are UTF-8 bytes written as printable characters
  ("Ġпр" is mojibake for " пр"); we map them back to bytes, which may be a partial character.
- SentencePiece BPE tokens write a space as "▁"; the old tokenizer's model is applied without
  its normalizer, so no dummy-prefix "▁" is added: "▁при" becomes old "▁при"-pieces and a
  mid-word piece "ет" never picks up a "▁". Byte tokens `<0xNN>` are the byte NN.
- Tokens in both vocabularies (by string within one family, through `vocab_map.json` when the
  ids moved) and special tokens (by string) copy their row: a row of T with a single 1. A
  string match copies only when the old tokenizer produces that very token for the text;
  otherwise the row is the mean of the pieces it does produce.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import torch

from langadapt.errors import ConfigError, TokenizerError
from langadapt.models import load_backend_tokenizer
from langadapt.tokens.family import bytes_to_unicode, folder_family

VOCAB_MAP = "vocab_map.json"
# T as `init` writes it beside the model, where `propagate --method conversion` finds it
TRANSFORM_FILE = "init_transform.safetensors"
# torch calls CSR support "beta" on every construction; the operations used here are stable
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
warnings.filterwarnings("ignore", message="Sparse invariant checks")
_BYTE_TOKEN = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


@lru_cache(maxsize=1)
def byte_decoder() -> dict[str, int]:
    """Byte-level BPE's printable character -> byte table (the inverse of `bytes_to_unicode`)."""
    return {c: b for b, c in bytes_to_unicode().items()}


@dataclass
class Side:
    """One tokenizer as the mapping sees it: its family, strings and special tokens."""

    folder: Path
    backend: object  # tokenizers.Tokenizer
    family: str
    tokens: list[str]  # id -> raw token string (added tokens by content)
    vocab: dict[str, int]
    added: set[int] = field(default_factory=set)  # ids of added tokens (special or not)
    special: set[int] = field(default_factory=set)
    unk: int | None = None

    @classmethod
    def load(cls, folder: Path) -> Side:
        backend, unk = load_backend_tokenizer(folder)
        family = folder_family(folder)
        n = backend.get_vocab_size(with_added_tokens=True)  # = len() of the transformers one
        vocab = backend.get_vocab(with_added_tokens=True)
        tokens = [""] * n
        for s, i in vocab.items():
            if i < n:
                tokens[i] = s
        decoder = backend.get_added_tokens_decoder()
        return cls(
            Path(folder),
            backend,
            family,
            tokens,
            vocab,
            {i for i in decoder if i < n},
            {i for i, t in decoder.items() if t.special and i < n},
            unk,
        )

    def __len__(self) -> int:
        return len(self.tokens)

    def text_bytes(self, i: int) -> bytes:
        """The real text of token `i` as UTF-8 bytes (possibly a partial character)."""
        s = self.tokens[i]
        if i in self.added:
            return s.encode()
        if self.family == "byte-level-bpe":
            dec = byte_decoder()
            if all(c in dec for c in s):
                return bytes(dec[c] for c in s)
            return s.encode()
        m = _BYTE_TOKEN.match(s)
        if m:
            return bytes([int(m.group(1), 16)])
        return s.replace("▁", " ").encode()

    def pieces(self, data: bytes) -> list[int]:
        """Ids of the pieces this tokenizer's model splits `data` into (no normalizer, no prefix)."""
        model = self.backend.model
        if self.family == "byte-level-bpe":
            enc = {b: c for c, b in byte_decoder().items()}
            return [t.id for t in model.tokenize("".join(enc[b] for b in data))]
        ids: list[int] = []
        # surrogateescape keeps the bytes of a partial character apart, as byte tokens
        text = data.decode("utf-8", errors="surrogateescape")
        for run in re.findall(r"[\udc80-\udcff]+|[^\udc80-\udcff]+", text):
            if "\udc80" <= run[0] <= "\udcff":
                for ch in run:
                    bid = self.vocab.get(f"<0x{ord(ch) - 0xDC00:02X}>")
                    if bid is not None:
                        ids.append(bid)
            else:
                ids += [t.id for t in model.tokenize(run.replace(" ", "▁"))]
        return [i for i in ids if i != self.unk]


def read_vocab_map(folder: Path, old: Side, new: Side) -> dict[int, int] | None:
    """new id -> old id from `vocab_map.json` beside the new tokenizer, or None when absent."""
    path = Path(folder) / VOCAB_MAP
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        old_to_new = data["old_to_new"]
    except (ValueError, KeyError) as exc:
        raise TokenizerError(f"{path} is not a langadapt vocab map ({exc})") from None
    if len(old_to_new) != len(old) or data.get("new_vocab_size", len(new)) != len(new):
        raise TokenizerError(
            f"{path} maps a vocabulary of {len(old_to_new)} -> {data.get('new_vocab_size')} "
            f"tokens, but the old tokenizer has {len(old)} and the new one {len(new)}; pass the "
            "base model the new tokenizer was extended from"
        )
    return {n: o for o, n in enumerate(old_to_new) if n is not None}


@dataclass
class Transform:
    """T `[rows, old_rows]` as torch sparse CSR (float64), and what each row is."""

    T: torch.Tensor
    copied: torch.Tensor  # bool [rows]: row i is an exact copy of one old row
    stats: dict


def shared_tokens(old: Side, new: Side, vocab_map: dict[int, int] | None) -> dict[int, int]:
    """new id -> old id of tokens in both vocabularies.

    Through `vocab_map` when given; else by string within one family and by decoded text
    across families; added (special, chat) tokens match by their literal content.
    """
    pairs: dict[int, int] = {}
    same = old.family == new.family
    by_text = {} if same else {old.text_bytes(j): j for j in range(len(old)) if j not in old.added}
    for i, s in enumerate(new.tokens):
        j = vocab_map.get(i) if vocab_map else None
        if j is None and i in new.added:
            k = old.vocab.get(s)
            j = k if k is not None and k in old.added else None
        elif j is None:
            j = old.vocab.get(s) if same else by_text.get(new.text_bytes(i))
            # copy only a row the base produces for this text: an entry no text encodes to
            # (filler such as "[PAD32011]", a token its merges never reach) was never trained,
            # so the token gets the mean of the pieces the base does produce
            if j is not None and j < len(old) and not _BYTE_TOKEN.match(old.tokens[j]):
                j = j if old.pieces(new.text_bytes(i)) == [j] else None
        if j is not None and j < len(old):
            pairs[i] = j
    return pairs


def build_transform(
    old: Side, new: Side, old_rows: int, rows: int, vocab_map: dict[int, int] | None
) -> Transform:
    """The LEP averaging matrix T `[rows, old_rows]` (module docstring); rows >= len(new)."""
    pairs = shared_tokens(old, new, vocab_map)
    r_idx: list[int] = []
    c_idx: list[int] = []
    vals: list[float] = []
    copied = torch.zeros(rows, dtype=torch.bool)
    uniform: list[int] = []
    split = 0
    for i in range(rows):
        j = pairs.get(i)
        if j is None and i >= len(new) and len(old) <= i < old_rows:
            j = i  # a padding row of the old matrix stays a padding row
        if j is not None:
            r_idx.append(i)
            c_idx.append(j)
            vals.append(1.0)
            copied[i] = True
            continue
        ids = old.pieces(new.text_bytes(i)) if i < len(new) else []
        if not ids:
            uniform.append(i)
            continue
        split += 1
        r_idx += [i] * len(ids)
        c_idx += ids
        vals += [1.0 / len(ids)] * len(ids)
    n_old = len(old)
    for i in uniform:  # nothing to average over: the mean of every old token row
        r_idx += [i] * n_old
        c_idx += range(n_old)
        vals += [1.0 / n_old] * n_old
    coo = torch.sparse_coo_tensor(
        torch.tensor([r_idx, c_idx], dtype=torch.int64),
        torch.tensor(vals, dtype=torch.float64),
        (rows, old_rows),
    ).coalesce()  # sums a repeated piece's weights
    stats = {
        "copied": int(copied.sum()),
        "averaged": split,
        "global_mean": len(uniform),
        "nnz": int(coo._nnz()),
    }
    return Transform(coo.to_sparse_csr(), copied, stats)


def save_transform(T: torch.Tensor, path: Path, method: str) -> None:
    """Save a sparse CSR T as safetensors arrays crow_indices/col_indices/values/shape."""
    from safetensors.torch import save_file

    save_file(
        {
            "crow_indices": T.crow_indices().contiguous(),
            "col_indices": T.col_indices().contiguous(),
            "values": T.values().contiguous(),
            "shape": torch.tensor(list(T.shape), dtype=torch.int64),
        },
        str(path),
        metadata={"format": "csr", "method": method},
    )


def load_transform(path: Path) -> torch.Tensor:
    """The sparse CSR T saved by `save_transform` (float64)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from langadapt.errors import InputError

    try:
        d = load_file(str(path))
        shape = tuple(int(x) for x in d["shape"])
        return torch.sparse_csr_tensor(
            d["crow_indices"], d["col_indices"], d["values"].double(), shape
        )
    except (OSError, KeyError, SafetensorError, RuntimeError) as exc:
        raise InputError(
            f"{path} is not an init transform (init_transform.safetensors): {exc}"
        ) from None


def csr_rows(T: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """Rows a:b of a sparse CSR matrix (torch cannot slice CSR rows itself)."""
    crow = T.crow_indices()
    lo, hi = int(crow[a]), int(crow[b])
    return torch.sparse_csr_tensor(
        crow[a : b + 1] - lo, T.col_indices()[lo:hi], T.values()[lo:hi], (b - a, T.shape[1])
    )


def compact_columns(tc: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(cols, tl): the columns a sparse CSR block uses, and the block over those columns only,
    so `tc @ x == tl @ x[cols]` with just the used rows of x gathered (and widened)."""
    cols, local = torch.unique(tc.col_indices(), return_inverse=True)
    tl = torch.sparse_csr_tensor(tc.crow_indices(), local, tc.values(), (tc.shape[0], len(cols)))
    return cols, tl


def matmul_blocks(T: torch.Tensor, x: torch.Tensor, dtype: torch.dtype, chunk: int = 1024):
    """Yield `T @ x` `[rows, hidden]` in blocks of `chunk` rows, computed in `dtype`.

    x stays in its own dtype (bf16 for a bf16 checkpoint); each block widens only the rows of x
    it averages, so memory is x plus one block, not a float32 copy of x and of the product.
    """
    for a in range(0, T.shape[0], chunk):
        cols, tl = compact_columns(csr_rows(T, a, min(a + chunk, T.shape[0])))
        yield torch.sparse.mm(tl.to(dtype), x[cols].to(dtype))


def padded_rows(n: int, multiple: int | None) -> int:
    """`n` rounded up to a multiple of `multiple` (GPU-friendly matrix shapes), or `n`."""
    if not multiple:
        return n
    if multiple < 1:
        raise ConfigError(f"--pad-to-multiple-of must be a positive integer, got {multiple}")
    return -(-n // multiple) * multiple
