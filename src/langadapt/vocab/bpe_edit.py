"""Edits of a BPE tokenizer.json (and SentencePiece tokenizer.model) that keep it consistent.

New tokens become real vocabulary: entries of `model.vocab` plus merges appended after every
existing merge (never `added_tokens`, which bypass BPE and would split words at odd places).
For SentencePiece folders the same pieces are appended to tokenizer.model with distinct
scores below the current minimum, in the order of their merges, so they rank last there too
and SentencePiece merges them in the order tokenizer.json does.
"""

from __future__ import annotations

import json
import re
from typing import Any

BYTE_TOKEN = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


def merge_pairs(model: dict[str, Any]) -> list[tuple[str, str]]:
    """The merges of a BPE model as pairs, whichever of the two JSON layouts it uses."""
    out = []
    for m in model.get("merges", []):
        if isinstance(m, str):
            a, b = m.split(" ", 1)
            out.append((a, b))
        else:
            out.append((m[0], m[1]))
    return out


def set_merges(model: dict[str, Any], pairs: list[tuple[str, str]], like: list) -> None:
    """Store pairs in the layout the base used (strings "a b" or [a, b] lists)."""
    as_str = bool(like) and isinstance(like[0], str)
    model["merges"] = [f"{a} {b}" if as_str else [a, b] for a, b in pairs]


def protected_tokens(tok_json: dict[str, Any]) -> set[str]:
    """Tokens a merge must never touch: specials/added tokens, byte-fallback and unk tokens."""
    out = {t["content"] for t in tok_json.get("added_tokens", [])}
    out |= {t for t in tok_json["model"]["vocab"] if BYTE_TOKEN.match(t)}
    if tok_json["model"].get("unk_token"):
        out.add(tok_json["model"]["unk_token"])
    return out


def max_id(tok_json: dict[str, Any]) -> int:
    """The largest id in use, added tokens included (Llama-3 keeps specials at 128000+)."""
    ids = list(tok_json["model"]["vocab"].values()) + [t["id"] for t in tok_json["added_tokens"]]
    return max(ids)


def append_tokens(
    tok_json: dict[str, Any], tokens: list[str], merges: list[tuple[str, str]]
) -> dict[str, Any]:
    """A copy with `tokens` added to the vocabulary (ids after the largest) and `merges` last."""
    out = json.loads(json.dumps(tok_json))
    model = out["model"]
    nxt = max_id(tok_json) + 1
    for t in out["added_tokens"]:
        # tokenizers gives an added token the model does not know a fresh id past the model's
        # vocabulary when it loads; with new ids there, the model must know it (as in tekken)
        model["vocab"].setdefault(t["content"], t["id"])
    for t in tokens:
        model["vocab"][t] = nxt
        nxt += 1
    set_merges(model, merge_pairs(model) + list(merges), tok_json["model"].get("merges", []))
    return out


def _word_initial_text(token: str, family: str, backend) -> str | None:
    """The text whose full encoding must be exactly `token`, or None when there is none."""
    if family == "sentencepiece-bpe":
        # "▁при" is what the normalizer makes of "при" at the start of a text
        return token[1:].replace("▁", " ") if token.startswith("▁") else None
    from langadapt.tokens.family import bytes_to_unicode

    back = {c: b for b, c in bytes_to_unicode().items()}
    try:  # a token holding part of a UTF-8 character has no text of its own
        text = bytes(back[c] for c in token).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None
    pieces = backend.pre_tokenizer.pre_tokenize_str(text) if backend.pre_tokenizer else []
    return text if len(pieces) == 1 else None


