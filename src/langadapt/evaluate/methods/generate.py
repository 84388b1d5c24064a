"""Generation: greedy decoding up to a token limit, cut at stop strings, then compared as text.

The method needs only a `Backend` (`llm.backend`): the local model (`LocalBackend`) today, an
HTTP endpoint as well, since nothing here reads logits.
"""

from __future__ import annotations

from langadapt.llm.backend import Backend
from langadapt.registry import register

DEFAULT_MAX_TOKENS = 64  # llmtf's Darumeru default (_max_new_tokens = 64)


def count_tokens(tokenizer, text: str) -> int:
    """Tokens of a text without special tokens (copy tasks compare these lengths)."""
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


@register(
    "eval-method",
    "generate",
    paper="Tikhomirov & Chernyshev, LEP (arXiv 2412.21140) section 2.3; lm-eval-harness generate_until",
    needs="backend",
    item="answer",
    options=frozenset({"answer_field", "answer_join", "max_tokens", "stop"}),
)
def generate(
    backend: Backend, items: list[dict], *, options: dict, batch_size: int, tokenizer
) -> list[dict]:
    """Greedy generation with stop strings and a token limit; records token counts for copy tasks.

    Each item's `prompt` (an `llm.backend.Prompt`: plain text, or chat messages ending in the
    assistant prefix) goes to `backend` in one call, which batches it by its own batch size
    (`batch_size` is the caller's batch, already at most that). `tokenizer` is the evaluated
    model's: `pred_tokens` counts the tokens of the (cut, stripped) prediction, `gold_tokens`
    those of the first gold answer capped at the token limit (the prediction could not be
    longer).
    """
    max_tokens = int(options.get("max_tokens", DEFAULT_MAX_TOKENS))
    stop = [str(s) for s in options.get("stop", [])]
    texts = backend.generate(
        [it["prompt"] for it in items], max_new_tokens=max_tokens, temperature=0.0, stop=stop
    )
    out = []
    for it, text in zip(items, texts):
        gold = it["gold"][0] if isinstance(it["gold"], list) and it["gold"] else it["gold"]
        pred = text.strip()
        out.append(
            {
                "pred": pred,
                "pred_tokens": count_tokens(tokenizer, pred) if pred else 0,
                "gold_tokens": min(count_tokens(tokenizer, str(gold).strip()), max_tokens),
            }
        )
    return out
