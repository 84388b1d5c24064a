"""Classification metrics: accuracy, macro-F1, Matthews correlation, PARus confident accuracy.

Items carry `pred` and `gold` labels (choice indices or strings); they are compared with `==`.
"""

from __future__ import annotations

import math
from collections import defaultdict

from langadapt.registry import register

LEP = "Tikhomirov & Chernyshev, Facilitating LLM Russian adaptation with Learned Embedding Propagation (arXiv 2412.21140), section 2.3"


def _check(items: list[dict]) -> None:
    if not items:
        raise ValueError("a metric needs at least one scored item")


@register("metric", "accuracy", paper=LEP, default=True, mean_over="item")
def accuracy(items: list[dict]) -> float:
    """Accuracy: the share of items whose prediction equals the gold label."""
    _check(items)
    return sum(it["pred"] == it["gold"] for it in items) / len(items)


@register("metric", "macro_f1", paper=LEP)
def macro_f1(items: list[dict]) -> float:
    """Macro-F1: the unweighted mean over classes of F1 = 2PR/(P+R), a class with P+R=0 scoring 0.

    The classes are every label that occurs as gold or as prediction (scikit-learn's default),
    so predicting a label that never occurs lowers the score.
    """
    _check(items)
    labels = sorted({it["gold"] for it in items} | {it["pred"] for it in items}, key=repr)
    scores = []
    for c in labels:
        tp = sum(it["pred"] == c and it["gold"] == c for it in items)
        fp = sum(it["pred"] == c and it["gold"] != c for it in items)
        fn = sum(it["pred"] != c and it["gold"] == c for it in items)
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores)


@register(
    "metric",
    "mcc",
    paper="Matthews (1975); multi-class form of Gorodkin (2004), as in scikit-learn; RuCoLA's metric",
)
def mcc(items: list[dict]) -> float:
    """Matthews correlation coefficient (multi-class, Gorodkin's R_K); 0 when undefined.

    With C[k][l] the confusion counts, t_k gold counts, p_k predicted counts, c correct, s items:
    MCC = (c*s - sum_k p_k t_k) / sqrt((s^2 - sum_k p_k^2) (s^2 - sum_k t_k^2)).
    """
    _check(items)
    t: dict = defaultdict(int)
    p: dict = defaultdict(int)
    for it in items:
        t[it["gold"]] += 1
        p[it["pred"]] += 1
    s = len(items)
    c = sum(it["pred"] == it["gold"] for it in items)
    keys = set(t) | set(p)
    num = c * s - sum(p[k] * t[k] for k in keys)
    den = math.sqrt(
        (s * s - sum(v * v for v in p.values())) * (s * s - sum(v * v for v in t.values()))
    )
    return 0.0 if den == 0 else num / den


@register(
    "metric",
    "confident_accuracy",
    paper=LEP + "; PARus/ruTiE scoring of llmtf",
    mean_over="pair",
)
def confident_accuracy(items: list[dict]) -> float:
    """PARus-style confident accuracy: the share of questions right in both option orders.

    Items of one question share `pair` (the task shows it with the options in both orders); a
    question scores 1 only when every one of its items is right.
    """
    _check(items)
    groups: dict = defaultdict(list)
    for it in items:
        groups[it.get("pair", it.get("id"))].append(it["pred"] == it["gold"])
    return sum(all(v) for v in groups.values()) / len(groups)
