"""Prompt files of `xling eval`: the paper's format and the synthetic world's, read strictly.

Two formats, JSONL, one prompt per line:

- the paper's (`../shared/data/xling/data/*.{en,fr,pt,ru}.jsonl`): each line a JSON list of
  chat messages `[{"role": "user", "content": ...}]`; an optional `.types` file beside it
  (`modifiers.en.jsonl` -> `modifiers.en.types`) names each line's modifier type, one a line;
- records: `{"id"?, "prompt": text or messages (or "messages" / "question"), "lang"?,
  "modifier"?: a type name as above, or the world's rule object {"type": ..., ...},
  "answers"?: accepted answers}` (the world's `eval/modifiers.*.jsonl` and `eval/facts.*`).

The prompt language is the file name's language tag (`name.LANG.jsonl`), else each record's
`lang`. A prompt's *expected* answer language is that language, or X for an "answer in
language X" modifier (`lang_X`, the world's `{"type": "language", "lang": X}`).

A modifier that compares with the answer to the same prompt without the modifier (short/long)
finds that prompt among all prompts read (same language, the longest unmodified prompt that
the modified one starts with): pass the unmodified file too (e.g. `alpacaeval_test_subset.*`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langadapt.errors import InputError
from langadapt.xling import modifiers

_LANG_TAG = re.compile(r"\.([a-z]{2,3})\.jsonl?$")


@dataclass
class Prompt:
    """One prompt to answer: its chat, languages, modifier and where it was read."""

    id: str
    lang: str
    messages: list[dict[str, str]]
    where: str
    modifier: str | None = None  # the paper's type name (or the world rule's type)
    world: dict[str, Any] | None = None  # the world judge's reference: modifier rule or answers
    expected: str = ""
    base: str | None = None  # id of the same prompt without the modifier
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The last user message: what a judge is shown as the task."""
        return next(m["content"] for m in reversed(self.messages) if m["role"] == "user")


def _messages(value: Any, where: str) -> list[dict[str, str]]:
    if isinstance(value, str) and value.strip():
        return [{"role": "user", "content": value}]
    ok = (
        isinstance(value, list)
        and value
        and all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in value)
        and all(isinstance(m["content"], str) for m in value)
        and value[-1]["role"] == "user"
    )
    if not ok:
        raise InputError(
            f"{where}: a prompt is a non-empty text or a list of messages "
            '[{"role": "user", "content": "..."}] ending with a user message'
        )
    return [{"role": str(m["role"]), "content": m["content"]} for m in value]


def _types(path: Path, n: int) -> list[str] | None:
    types = path.with_suffix(".types")
    if not types.is_file():
        return None
    names = types.read_text(encoding="utf-8").splitlines()
    while names and not names[-1].strip():
        names.pop()
    if len(names) != n:
        raise InputError(
            f"{types} has {len(names)} types for the {n} prompts of {path}; give one type per "
            "prompt line, in order"
        )
    return [t.strip() for t in names]


def _record(rec: Any, where: str) -> tuple[list[dict[str, str]], dict[str, Any]]:
    if isinstance(rec, list):
        return _messages(rec, where), {}
    if not isinstance(rec, dict):
        raise InputError(f"{where}: a line is a JSON list of messages or an object")
    for key in ("prompt", "messages", "question"):
        if key in rec:
            return _messages(rec[key], where), rec
    raise InputError(f"{where}: the record has no prompt, messages or question field")


def read_file(path: Path) -> list[Prompt]:
    """Every prompt of one file (see the module docstring); InputError names file and line."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--prompts {path} does not exist; pass JSONL prompt files")
    tag = _LANG_TAG.search(path.name)
    lines = [
        (n, raw) for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if raw.strip()
    ]  # fmt: skip
    if not lines:
        raise InputError(f"--prompts {path} holds no prompts")
    types = _types(path, len(lines))
    out = []
    for i, (n, raw) in enumerate(lines):
        where = f"{path} line {n}"
        try:
            rec = json.loads(raw)
        except ValueError as exc:
            raise InputError(f"{where}: not valid JSON ({exc}); fix or remove the line") from None
        messages, fields = _record(rec, where)
        lang = fields.get("lang") or (tag.group(1) if tag else None)
        if not isinstance(lang, str):
            raise InputError(
                f"{where}: no language: name the file NAME.LANG.jsonl (e.g. prompts.fr.jsonl) "
                "or give each record a lang field"
            )
        p = Prompt(str(fields.get("id", f"{path.stem}-{n}")), lang, messages, where)
        mod = types[i] if types else fields.get("modifier")
        if isinstance(mod, dict):  # the world's rule: checked by llm.world_rules
            p.modifier, p.world = str(mod.get("type")), {"modifier": mod}
            target = mod.get("lang") if mod.get("type") == "language" else None
        elif isinstance(mod, str) and mod:
            parts = modifiers.parse(mod, where)
            p.modifier = mod
            target = next((param for name, param in parts if name == "lang"), None)
        elif mod is None:
            target = None
        else:
            raise InputError(f"{where}: modifier must be a type name or a rule object")
        if p.world is None and fields.get("answers") is not None:
            p.world = {"answers": fields["answers"]}
        p.expected = target or lang
        out.append(p)
    return out


def read_all(paths: list[Path], limit: int | None = None) -> list[Prompt]:
    """The prompts of every file (the first `limit` of each when given), ids checked unique and
    short/long prompts linked to their unmodified prompt (`Prompt.base`)."""
    if not paths:
        raise InputError("no --prompts given: pass one or more JSONL prompt files")
    if limit is not None and limit < 1:
        raise InputError(f"--limit {limit}: give a positive number of prompts per file, or none")
    prompts = [p for path in paths for p in read_file(Path(path))[:limit]]
    seen: dict[str, str] = {}
    for p in prompts:
        if p.id in seen:
            raise InputError(
                f"{p.where}: id {p.id!r} was already used at {seen[p.id]}; ids must be unique "
                "across all prompt files (rename a file, or give records distinct ids)"
            )
        seen[p.id] = p.where
    plain: dict[str, list[Prompt]] = {}
    for p in prompts:
        if p.modifier is None:
            plain.setdefault(p.lang, []).append(p)
    for p in prompts:
        if p.modifier is not None and p.world is None:
            starts = [b for b in plain.get(p.lang, []) if p.text.startswith(b.text.rstrip())]
            if starts:
                p.base = max(starts, key=lambda b: len(b.text)).id
    return prompts
