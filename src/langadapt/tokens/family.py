"""Which tokenizer family a Hugging Face tokenizer folder belongs to.

The families differ in how text becomes the symbols that BPE merges:

- `sentencepiece-bpe` (Mistral-7B, Llama-2): characters, spaces shown as "▁", a "▁" in front,
  unknown characters fall back to `<0xNN>` byte tokens. `tokenizer.json` has a BPE model with
  `byte_fallback` and a Metaspace pre-tokenizer or a Prepend/Replace("▁") normalizer.
- `byte-level-bpe` (Llama-3, Qwen2, Mistral-Nemo/tekken, GPT-2): UTF-8 bytes mapped to
  printable characters, split first by a regex pre-tokenizer.
- `sentencepiece-unigram` (XLM-R, T5): a Unigram model over "▁" text.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from langadapt.errors import TokenizerError

Family = Literal["sentencepiece-bpe", "byte-level-bpe", "sentencepiece-unigram"]


def _types(node: Any) -> list[str]:
    """All component `type`s of a tokenizers pipeline part (descending into Sequences)."""
    if not isinstance(node, dict):
        return []
    out = [node.get("type", "")]
    for key in ("normalizers", "pretokenizers", "decoders", "processors"):
        for child in node.get(key, []) or []:
            out += _types(child)
    return out


def read_tokenizer_json(folder: Path) -> dict[str, Any]:
    """The parsed `tokenizer.json` of a folder, or TokenizerError saying what to do."""
    path = Path(folder) / "tokenizer.json"
    if not Path(folder).is_dir():
        raise TokenizerError(f"tokenizer folder {folder} does not exist")
    if not path.is_file():
        hint = (
            " It has a tokenizer.model: load and save it once with transformers "
            "(AutoTokenizer.from_pretrained(dir).save_pretrained(dir)) to write one."
            if (Path(folder) / "tokenizer.model").is_file()
            else ""
        )
        raise TokenizerError(f"{folder} holds no tokenizer.json (a fast tokenizer).{hint}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise TokenizerError(f"{path} is not valid JSON: {exc}") from None


def detect_family(tok_json: dict[str, Any], where: str = "tokenizer") -> Family:
    """The family of a parsed tokenizer.json; TokenizerError for anything else."""
    model = tok_json.get("model", {})
    mtype = model.get("type")
    parts = (
        _types(tok_json.get("normalizer"))
        + _types(tok_json.get("pre_tokenizer"))
        + _types(tok_json.get("decoder"))
    )
    if mtype == "BPE" and "ByteLevel" in parts:
        return "byte-level-bpe"
    metaspace = (
        "Metaspace" in parts
        or any(
            n.get("type") == "Replace" and n.get("content") == "▁"
            for n in (tok_json.get("normalizer") or {}).get("normalizers", [])
            if isinstance(n, dict)
        )
        or (tok_json.get("normalizer") or {}).get("content") == "▁"
    )
    if mtype == "BPE" and metaspace:
        return "sentencepiece-bpe"
    if mtype == "Unigram":
        return "sentencepiece-unigram"
    raise TokenizerError(
        f"{where}: unknown tokenizer family (model {mtype}, components "
        f"{', '.join(p for p in parts if p) or 'none'}); supported: SentencePiece-style BPE "
        "(Mistral-7B, Llama-2), byte-level BPE (Llama-3, Qwen2, Mistral-Nemo), SentencePiece Unigram"
    )


def folder_family(folder: Path) -> Family:
    """The family of the tokenizer in a folder."""
    return detect_family(read_tokenizer_json(folder), where=str(folder))


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character table used by byte-level BPE.

    Byte-level tokenizers (GPT-2, Llama-3, Qwen2, tekken) spell every token as these characters,
    so a token string is mojibake until mapped back through the inverse of this table.
    """
    bs = list(range(ord("!"), ord("~") + 1))
    bs += list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}
