"""Continued BPE training: learn new merges on top of a base tokenizer's vocabulary.

The LEP paper (arXiv 2412.21140, section 2.1.1, "Extended") grows a base vocabulary with
tokens learned on target-language text. We learn them as BPE would have, had training gone
on: each unique word of the corpus starts as its *base* tokenization, and the most frequent
adjacent pair of tokens is merged, again and again. Every new merge ranks after every base
merge, so the extended tokenizer first encodes a word exactly as the base did and then applies
the new merges in the order learned: the tokens counted here are the tokens it produces.

Pair counts are kept incrementally (a pair -> words index), and the most frequent pair comes
from a lazy max-heap, so each merge costs time in proportion to the words it touches.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from tqdm import tqdm


@dataclass
class Learned:
    """What `learn_merges` learned and why it stopped.

    `stop` is "enough" (n_new tokens learned), "min_frequency" (every remaining pair occurs
    fewer than min_frequency times; `best_left` is the count of the most frequent one allowed)
    or "no_pairs" (every word is one token, or every remaining pair is excluded).
    `excluded` counts, per rule, the distinct pairs frequent enough to merge that a rule
    refused; `rebuilt` the merges whose result the vocabulary already held.
    """

    merges: list[tuple[str, str]]
    new: int
    stop: str
    best_left: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    rebuilt: int = 0


def learn_merges(
    words: list[list[str]],
    counts: list[int],
    n_new: int,
    *,
    min_frequency: int = 2,
    forbid: Callable[[str, str], str | None] = lambda a, b: None,
    existing: set[str] | frozenset[str] = frozenset(),
) -> Learned:
    """Merges (left, right) in the order learned, until `n_new` of their results are new tokens.

    Args:
        words: each unique word as its list of base tokens (modified in place).
        counts: how often each word occurs.
        n_new: how many new tokens to learn at most.
        min_frequency: a pair seen fewer times is never merged.
        forbid: the name of the rule a pair breaks (special/byte tokens, digits, a word
            boundary), or None when it may merge.
        existing: token strings already in the vocabulary. A pair whose result is one of them
            is still merged (the token exists, but base BPE reaches it along another path;
            tiktoken-converted vocabularies hold many such) and does not count as new.
    """
    # symbols as ints: string compare/hash once, integer work in the loop
    sym_id: dict[str, int] = {}
    syms: list[str] = []

    def sid(s: str) -> int:
        i = sym_id.get(s)
        if i is None:
            i = sym_id[s] = len(syms)
            syms.append(s)
        return i

    seqs = [[sid(t) for t in w] for w in words]
    pair_count: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for wi, (seq, c) in enumerate(zip(seqs, counts)):
        for p in zip(seq, seq[1:]):
            pair_count[p] += c
            where[p].add(wi)
    heap = [(-c, syms[a], syms[b], a, b) for (a, b), c in pair_count.items()]
    heapq.heapify(heap)
    taken = set(existing)
    merges: list[tuple[str, str]] = []
    n_added = 0
    done: set[tuple[str, str]] = set()
    excluded: Counter[str] = Counter()
    stop, best_left, rebuilt = "no_pairs", 0, 0
    bar = tqdm(total=n_new, desc="learning tokens", unit="tok", leave=False, disable=n_new < 2000)
    while heap:
        if n_added >= n_new:
            stop = "enough"
            break
        negc, sa, sb, a, b = heapq.heappop(heap)
        cur = pair_count.get((a, b), 0)
        if cur != -negc:  # stale entry: re-queue with the current count
            if cur > 0:
                heapq.heappush(heap, (-cur, sa, sb, a, b))
            continue
        rule = forbid(sa, sb)
        if rule is not None:
            if cur >= min_frequency:
                excluded[rule] += 1
            pair_count.pop((a, b), None)  # never again
            where.pop((a, b), None)
            continue
        if cur < min_frequency:
            # the first valid, allowed entry is the most frequent pair left: counts only fall
            stop, best_left = "min_frequency", cur
            break
        merged = sa + sb
        if merged not in taken:
            taken.add(merged)
            n_added += 1
            bar.update()
        elif merged in existing:
            rebuilt += 1
        if (sa, sb) not in done:  # a pair re-formed by a later merge keeps its first rank
            done.add((sa, sb))
            merges.append((sa, sb))
        m = sid(merged)
        touched: set[tuple[int, int]] = set()
        for wi in where.pop((a, b), ()):
            seq, c = seqs[wi], counts[wi]
            for p in zip(seq, seq[1:]):
                pair_count[p] -= c
            new: list[int] = []
            i = 0
            while i < len(seq):
                if i + 1 < len(seq) and seq[i] == a and seq[i + 1] == b:
                    new.append(m)
                    i += 2
                else:
                    new.append(seq[i])
                    i += 1
            seqs[wi] = new
            for p in zip(new, new[1:]):
                pair_count[p] += c
                where[p].add(wi)
                touched.add(p)
        pair_count.pop((a, b), None)
        for p in touched:
            c = pair_count.get(p, 0)
            if c > 0 and (m in p):  # new pairs; others only lost counts (lazy)
                heapq.heappush(heap, (-c, syms[p[0]], syms[p[1]], p[0], p[1]))
    bar.close()
    for w, seq in zip(words, seqs):
        w[:] = [syms[i] for i in seq]
    if n_added >= n_new:
        stop = "enough"
    return Learned(merges, n_added, stop, best_left, excluded, rebuilt)
