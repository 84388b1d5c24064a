"""Continuation log-probability: how likely is a given text after the prompt, per token?"""

from __future__ import annotations

from langadapt.registry import register


@register(
    "eval-method",
    "continuation-logprob",
    paper="Tikhomirov & Chernyshev, LEP (arXiv 2412.21140) section 2.3 (daru_treeway extractive); lm-eval-harness loglikelihood",
    item="continuation",
    shots=False,
    options=frozenset({"continuation", "delimiter"}),
)
def continuation_logprob(lm, items: list[dict], *, options: dict, batch_size: int) -> list[dict]:
    """Score = mean log-probability per token of the item's `continuation` after its prompt.

    The mean (not the sum) keeps long and short sentences comparable when they are ranked
    against each other, as in extractive summarisation.
    """
    delimiter = options.get("delimiter", " ")
    pairs = [lm.encode_pair(it["context"], delimiter + it["continuation"]) for it in items]
    lps = lm.continuation_logprobs(pairs, batch_size)
    return [{"pred": sum(lp) / len(lp) if lp else float("-inf"), "tokens": len(lp)} for lp in lps]
