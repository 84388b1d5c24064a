"""R-precision for extractive ranking (Darumeru's treeway extractive summarisation)."""

from __future__ import annotations

from collections import defaultdict

from langadapt.registry import register


@register(
    "metric",
    "r_precision",
    paper="Manning et al., Introduction to Information Retrieval (2008) 8.4; LEP (arXiv 2412.21140) for daru_treeway extractive",
    mean_over="group",
)
def r_precision(items: list[dict]) -> float:
    """R-precision: per group, the share of relevant items among the R best-scored, R = #relevant.

    Items of one document share `group`; `pred` is the item's score (higher = more important),
    `gold` is True for a sentence of the reference extract. Ties in score keep item order (a
    stable sort). Groups without relevant items are skipped; the result is the mean over groups.
    """
    groups: dict = defaultdict(list)
    for it in items:
        groups[it["group"]].append(it)
    values = []
    for members in groups.values():
        r = sum(bool(it["gold"]) for it in members)
        if r == 0:
            continue
        ranked = sorted(members, key=lambda it: -it["pred"])
        values.append(sum(bool(it["gold"]) for it in ranked[:r]) / r)
    if not values:
        raise ValueError("r_precision needs at least one group with a relevant item")
    return sum(values) / len(values)
