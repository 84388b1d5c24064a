"""Tokenizer-fair language modelling: bits per byte and per character of a model on texts.

Perplexity per token cannot compare models with different tokenizers: a tokenizer with longer
tokens has fewer, harder predictions. The total negative log-likelihood of a text does not
depend on how it is cut, so dividing it by the text's UTF-8 bytes (or characters) compares
models fairly (Gao et al., The Pile, arXiv 2101.00027, section 3.1). Symbols per token (LEP's
tokenizer figure) is reported alongside.
"""

from __future__ import annotations

import math

from langadapt.registry import register

# the figures a bits-per-byte task reports (lower bpb/bpc is better, so they stay out of Micro-Avg)
FIGURES = ("bpb", "bpc", "bits_per_token", "symbols_per_token")


def doc_start_id(lm) -> int | None:
    """The token a document is conditioned on: BOS, else the pad/end-of-text token (Qwen2)."""
    for i in (lm.tok.bos_token_id, lm.tok.pad_token_id, lm.tok.eos_token_id):
        if i is not None:
            return i
    return None


def text_nll_bits(
    lm, texts: list[str], *, batch_size: int, max_length: int
) -> list[tuple[float, int]]:
    """(sum of token NLL in bits, tokens) per text, every token of the text predicted.

    The first token is predicted from the document-start token. Texts longer than `max_length`
    tokens are scored in windows; each window starts with the last token of the previous one
    as its only context (documented approximation for very long lines).
    """
    start = doc_start_id(lm)
    pairs, owner = [], []
    for t, text in enumerate(texts):
        ids = lm.tok(text, add_special_tokens=False)["input_ids"]
        prev = [start] if start is not None else ids[:1]
        body = ids if start is not None else ids[1:]
        for s in range(0, len(body), max_length - 1):
            chunk = body[s : s + max_length - 1]
            pairs.append((prev, chunk))
            owner.append(t)
            prev = chunk[-1:]
    out = [[0.0, 0] for _ in texts]
    for t, lp in zip(owner, lm.continuation_logprobs(pairs, batch_size)):
        out[t][0] += -sum(lp) / math.log(2)
        out[t][1] += len(lp)
    return [(bits, n) for bits, n in out]


def corpus_figures(rows: list[dict], tokenizer) -> dict:
    """FIGURES over a task's scored rows (bits over all bytes, characters and tokens), then the
    totals they come from (`bits`, `bytes`, `chars`, `tokens`)."""
    from langadapt.tokens.metrics import tokenizer_stats

    bits = sum(r["bits"] for r in rows)
    nbytes = sum(r["bytes"] for r in rows)
    chars = sum(r["chars"] for r in rows)
    tokens = sum(r["tokens"] for r in rows)
    stats = tokenizer_stats(tokenizer, [r["text"] for r in rows])
    return {
        "bpb": bits / nbytes,
        "bpc": bits / chars,
        "bits_per_token": bits / max(tokens, 1),
        "symbols_per_token": stats.symbols_per_token,
        "bits": bits,
        "bytes": nbytes,
        "chars": chars,
        "tokens": tokens,
    }


@register(
    "eval-method",
    "bits-per-byte",
    paper="Gao et al., The Pile (arXiv 2101.00027) section 3.1: bits per UTF-8 byte",
    item="text",
    shots=False,
    options=frozenset({"text_field", "max_length"}),
    figures=FIGURES,
    summarise=corpus_figures,
)
def bits_per_byte(lm, items: list[dict], *, options: dict, batch_size: int) -> list[dict]:
    """Bits of each text under the model, with its bytes, characters and tokens."""
    max_length = int(options.get("max_length", 1024))
    scored = text_nll_bits(
        lm, [it["text"] for it in items], batch_size=batch_size, max_length=max_length
    )
    return [
        {
            "pred": bits,
            "bits": bits,
            "tokens": n,
            "bytes": len(it["text"].encode("utf-8")),
            "chars": len(it["text"]),
        }
        for it, (bits, n) in zip(items, scored)
    ]
