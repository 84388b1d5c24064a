"""Tokenizer quality on a corpus: the LEP paper's symbols per token, and what else users check.

All figures count tokens of `encode(text, add_special_tokens=False)`, so BOS/EOS do not inflate
them. Batching goes through the fast tokenizer's Rust `encode_batch`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

_BYTE_TOKEN = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
_BATCH = 1024


@dataclass
class TokenizerStats:
    """Figures of one tokenizer on one corpus."""

    vocab_size: int
    lines: int
    characters: int
    bytes: int
    words: int
    tokens: int
    symbols_per_token: float  # characters / tokens (LEP paper, section 2.1)
    tokens_per_word: float  # tokens / whitespace-separated words
    bytes_per_token: float  # UTF-8 bytes / tokens
    byte_fallback_share: float  # share of tokens that are <0xNN> byte-fallback tokens
    unknown_share: float  # share of tokens that are the unknown token
    round_trip: float  # share of lines with decode(encode(x)) == x

    def as_dict(self) -> dict:
        return asdict(self)


def _batches(texts: Iterable[str], size: int = _BATCH) -> Iterable[list[str]]:
    batch: list[str] = []
    for t in texts:
        batch.append(t)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def tokenizer_stats(tok, texts: Iterable[str]) -> TokenizerStats:
    """Measure a Hugging Face fast tokenizer on texts (streamed, in batches)."""
    backend = tok.backend_tokenizer
    unk_id = tok.unk_token_id
    vocab = backend.get_vocab(with_added_tokens=True)
    byte_ids = {i for t, i in vocab.items() if _BYTE_TOKEN.match(t)}
    lines = chars = nbytes = words = tokens = byte_tokens = unknown = exact = 0
    for batch in _batches(texts):
        encs = backend.encode_batch(batch, add_special_tokens=False)
        id_lists = [e.ids for e in encs]
        decoded = backend.decode_batch(id_lists, skip_special_tokens=False)
        for text, ids, back in zip(batch, id_lists, decoded):
            lines += 1
            chars += len(text)
            nbytes += len(text.encode("utf-8"))
            words += len(text.split())
            tokens += len(ids)
            if byte_ids:
                byte_tokens += sum(1 for i in ids if i in byte_ids)
            if unk_id is not None:
                unknown += ids.count(unk_id)
            exact += back == text
    t = max(tokens, 1)
    return TokenizerStats(
        vocab_size=len(tok),
        lines=lines,
        characters=chars,
        bytes=nbytes,
        words=words,
        tokens=tokens,
        symbols_per_token=chars / t,
        tokens_per_word=tokens / max(words, 1),
        bytes_per_token=nbytes / t,
        byte_fallback_share=byte_tokens / t,
        unknown_share=unknown / t,
        round_trip=exact / max(lines, 1),
    )


def symbols_per_token(tok, texts: Iterable[str]) -> float:
    """Characters per token over the texts (higher = a more efficient tokenizer)."""
    return tokenizer_stats(tok, texts).symbols_per_token


def round_trip_failures(tok, texts: Iterable[str], limit: int = 10) -> list[str]:
    """Up to `limit` texts for which decode(encode(text)) != text."""
    backend = tok.backend_tokenizer
    bad: list[str] = []
    for batch in _batches(texts):
        ids = [e.ids for e in backend.encode_batch(batch, add_special_tokens=False)]
        for text, back in zip(batch, backend.decode_batch(ids, skip_special_tokens=False)):
            if back != text:
                bad.append(text)
                if len(bad) >= limit:
                    return bad
    return bad
