"""Chat messages -> prompt text and token ids: the one place a chat template is applied.

Training (assistant-only labels), generation (`LocalBackend`), evaluation prompts and the zoo's
scorer all render conversations here, so they agree on three rules:

- **Generation prompt and assistant prefix.** A prompt to be answered is rendered with the
  template's generation prompt (e.g. `<|start_header_id|>assistant<|end_header_id|>\\n\\n`) and,
  when the answer must start with given text (an evaluation's "Answer:"), that prefix is
  appended to the rendered text verbatim. In a `Chat` prompt the prefix is written as a final
  assistant message (the convention of HF's and vLLM's `continue_final_message`); we append it
  ourselves rather than asking the template, because templates may trim message content.
- **BOS and special tokens.** Rendered chat text is tokenized with `add_special_tokens=False`:
  the template is the whole authority on special tokens and writes the BOS itself when the model
  wants one (as HF's own tokenizing chat-template call does), so tokenizing with special
  tokens would double it. Plain text (a base model's prompt) gets the tokenizer's usual
  special tokens (its BOS). (The zoo's scorer used to cut the BOS text off the rendering and let
  the tokenizer add it: the same ids wherever a tokenizer's special tokens are one leading BOS,
  as for every tokenizer langadapt builds; tests/unit/test_llm_chat.py checks it.)
- **Errors.** A template that rejects the messages (jinja raises whatever its author chose)
  becomes a `ModelError` naming the tokenizer, the messages and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from langadapt.errors import ModelError
from langadapt.llm.backend import Prompt

Messages = Sequence[Mapping[str, str]]
# templates that mark assistant text with {% generation %} give the training mask directly
GENERATION_MARKER = re.compile(r"{%-?\s*generation\s*-?%}")
_FIX = "check the roles and order of the messages against the template"


def _apply(tokenizer, messages: Messages, what: str, fix: str, **kwargs):
    """The single place langadapt calls the tokenizer's chat template (HF's Jinja renderer)."""
    try:
        return tokenizer.apply_chat_template([dict(m) for m in messages], **kwargs)
    except Exception as exc:  # jinja raises whatever the template author chose
        source = getattr(tokenizer, "name_or_path", "") or "the tokenizer"
        raise ModelError(f"the chat template of {source} rejects {what} ({exc}); {fix}") from None


def render(
    tokenizer,
    messages: Messages,
    *,
    add_generation_prompt: bool = False,
    prefix: str = "",
    what: str = "the messages",
    fix: str = _FIX,
) -> str:
    """Text of `messages` (`[{"role", "content"}, ...]`) in the tokenizer's chat template.

    Args:
        add_generation_prompt: end with the template's opening of an assistant turn.
        prefix: text the assistant's answer starts with, written right after the generation
            prompt (so a non-empty prefix implies `add_generation_prompt`).
        what, fix: how an error names the messages and what to do about them.
    """
    text = _apply(
        tokenizer,
        messages,
        what,
        fix,
        tokenize=False,
        add_generation_prompt=add_generation_prompt or bool(prefix),
    )
    return text + prefix


def split_prefix(chat: Messages) -> tuple[list[dict[str, str]], str]:
    """(messages to answer, assistant prefix): a final assistant message is the prefix."""
    msgs = [dict(m) for m in chat]
    if msgs and msgs[-1].get("role") == "assistant":
        return msgs[:-1], msgs[-1].get("content", "")
    return msgs, ""


def prompt_text(tokenizer, prompt: Prompt, *, what: str = "the messages", fix: str = _FIX) -> str:
    """What the model reads for a prompt: plain text as is, a chat rendered to be answered.

    A chat is rendered with the generation prompt; a final assistant message in it is the
    prefix the answer continues (see `split_prefix`).
    """
    if isinstance(prompt, str):
        return prompt
    messages, prefix = split_prefix(prompt)
    return render(
        tokenizer, messages, add_generation_prompt=True, prefix=prefix, what=what, fix=fix
    )


def encode_text(tokenizer, text: str, *, rendered: bool) -> list[int]:
    """Token ids of prompt text: no special tokens for `rendered` chat text (the template wrote
    them), the tokenizer's usual ones (BOS) for plain text. See the module docstring."""
    return tokenizer(text, add_special_tokens=not rendered)["input_ids"]


def encode_prompt(tokenizer, prompt: Prompt) -> list[int]:
    """Token ids a model generates after: `prompt_text` tokenized by `encode_text`'s rule."""
    return encode_text(
        tokenizer, prompt_text(tokenizer, prompt), rendered=not isinstance(prompt, str)
    )


def assistant_tokens(tokenizer, messages: Messages) -> tuple[list[int], list[int]]:
    """(input ids, mask): a whole conversation's tokens, mask 1 on the assistant turns' tokens.

    Templates that mark assistant text with `{% generation %}` give the mask directly
    (`return_assistant_tokens_mask`). For the others each assistant turn is the text between the
    rendering of the turns before it (with the generation prompt) and the rendering that
    includes it, less trailing whitespace between turns; tokens whose first character falls
    inside such a span are masked in. Like every rendered chat, the ids carry no tokenizer-added
    special tokens (the template writes the BOS).
    """
    what, fix = "a training conversation", "fix the conversation's roles or pass --chat-template"
    if GENERATION_MARKER.search(tokenizer.chat_template or ""):
        enc = _apply(
            tokenizer,
            messages,
            what,
            fix,
            tokenize=True,
            return_dict=True,
            return_assistant_tokens_mask=True,
        )
        return list(enc["input_ids"]), list(enc["assistant_masks"])
    full = render(tokenizer, messages, what=what, fix=fix)
    spans = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        before = render(tokenizer, messages[:i], add_generation_prompt=True, what=what, fix=fix)
        upto = render(tokenizer, messages[: i + 1], what=what, fix=fix)
        if not (full.startswith(upto) and upto.startswith(before)):
            raise ModelError(
                "the chat template renders a conversation differently from its prefixes, so "
                "assistant turns cannot be located; add {% generation %} markers to it"
            )
        spans.append((len(before), len(upto.rstrip())))
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    mask = [int(any(a <= s < b for a, b in spans) and e > s) for s, e in enc["offset_mapping"]]
    return enc["input_ids"], mask
