"""The interface every text-generation backend offers (local HF model, HTTP endpoint, ...).

A backend turns a batch of prompts into completions. A prompt is either raw text (completed
as is) or a chat: a list of `{"role": ..., "content": ...}` messages, which the backend renders
with the model's chat template and answers as the assistant. A chat whose last message is the
assistant's is *continued*: that message is the start of the answer (e.g. "Answer:"), and the
completion is what follows it (HF's and vLLM's `continue_final_message`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

Chat = list[dict[str, str]]
Prompt = str | Chat

# end-of-turn tokens of common chat templates: generation stops at them as at EOS, since an
# instruct model ends its turn with one that is often not its EOS (Llama-3: <|eot_id|> vs
# <|end_of_text|>)
END_OF_TURN = ("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "</s>")


class Backend(Protocol):
    """Batched generation: one completion per prompt, in the order given."""

    def generate(
        self,
        prompts: Sequence[Prompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        seed: int | None = None,
        repetition_penalty: float = 1.0,
    ) -> list[str]:
        """Completions of `prompts`, each cut before any `stop` string.

        Temperature 0 is greedy decoding (deterministic, `seed` ignored); above 0 the backend
        samples, reproducibly when `seed` is given. `repetition_penalty` above 1 discourages
        tokens already in the text (HF's / vLLM's penalty); 1.0 leaves decoding unchanged.
        """
        ...


def cut_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` up to the first occurrence of any stop string (the stop string excluded)."""
    cut = min((i for s in stop if s and (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]
