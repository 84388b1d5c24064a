"""Text-overlap metrics: exact match, SQuAD token F1, ROUGE-1/2 recall and F-measure.

`gold` may be one string or a list of acceptable strings; the best match counts (SQuAD's
metric_max_over_ground_truths).
"""

from __future__ import annotations

import re
import string
from collections import Counter

from langadapt.registry import register

SQUAD = "Rajpurkar et al., SQuAD (arXiv 1606.05250), official evaluation script; used by LEP (arXiv 2412.21140) for MultiQ"
ROUGE = "Lin, ROUGE: A Package for Automatic Evaluation of Summaries (ACL W04-1013, 2004)"
_PUNCT = set(string.punctuation) | set("«»—–…“”„")
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def _golds(gold) -> list[str]:
    golds = gold if isinstance(gold, list) else [gold]
    return [str(g) for g in golds] or [""]


def normalize_exact(text: str) -> str:
    """Exact-match normalisation: strip surrounding whitespace, Unicode casefold."""
    return str(text).strip().casefold()


def normalize_squad(text: str) -> str:
    """SQuAD normalisation: lowercase, drop punctuation, drop English articles, squeeze spaces."""
    text = "".join(ch for ch in str(text).lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


@register("metric", "exact_match", paper=SQUAD, mean_over="item")
def exact_match(items: list[dict]) -> float:
    """Exact match: share of items whose strip()+casefold() prediction equals a gold answer."""
    if not items:
        raise ValueError("a metric needs at least one scored item")
    hits = [
        max(normalize_exact(it["pred"]) == normalize_exact(g) for g in _golds(it["gold"]))
        for it in items
    ]
    return sum(hits) / len(items)


def normalize_exact_nostop(text: str) -> str:
    """`normalize_exact`, and final full stops dropped: " Milan.\\n" -> "milan"."""
    return str(text).strip().rstrip(".").strip().casefold()


@register(
    "metric",
    "exact_match_nostop",
    paper=SQUAD + "; normalised by strip, casefold and a dropped final full stop only",
    mean_over="item",
)
def exact_match_nostop(items: list[dict]) -> float:
    """Exact match that also ignores a final full stop on either side (the zoo's fact figure)."""
    if not items:
        raise ValueError("a metric needs at least one scored item")
    hits = [
        max(
            normalize_exact_nostop(it["pred"]) == normalize_exact_nostop(g)
            for g in _golds(it["gold"])
        )
        for it in items
    ]
    return sum(hits) / len(items)


def token_f1_one(pred: str, gold: str) -> float:
    """SQuAD token F1 of one pair: harmonic mean of token precision and recall (bag of tokens).

    Both normalised by `normalize_squad`; if either side has no tokens, F1 is 1 when both are
    empty and 0 otherwise.
    """
    p, g = normalize_squad(pred).split(), normalize_squad(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if common == 0:
        return 0.0
    prec, rec = common / len(p), common / len(g)
    return 2 * prec * rec / (prec + rec)


@register("metric", "token_f1", paper=SQUAD, mean_over="item")
def token_f1(items: list[dict]) -> float:
    """Token F1 (SQuAD-style), the mean over items of the best F1 against any gold answer."""
    if not items:
        raise ValueError("a metric needs at least one scored item")
    return sum(max(token_f1_one(it["pred"], g) for g in _golds(it["gold"])) for it in items) / len(
        items
    )


def rouge_n(pred: str, gold: str, n: int) -> tuple[float, float]:
    """(recall, F-measure) of n-gram overlap between prediction and reference.

    Tokens are lowercased Unicode word runs (\\w+), so Cyrillic counts (the `rouge_score`
    package's default tokenizer drops non-Latin text). Recall = overlap / reference n-grams,
    precision = overlap / predicted n-grams, F = 2PR/(P+R); 0 when either side has none.
    """

    def grams(text: str) -> Counter:
        toks = _WORD.findall(str(text).lower())
        return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))

    p, g = grams(pred), grams(gold)
    overlap = sum((p & g).values())
    if not p or not g or overlap == 0:
        return 0.0, 0.0
    rec, prec = overlap / sum(g.values()), overlap / sum(p.values())
    return rec, 2 * prec * rec / (prec + rec)


def _rouge(items: list[dict], n: int, which: int) -> float:
    if not items:
        raise ValueError("a metric needs at least one scored item")
    return sum(
        max(rouge_n(it["pred"], g, n)[which] for g in _golds(it["gold"])) for it in items
    ) / len(items)


@register("metric", "rouge1_recall", paper=ROUGE, mean_over="item")
def rouge1_recall(items: list[dict]) -> float:
    """ROUGE-1 recall: mean share of reference unigrams found in the prediction (clipped counts)."""
    return _rouge(items, 1, 0)


@register("metric", "rouge1_f", paper=ROUGE, mean_over="item")
def rouge1_f(items: list[dict]) -> float:
    """ROUGE-1 F-measure: mean harmonic mean of unigram precision and recall."""
    return _rouge(items, 1, 1)


@register("metric", "rouge2_recall", paper=ROUGE, mean_over="item")
def rouge2_recall(items: list[dict]) -> float:
    """ROUGE-2 recall: mean share of reference bigrams found in the prediction (clipped counts)."""
    return _rouge(items, 2, 0)


@register("metric", "rouge2_f", paper=ROUGE, mean_over="item")
def rouge2_f(items: list[dict]) -> float:
    """ROUGE-2 F-measure: mean harmonic mean of bigram precision and recall."""
    return _rouge(items, 2, 1)
