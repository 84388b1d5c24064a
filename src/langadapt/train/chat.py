"""Instruction data: reading chats, rendering them with the model's template, masking the loss.

Two input formats, as a JSON list or JSONL (one record per line):

- chat (the TRL convention): `{"messages": [{"role": "user", "content": ...},
  {"role": "assistant", "content": ...}, ...]}`, or a bare list of such messages per line;
- Alpaca: `{"instruction": ..., "input": ..., "output": ...}` (`input` may be empty), which
  becomes one user turn (instruction, blank line, input) and one assistant turn (output).

A conversation is rendered with the model's own chat template by `llm.chat.assistant_tokens`
(the one place langadapt applies chat templates), without tokenizer-added special tokens,
because the template already writes the BOS. The loss covers the assistant turns only: the
labels of every other token are -100. Templates that mark assistant text with
`{% generation %}` give the mask directly; for the others each assistant turn is located by
rendering the conversation up to that turn with and without it (a prefix difference).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from langadapt.corpus import iter_json_lines

# the encoding and batching live in the engine, shared with distill; re-exported for callers
from langadapt.engine.sft import IGNORE, Conversation, collate, encode  # noqa: F401
from langadapt.errors import InputError, ModelError


def _as_messages(rec, where: str) -> list[dict[str, str]]:
    if isinstance(rec, dict) and "messages" in rec:
        rec = rec["messages"]
    if isinstance(rec, dict) and "instruction" in rec and "output" in rec:
        user = str(rec["instruction"])
        if str(rec.get("input") or "").strip():
            user += "\n\n" + str(rec["input"])
        return [{"role": "user", "content": user}, {"role": "assistant", "content": rec["output"]}]
    if not isinstance(rec, list):
        keys = ", ".join(rec) if isinstance(rec, dict) else type(rec).__name__
        raise InputError(
            f"{where} is neither a chat ('messages': [...]) nor an Alpaca record "
            f"('instruction', 'input', 'output'); it has: {keys}"
        )
    for m in rec:
        if not (isinstance(m, dict) and isinstance(m.get("role"), str)):
            raise InputError(f"{where}: every message needs a 'role' and a 'content'")
        if not isinstance(m.get("content"), str):
            raise InputError(f"{where}: the content of a '{m['role']}' message is not a string")
    return [{"role": m["role"], "content": m["content"]} for m in rec]


def read_conversations(paths: list[Path]) -> list[Conversation]:
    """Every conversation of the given JSON/JSONL files, validated (see the module docstring)."""
    out: list[Conversation] = []
    empty: list[str] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"instruction file {path} does not exist")
        records: list[tuple[object, str]] = []
        head = path.open("rb").read(64).lstrip()
        if path.suffix == ".json" and head.startswith(b"["):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"{path} is not valid UTF-8 JSON ({exc})") from None
            records = [(r, f"{path} item {i}") for i, r in enumerate(data, 1)]
        else:
            records = [(rec, where) for where, rec in iter_json_lines(path)]
        for rec, where in records:
            messages = _as_messages(rec, where)
            if not any(m["role"] == "assistant" for m in messages):
                raise InputError(
                    f"{where} has no assistant turn, so there is nothing to learn; "
                    "remove it or add the answer"
                )
            if not any(m["role"] == "assistant" and m["content"].strip() for m in messages):
                empty.append(where)  # real data sets hold a few empty answers; skip them
                continue
            out.append(Conversation(messages, where))
    if empty:
        print(
            f"skipped {len(empty)} conversations whose answers are empty (first: {empty[0]})",
            file=sys.stderr,
        )
    if not out:
        raise InputError(f"no conversations in {', '.join(map(str, paths))}")
    return out


def set_chat_template(tokenizer, model_dir: Path, template_file: Path | None) -> None:
    """Install `template_file` as the chat template, or check the tokenizer has one."""
    if template_file is not None:
        if not Path(template_file).is_file():
            raise InputError(f"--chat-template {template_file} does not exist")
        tokenizer.chat_template = Path(template_file).read_text(encoding="utf-8")
    elif not tokenizer.chat_template:
        raise ModelError(
            f"the tokenizer in {model_dir} has no chat template, so conversations cannot be "
            "rendered; pass --chat-template FILE (a Jinja template) or use an instruct model"
        )
