"""What the encoder reads: instruction formats, tokenization, truncation and padding.

LUSIFER puts the task instruction into the encoder's input text (the authors' code):

- a query:    `"{instruction}.\\n{text}"`
- a document: `"{instruction}. Candidate:\\n{text}"`

With an empty instruction the text is read alone. A text longer than the encoder can read is
cut to its limit; every call counts the cut texts and warns once with the count, so a run's
manifest can say how many there were.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["query", "document"]


def prompt(kind: Kind, instruction: str) -> str:
    """The prefix put before a text of this kind (also the sentence-transformers prompt)."""
    instruction = instruction.strip().rstrip(".")
    if not instruction:
        return ""
    return f"{instruction}.\n" if kind == "query" else f"{instruction}. Candidate:\n"


def format_text(text: str, kind: Kind, instruction: str) -> str:
    """`text` with its instruction, in the format of its kind (see the module docstring)."""
    return prompt(kind, instruction) + text


def ensure_pad(tokenizer, what: str) -> str | None:
    """Give a tokenizer without a pad token one; return a note of what was chosen, or None.

    Padding positions are masked out of attention, pooling and loss, so any existing token
    serves: eos, else unk, else bos, else id 0 (Llama tokenizers ship without a pad token).
    """
    if tokenizer.pad_token_id is not None:
        return None
    for name in ("eos_token", "unk_token", "bos_token"):
        token = getattr(tokenizer, name, None)
        if token is not None:
            tokenizer.pad_token = token
            return f"{what} has no pad token; padding with its {name} {token!r}"
    tokenizer.pad_token = tokenizer.convert_ids_to_tokens(0)
    return f"{what} has no pad token, eos, unk or bos; padding with id 0"


def max_tokens(tokenizer, config, requested: int) -> int:
    """The most tokens the encoder reads: `requested`, capped by its position table.

    XLM-R numbers positions from `pad_token_id + 1`, so it reads `max_position_embeddings -
    pad_token_id - 1` tokens (512 of 514); `tokenizer.model_max_length` caps too when it is a
    real value (transformers uses 1e30 for "unknown").
    """
    limit = requested
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        offset = (config.pad_token_id + 1) if config.model_type in ("xlm-roberta", "roberta") else 0
        limit = min(limit, positions - offset)
    model_max = getattr(tokenizer, "model_max_length", None)
    if model_max and model_max < 1e9:
        limit = min(limit, int(model_max))
    return limit


@dataclass
class Truncations:
    """How many texts were cut to the encoder's limit, and the longest seen (in tokens)."""

    limit: int
    count: int = 0
    longest: int = 0
    warned: set = field(default_factory=set)

    def note(self, lengths: list[int], what: str) -> None:
        over = [n for n in lengths if n > self.limit]
        if not over:
            return
        self.count += len(over)
        self.longest = max(self.longest, *over)
        if what not in self.warned:
            self.warned.add(what)
            warnings.warn(
                f"{what}: {len(over)} text(s) are longer than the encoder's limit of "
                f"{self.limit} tokens (longest {max(over)}) and were truncated; later batches "
                "are counted without another warning",
                stacklevel=3,
            )

    def as_dict(self) -> dict:
        return {"limit": self.limit, "truncated_texts": self.count, "longest_tokens": self.longest}


def tokenize(tokenizer, texts: list[str], truncations: Truncations, what: str) -> dict:
    """Tokenize for the encoder: right padding, cut at `truncations.limit`, cuts counted.

    Returns `input_ids` and `attention_mask`, both `[batch, seq]` long tensors.
    """
    full = tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
    truncations.note([len(ids) for ids in full], what)
    tokenizer.padding_side = "right"  # the connector puts its added tokens after real tokens
    return dict(
        tokenizer(
            list(texts),
            add_special_tokens=True,
            truncation=True,
            max_length=truncations.limit,
            padding=True,
            return_tensors="pt",
        )
    )


def target_ids(tokenizer, text: str, limit: int) -> list[int]:
    """An LLM target: `bos + text + eos` as ids (no bos for tokenizers without one), cut at `limit`."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if tokenizer.bos_token_id is not None:
        ids = [tokenizer.bos_token_id, *ids]
    ids = ids[: max(limit - 1, 1)]
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    return ids
