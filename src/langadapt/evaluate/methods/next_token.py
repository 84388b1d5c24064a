"""Next-token choice: which answer option does the model put next after the prompt?

The prompt ends where the answer begins (e.g. "...Answer:"); each option is a continuation
(the delimiter, by default one space, then the option, e.g. " A"). When every option is one
token, one forward pass over the prompt gives the log-softmax over the whole vocabulary at the
next position, and the prediction is the argmax among the option tokens only (LEP's Darumeru
"calculate_tokens_proba"). Options of several tokens are compared by the summed
log-probabilities of their tokens (lm-eval-harness's multiple_choice loglikelihood). Ties go to
the first option.
"""

from __future__ import annotations

from langadapt.errors import TokenizerError
from langadapt.registry import register


def choice_tokens(
    lm, context: str, choices: list[str], delimiter: str, single: bool = False
) -> tuple[list[int], list[list[int]]]:
    """(context ids, token ids of each option as it would follow the context).

    The delimiter normally opens the option (" A" is one token "ĠA"). Tokenizers that split
    digits from a preceding space (Llama-3, Qwen2: " 1" is "Ġ", "1") make such options two
    tokens; when `single` asks for one token each, the delimiter then closes the prompt
    instead ("Answer: " + "1"), for all options alike so they share one next-token position.
    """
    pairs = [lm.encode_pair(context, delimiter + c) for c in choices]
    if single and delimiter and any(len(p[1]) != 1 for p in pairs):
        alt = [lm.encode_pair(context + delimiter, c) for c in choices]
        if all(len(p[1]) == 1 for p in alt) and len({tuple(p[0]) for p in alt}) == 1:
            pairs = alt
    return pairs[0][0], [p[1] for p in pairs]


def check_single_tokens(lm, item: dict, choices: list[str], conts: list[list[int]]) -> None:
    """TokenizerError naming an option that is not exactly one next token."""
    for c, ids in zip(choices, conts):
        if len(ids) != 1:
            pieces = lm.tok.convert_ids_to_tokens(ids)
            raise TokenizerError(
                f"item {item['id']}: the option {c!r} is {len(ids)} tokens {pieces} for the "
                f"tokenizer of {lm.folder}, so it cannot be scored as one next token; use "
                "single-token options (e.g. letters) or set options.single_token: false to "
                "compare summed log-probabilities"
            )


def check_items(lm, items: list[dict], options: dict) -> None:
    """With `single_token` (the default), TokenizerError on the first item with an option that
    is not one next token; the runner calls it on every item before the first batch."""
    if not options.get("single_token", True):
        return
    delimiter = options.get("delimiter", " ")
    for it in items:
        conts = choice_tokens(lm, it["context"], it["choices"], delimiter, True)[1]
        check_single_tokens(lm, it, it["choices"], conts)


def argmax_first(values: list[float]) -> int:
    """Index of the largest value; the first one on ties."""
    best = 0
    for i, v in enumerate(values):
        if v > values[best]:
            best = i
    return best


@register(
    "eval-method",
    "next-token-choice",
    paper="Tikhomirov & Chernyshev, LEP (arXiv 2412.21140) section 2.3; lm-eval-harness multiple_choice (Gao et al., 2021)",
    default=True,
    item="choices",
    options=frozenset({"choices", "choices_field", "answer_field", "single_token", "delimiter"}),
    check=check_items,
)
def next_token_choice(lm, items: list[dict], *, options: dict, batch_size: int) -> list[dict]:
    """Pick the option with the highest next-token log-probability (summed over its tokens)."""
    delimiter = options.get("delimiter", " ")
    single = options.get("single_token", True)
    prepared = []
    for it in items:
        ctx, conts = choice_tokens(lm, it["context"], it["choices"], delimiter, single)
        if single:
            check_single_tokens(lm, it, it["choices"], conts)
        prepared.append((ctx, conts))
    one = [i for i, (_, conts) in enumerate(prepared) if all(len(c) == 1 for c in conts)]
    many = [i for i in range(len(items)) if i not in set(one)]
    scores: list = [None] * len(items)
    if one:
        lp = lm.next_token_logprobs([prepared[i][0] for i in one], batch_size)
        for r, i in enumerate(one):
            scores[i] = [float(lp[r, c[0]]) for c in prepared[i][1]]
    if many:
        pairs = [(prepared[i][0], c) for i in many for c in prepared[i][1]]
        flat = lm.continuation_logprobs(pairs, batch_size)
        k = 0
        for i in many:
            n = len(prepared[i][1])
            scores[i] = [sum(x) for x in flat[k : k + n]]
            k += n
    return [{"pred": argmax_first(s), "logprobs": s} for s in scores]