def unreachable(tok_json: dict[str, Any], candidates: list[str], family: str) -> set[str]:
    """Candidates that encoding their own text does not produce ("rank-dead" tokens).

    A token must come out of the BPE merges for its own symbol string, and a word-initial one
    also out of the whole tokenizer (normalizer and pre-tokenizer included) for its text.
    """
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(json.dumps(tok_json, ensure_ascii=False))
    # with ignore_merges (tiktoken semantics) a whole pre-token in the vocabulary is emitted as
    # is, so the merges must be checked without it: inside longer words only merges build a token
    merges_only = dict(tok_json, model=dict(tok_json["model"], ignore_merges=False))
    model = Tokenizer.from_str(json.dumps(merges_only, ensure_ascii=False)).model
    vocab = tok_json["model"]["vocab"]
    dead = {t for t in candidates if [x.value for x in model.tokenize(t)] != [t]}
    checks = [(t, _word_initial_text(t, family, backend)) for t in candidates if t not in dead]
    checks = [(t, s) for t, s in checks if s]
    encs = backend.encode_batch([s for _, s in checks], add_special_tokens=False)
    dead |= {t for (t, _), e in zip(checks, encs) if e.ids != [vocab[t]]}
    return dead


def prune_rank_dead(
    base: dict[str, Any],
    tokens: list[str],
    merges: list[tuple[str, str]],
    family: str,
) -> tuple[dict[str, Any], list[str], list[tuple[str, str]], list[str]]:
    """Append tokens/merges, dropping unreachable tokens and what builds on them, to a fixpoint.

    Returns (tokenizer.json, kept tokens, kept merges, dropped tokens).
    """
    dropped: list[str] = []
    while True:
        tj = append_tokens(base, tokens, merges)
        dead = unreachable(tj, tokens, family)
        if not dead:
            return tj, tokens, merges, dropped
        # a merge needing a dropped token can no longer fire: drop its result too
        gone = set(dead)
        for a, b in merges:
            if a in gone or b in gone:
                gone.add(a + b)
        gone &= set(tokens)
        dropped += [t for t in tokens if t in gone]
        tokens = [t for t in tokens if t not in gone]
        merges = [
            (a, b) for a, b in merges if a + b not in gone and a not in gone and b not in gone
        ]


def descending_scores(low: float, n: int) -> list[float]:
    """`n` distinct float32 scores below `low`, each below the one before.

    Scores are stored as float32. Mistral-7B and Llama-2 score their whitespace pieces -1e9,
    where float32 steps by 64: `low - 1 - i` would give thousands of pieces a few dozen
    scores, tied with each other and with the base, and SentencePiece would merge them in
    another order than tokenizer.json. So each score is `low - 1 - i` where float32 can hold
    it, else the next float32 below the previous one.
    """
    import numpy as np

    out: list[float] = []
    prev = np.float32(low)
    for _ in range(n):
        cand = np.float32(prev - np.float32(1.0))
        if not cand < prev:
            cand = np.nextafter(prev, np.float32(-np.inf), dtype=np.float32)
        out.append(float(cand))
        prev = cand
    return out


def spm_append_pieces(model_bytes: bytes, pieces: list[str]) -> bytes:
    """A SentencePiece model with `pieces` appended, scored below every existing piece.

    `pieces` come in the order of their merges in tokenizer.json; their scores fall in that
    order (`descending_scores`), so SentencePiece, which merges the best-scored piece first,
    merges them in the same order.
    """
    from sentencepiece import sentencepiece_model_pb2 as pb

    m = pb.ModelProto()
    m.ParseFromString(model_bytes)
    low = min((p.score for p in m.pieces), default=0.0)
    for text, score in zip(pieces, descending_scores(low, len(pieces))):
        p = m.pieces.add()
        p.piece = text
        p.score = score
        p.type = pb.ModelProto.SentencePiece.NORMAL
    return m.SerializeToString()


def spm_keep_pieces(model_bytes: bytes, keep_ids: list[int]) -> bytes:
    """A SentencePiece model holding only the pieces `keep_ids`, in that order."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    m = pb.ModelProto()
    m.ParseFromString(model_bytes)
    keep_ids = [i for i in keep_ids if i < len(m.pieces)]  # HF-only added tokens come last
    kept = [pb.ModelProto.SentencePiece() for _ in keep_ids]
    for dst, i in zip(kept, keep_ids):
        dst.CopyFrom(m.pieces[i])
    del m.pieces[:]
    m.pieces.extend(kept)
    return m.SerializeToString()
