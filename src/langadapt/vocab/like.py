"""The special tokens, roles and chat template a new tokenizer must share with a base tokenizer.

A tokenizer trained for a new language is only a drop-in replacement for a base model's
tokenizer when the model's chat format still renders: the same special token strings in the
same roles (BOS, EOS, PAD, UNK), the same chat tokens (`<|im_start|>`, `[INST]`,
`<|start_header_id|>`, ...), the same chat template, and BOS added exactly when the base adds
it. `read_like` collects these from any supported base tokenizer folder; `default_specials`
is the Mistral-7B / Llama-2 convention used when there is no base.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langadapt.errors import TokenizerError
from langadapt.tokens.family import Family, folder_family

ROLES = ("unk_token", "bos_token", "eos_token", "pad_token")
# tokenizer_config.json keys (besides roles and template) that a drop-in copy keeps
_CONFIG_KEYS = ("model_max_length", "padding_side", "truncation_side", "model_input_names")


@dataclass
class Specials:
    """What a new tokenizer carries over: token strings, roles, template and BOS/EOS policy."""

    roles: dict[str, str]  # role -> token string, e.g. {"bos_token": "<s>"}; absent roles left out
    special: list[str] = field(default_factory=list)  # further special tokens, in base id order
    added: list[str] = field(default_factory=list)  # non-special added tokens (e.g. "<tool_call>")
    extra_special: list[str] = field(default_factory=list)  # tokenizer_config's extra list
    chat_template: str | dict | None = None
    add_bos: bool = True
    add_eos: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    family: Family | None = None  # the base's family, for the record

    def tokens(self) -> list[str]:
        """Every carried token string once: roles first (unk, bos, eos, pad), then the rest."""
        out: list[str] = []
        for tok in [*(self.roles.get(r) for r in ROLES), *self.special, *self.added]:
            if tok and tok not in out:
                out.append(tok)
        return out


def default_specials(pad_token: str | None = None) -> Specials:
    """`<unk>`=0, `<s>`=1, `</s>`=2 (Mistral-7B, Llama-2), BOS added, optionally a pad token."""
    roles = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>"}
    if pad_token:
        roles["pad_token"] = pad_token
    return Specials(roles=roles)


def _as_list(value: Any) -> list[str]:
    if isinstance(value, dict):  # named extra specials, e.g. {"image_token": "<image>"}
        value = list(value.values())
    return [str(v) for v in value or []]


def read_like(folder: Path) -> Specials:
    """The specials, roles, chat template and BOS/EOS policy of the tokenizer in `folder`.

    Raises TokenizerError when the folder holds no fast tokenizer or one of an unknown family.
    """
    from langadapt.models import load_tokenizer

    folder = Path(folder)
    family = folder_family(folder)  # refuses WordPiece & co. with a message naming the folder
    tok = load_tokenizer(folder)
    roles = {r: str(getattr(tok, r)) for r in ROLES if getattr(tok, r, None) is not None}
    role_tokens = set(roles.values())
    special, added = [], []
    for _, at in sorted(tok.added_tokens_decoder.items()):
        if at.content in role_tokens:
            continue
        (special if at.special else added).append(at.content)
    extra = [t for t in _as_list(getattr(tok, "extra_special_tokens", None)) if t]
    for t in extra:
        if t not in special and t not in role_tokens:
            special.append(t)
    # BOS/EOS policy measured, not read from flags: what the base really does to a text
    plain = tok("a", add_special_tokens=False)["input_ids"]
    full = tok("a", add_special_tokens=True)["input_ids"]
    add_bos = (
        tok.bos_token_id is not None and len(full) > len(plain) and full[0] == tok.bos_token_id
    )
    add_eos = (
        tok.eos_token_id is not None and len(full) > len(plain) and full[-1] == tok.eos_token_id
    )
    config: dict[str, Any] = {}
    cfg_file = folder / "tokenizer_config.json"
    if cfg_file.is_file():
        try:
            raw = json.loads(cfg_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise TokenizerError(f"{cfg_file} is not valid JSON: {exc}") from None
        config = {k: raw[k] for k in _CONFIG_KEYS if k in raw}
    return Specials(
        roles=roles,
        special=special,
        added=added,
        extra_special=extra,
        chat_template=tok.chat_template,
        add_bos=add_bos,
        add_eos=add_eos,
        config=config,
        family=family,
    )
