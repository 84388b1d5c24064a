"""A corpus as counted words, split exactly as a base tokenizer splits text before BPE.

BPE never merges across the units its tokenizer feeds it, so continued BPE training must see
the same units:

- byte-level BPE: the base's normalizer, then its pre-tokenizer (regex split + byte-to-char
  mapping); a unit is one pre-token such as "Ġпривет".
- SentencePiece BPE: the normalized and pre-tokenized text ("▁" for spaces, one in front) cut
  before every "▁", as sentencepiece's `split_by_whitespace` does, so a unit is "▁word" and a
  learned token never holds a "▁" except at its start. This holds for every layout
  transformers writes: the Hub's (Prepend/Replace normalizer, no pre-tokenizer) and the
  Metaspace pre-tokenizer with `split: false` (transformers 5's `save_pretrained`), whose one
  pre-token per line would otherwise make whole lines the units and phrases the new tokens.

Counting goes over unique lines first (real corpora repeat lines: boilerplate, duplicates), then
over the units of each unique line, weighted by the line's count. For the Hub's SentencePiece
normalizer (Prepend "▁", Replace " " -> "▁") units are cut straight from the raw text in large
joined chunks, at C speed; a test checks it against the general path.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable

from tqdm import tqdm

_SPM_UNIT = re.compile(r"▁[^▁]*|[^▁]+")
_CHUNK = 20_000


def is_hub_spm(tok_json: dict) -> bool:
    from langadapt.tokens.convert import HUB_SPM_NORMALIZER

    return tok_json.get("normalizer") == HUB_SPM_NORMALIZER and not tok_json.get("pre_tokenizer")


def count_hub_spm_units(lines: Counter[str]) -> Counter[str]:
    """Units of counted lines for the Hub SentencePiece normalizer, without normalizing.

    The normalized text is "▁" + text with " " -> "▁", so its units are "▁" + each piece of the
    text split at " " and "▁". Texts joined by " " give the concatenation of their normalized
    forms, each starting a unit, so many texts are split at once; texts seen c times are split
    once, together with all other texts seen c times, and their pieces counted c times.
    """
    by_count: dict[int, list[str]] = {}
    for text, c in lines.items():
        by_count.setdefault(c, []).append(text)
    pieces: Counter[str] = Counter()
    for c, group in by_count.items():
        for start in range(0, len(group), _CHUNK):
            part = Counter(" ".join(group[start : start + _CHUNK]).replace("▁", " ").split(" "))
            if c == 1:
                pieces.update(part)
            else:
                for p, k in part.items():
                    pieces[p] += k * c
    return Counter({"▁" + p: c for p, c in pieces.items()})


def count_lines(texts: Iterable[str]) -> Counter[str]:
    """How often each text occurs."""
    return Counter(texts)


def count_units(lines: Counter[str], tok_json: dict, family: str) -> Counter[str]:
    """Units (see the module docstring) of the lines with their weighted counts."""
    from tokenizers import Tokenizer

    bare = dict(tok_json, post_processor=None, added_tokens=[])
    backend = Tokenizer.from_str(json.dumps(bare, ensure_ascii=False))
    norm = backend.normalizer
    pre = backend.pre_tokenizer
    counts: Counter[str] = Counter()
    items = list(lines.items())
    bar = tqdm(total=len(items), desc="splitting lines", unit="line", leave=False,
               disable=len(items) < 50_000)  # fmt: skip
    for start in range(0, len(items), 4096):
        chunk = items[start : start + 4096]
        bar.update(len(chunk))
        texts = [t for t, _ in chunk]
        if norm is not None:
            texts = [norm.normalize_str(t) for t in texts]
        for text, (_, c) in zip(texts, chunk):
            pieces = [p for p, _ in pre.pre_tokenize_str(text)] if pre is not None else [text]
            if family == "sentencepiece-bpe":
                units = [u for p in pieces for u in _SPM_UNIT.findall(p)]
            else:
                units = pieces
            if c == 1:
                counts.update(units)
            else:
                for u in units:
                    counts[u] += c
    bar.close()
    return counts


def base_tokens(tok_json: dict, units: list[str]) -> list[list[str]]:
    """Each unit as the base BPE model tokenizes it (batched in Rust)."""
    from tokenizers import Tokenizer

    bare = dict(tok_json, normalizer=None, pre_tokenizer=None, post_processor=None, added_tokens=[])
    backend = Tokenizer.from_str(json.dumps(bare, ensure_ascii=False))
    out: list[list[str]] = []
    for start in range(0, len(units), 8192):
        encs = backend.encode_batch(units[start : start + 8192], add_special_tokens=False)
        out += [e.tokens for e in encs]
    return out
