"""Exact and near-exact duplicates among instructions (for `expand`'s new instructions).

A text is compared in a normal form: lower case, punctuation dropped, whitespace collapsed, so
"Write a poem." and "write a poem!" are exact duplicates. Near-duplicates are found with

- `rapidfuzz` (`fuzz.ratio`, a normalised Indel similarity in 0-100) against every kept text,
  every candidate against every kept text (`process.extractOne` in C++, a few million pairs a
  second), exact, for pools up to `FUZZ_LIMIT` texts (thousands);
- MinHash LSH (`datasketch`, word 3-shingles, 128 permutations, Jaccard threshold) beyond that,
  where all pairs are too many: candidates that share an LSH band are the duplicates. LSH is
  approximate: a pair just above the threshold can be missed and one below it caught.

Both need the `distill` extra. A candidate is kept when it is not a duplicate of the
reference texts (the seeds) nor of a candidate kept before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from langadapt.errors import require

FUZZ_LIMIT = 5000  # kept + reference texts up to which rapidfuzz compares every pair
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normal_form(text: str) -> str:
    """Lower case, punctuation removed, whitespace collapsed."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def _shingles(text: str, k: int = 3) -> set[bytes]:
    words = text.split()
    if len(words) < k:
        return {text.encode()}
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


def dedup(
    candidates: Sequence[str],
    reference: Sequence[str] = (),
    *,
    fuzz_threshold: float = 90.0,
    jaccard_threshold: float = 0.8,
    method: Literal["auto", "fuzz", "minhash"] = "auto",
    seed: int = 1,
) -> tuple[list[int], dict[str, int]]:
    """The indices of `candidates` to keep, and how many were dropped for which reason.

    Args:
        candidates: new texts, in order of preference (the first of a duplicate pair is kept).
        reference: texts every candidate must differ from (not returned).
        fuzz_threshold: rapidfuzz ratio (0-100) at or above which two texts are duplicates.
        jaccard_threshold: MinHash LSH Jaccard threshold on word 3-shingles.
        method: 'fuzz', 'minhash', or 'auto' = fuzz up to FUZZ_LIMIT texts, else minhash.
        seed: MinHash permutation seed (LSH results depend on it).

    Returns:
        (kept indices in order, {"exact": n, "near": n, "empty": n}).
    """
    norm_c = [normal_form(t) for t in candidates]
    seen = {normal_form(t) for t in reference}
    total = len(seen) + len(candidates)
    use = method if method != "auto" else ("fuzz" if total <= FUZZ_LIMIT else "minhash")
    dropped = {"exact": 0, "near": 0, "empty": 0}
    first: list[int] = []
    for i, t in enumerate(norm_c):
        if not t:
            dropped["empty"] += 1
        elif t in seen:
            dropped["exact"] += 1
        else:
            seen.add(t)
            first.append(i)
    refs = sorted({normal_form(t) for t in reference} - {""})
    if use == "fuzz":
        keep = _near_fuzz([norm_c[i] for i in first], refs, fuzz_threshold)
    else:
        keep = _near_minhash([norm_c[i] for i in first], refs, jaccard_threshold, seed)
    dropped["near"] = len(first) - len(keep)
    return [first[j] for j in keep], dropped


def _near_fuzz(texts: list[str], refs: list[str], threshold: float) -> list[int]:
    require("rapidfuzz", "distill", "near-duplicate detection")
    from rapidfuzz import fuzz, process

    kept: list[int] = []
    kept_texts: list[str] = []
    for j, t in enumerate(texts):
        pool = refs + kept_texts
        if pool:
            best = process.extractOne(t, pool, scorer=fuzz.ratio, score_cutoff=threshold)
            if best is not None:
                continue
        kept.append(j)
        kept_texts.append(t)
    return kept


def _near_minhash(texts: list[str], refs: list[str], threshold: float, seed: int) -> list[int]:
    require("datasketch", "distill", "near-duplicate detection")
    from datasketch import MinHash, MinHashLSH

    def sketch(text: str) -> MinHash:
        m = MinHash(num_perm=128, seed=seed)
        for s in _shingles(text):
            m.update(s)
        return m

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    for i, t in enumerate(refs):
        lsh.insert(f"r{i}", sketch(t))
    kept: list[int] = []
    for j, t in enumerate(texts):
        m = sketch(t)
        if lsh.query(m):
            continue
        lsh.insert(f"c{j}", m)
        kept.append(j)
    return kept
