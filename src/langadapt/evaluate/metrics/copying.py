"""Copy tasks of Darumeru: can the model reproduce a sentence or a paragraph verbatim?

These probe what LEP (arXiv 2412.21140, section 2.3) cares about after a tokenizer change: a
model whose new embeddings are poorly trained drops or repeats tokens when copying.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from langadapt.registry import register

LEP = "Tikhomirov & Chernyshev, LEP (arXiv 2412.21140) section 2.3, Darumeru copy tasks"


@register("metric", "copy_sentence", paper=LEP, mean_over="item")
def copy_sentence(items: list[dict]) -> float:
    """Sentence copy score: mean of min(p/s, s/p) over items, on token lengths.

    p = tokens of the prediction, s = tokens of the source (capped at the task's max new tokens,
    as the generation could not be longer); an empty prediction scores 0.
    """
    if not items:
        raise ValueError("a metric needs at least one scored item")
    total = 0.0
    for it in items:
        p, s = it["pred_tokens"], it["gold_tokens"]
        if p > 0 and s > 0 and str(it["pred"]).strip():
            total += min(p / s, s / p)
    return total / len(items)


def match_ratio(pred: str, gold: str) -> float:
    """difflib's SequenceMatcher ratio 2M/(|pred|+|gold|), M = matched characters (no autojunk).

    Stripped of surrounding whitespace; 1.0 only for identical strings, and it drops with both
    missing and extra characters.
    """
    a, b = str(gold).strip(), str(pred).strip()
    if not a and not b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@register("metric", "copy_paragraph", paper=LEP, mean_over="item")
def copy_paragraph(items: list[dict]) -> float:
    """Paragraph copy score: share of items whose character match ratio (see match_ratio) >= 0.99."""
    if not items:
        raise ValueError("a metric needs at least one scored item")
    return sum(match_ratio(it["pred"], it["gold"]) >= 0.99 for it in items) / len(items)
