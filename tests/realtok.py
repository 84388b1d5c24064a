"""Real Mistral tokenizers as Hugging Face folders, built from files inside `mistral-common`.

No model download is possible on a fresh machine, but the `mistral-common` wheel ships the real
tokenizers of two families, which tests and benchmarks use:

- `tokenizer.model.v1`: Mistral-7B's SentencePiece BPE (32,000 pieces, byte fallback).
- `tekken_240911.json`: Mistral-Nemo's tekken, a tiktoken-style byte-level BPE (131,072 ids:
  1,000 specials, then the first 130,072 ranks of its vocabulary).

tiktoken stores only ranks, no merges. A Hugging Face BPE model needs merges, so each token's
merge is recovered the way transformers' TikTokenConverter does it: run BPE on the token's
bytes using only tokens of lower rank; the two parts left at the end are its merge. With
`ignore_merges` (tiktoken semantics: a pre-token that is itself a token is emitted whole) the
result encodes exactly as tiktoken does.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

from langadapt.artifacts import cache_root
from langadapt.tokens.convert import bos_post_processor, spm_bpe_tokenizer_json, write_hf_tokenizer
from langadapt.tokens.family import bytes_to_unicode


def _data_dir() -> Path:
    import mistral_common

    return Path(mistral_common.__file__).parent / "data"


def _rank_merge(token: bytes, ranks: dict[bytes, int], limit: int) -> tuple[bytes, bytes] | None:
    """The last merge of BPE over `token`'s bytes using only tokens of rank < `limit`."""
    parts = [token[i : i + 1] for i in range(len(token))]
    while len(parts) > 2:
        best, best_rank = -1, limit
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1], limit)
            if r < best_rank:
                best, best_rank = i, r
        if best < 0:
            return None
        parts[best : best + 2] = [parts[best] + parts[best + 1]]
    return (parts[0], parts[1]) if len(parts) == 2 else None


def tekken_tokenizer_json(path: Path) -> tuple[dict[str, Any], list[str]]:
    """(tokenizer.json dict, special token strings) of a tekken JSON file."""
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    cfg = data["config"]
    n_special = cfg["default_num_special_tokens"]
    inner = cfg["default_vocab_size"] - n_special
    tek = Tekkenizer.from_file(path)  # the real special-token names, fillers included
    specials = [tek.id_to_piece(i) for i in range(n_special)]
    ranks = {base64.b64decode(t["token_bytes"]): t["rank"] for t in data["vocab"][:inner]}
    b2u = bytes_to_unicode()

    def show(b: bytes) -> str:
        return "".join(b2u[x] for x in b)

    # specials live in the model's vocabulary too (as on the Hub): tokenizers renumbers added
    # tokens whose ids the model does not know
    vocab = {s: i for i, s in enumerate(specials)}
    vocab.update({show(b): r + n_special for b, r in ranks.items()})
    merges = []
    for b, r in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(b) < 2:
            continue
        pair = _rank_merge(b, ranks, r)
        if pair is not None:
            merges.append([show(pair[0]), show(pair[1])])
    tok_json = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": s,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for i, s in enumerate(specials)
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": cfg["pattern"]},
                    "behavior": "Isolated",
                    "invert": False,
                },
                {
                    "type": "ByteLevel",
                    "add_prefix_space": False,
                    "trim_offsets": True,
                    "use_regex": False,
                },
            ],
        },
        "post_processor": bos_post_processor("<s>", specials.index("<s>")),
        "decoder": {
            "type": "ByteLevel",
            "add_prefix_space": True,
            "trim_offsets": True,
            "use_regex": True,
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": True,
            "vocab": vocab,
            "merges": merges,
        },
    }
    return tok_json, specials


def _cache_root() -> Path:
    return cache_root() / "test-tokenizers" / metadata.version("mistral-common")


def _build(name: str, make) -> Path:
    """Build a folder once into the cache (atomically: a crash leaves no half folder)."""
    out = _cache_root() / name
    if (out / "tokenizer.json").is_file():
        return out
    tmp = out.with_name(f".{name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    make(tmp)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, out)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def mistral_tokenizer_dir() -> Path:
    """HF folder of Mistral-7B's SentencePiece BPE tokenizer (cached)."""
    from langadapt.tiny import MISTRAL_CHAT_TEMPLATE

    def make(tmp: Path) -> None:
        model = _data_dir() / "tokenizer.model.v1"
        write_hf_tokenizer(
            spm_bpe_tokenizer_json(model),
            tmp,
            specials={"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
            chat_template=MISTRAL_CHAT_TEMPLATE,
            spm_model=model,
        )

    return _build("mistral-7b-v1", make)


def mistral_metaspace_tokenizer_dir() -> Path:
    """Mistral-7B's tokenizer as transformers 5 saves it, beside its tokenizer.model (cached).

    A user's folder after `LlamaTokenizer.from_pretrained(...).save_pretrained(...)`: no
    normalizer and a Metaspace pre-tokenizer with `split: false`, so the whole text is one
    pre-token. The SentencePiece model sits beside it, as in a model folder from the Hub.
    """
    from transformers import LlamaTokenizer, __version__

    def make(tmp: Path) -> None:
        src = tmp / "src"
        src.mkdir(parents=True)
        shutil.copy(_data_dir() / "tokenizer.model.v1", src / "tokenizer.model")
        LlamaTokenizer.from_pretrained(str(src)).save_pretrained(str(tmp))
        shutil.move(src / "tokenizer.model", tmp / "tokenizer.model")
        src.rmdir()
        pre = json.loads((tmp / "tokenizer.json").read_text(encoding="utf-8"))["pre_tokenizer"]
        if not (pre and pre.get("type") == "Metaspace" and pre.get("split") is False):
            raise RuntimeError(f"transformers {__version__} now writes pre_tokenizer {pre}")

    return _build(f"mistral-7b-v1-metaspace-transformers-{__version__}", make)


def tekken_tokenizer_dir() -> Path:
    """HF folder of Mistral-Nemo's tekken byte-level BPE tokenizer (cached)."""
    from langadapt.tiny import MISTRAL_CHAT_TEMPLATE

    def make(tmp: Path) -> None:
        tok_json, specials = tekken_tokenizer_json(_data_dir() / "tekken_240911.json")
        write_hf_tokenizer(
            tok_json,
            tmp,
            specials={
                "bos_token": "<s>",
                "eos_token": "</s>",
                "unk_token": "<unk>",
                "pad_token": "<pad>",
            },
            chat_template=MISTRAL_CHAT_TEMPLATE,
        )

    return _build("tekken-240911", make)
