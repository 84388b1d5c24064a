"""The world's held-out task files as `distill evaluate` items: prompt, task type, accepted answers.

Two kinds of file, told apart by their rows:

- instruct tasks (`instruct/test.*.jsonl`: `messages`, `task_type`, `answer`): the prompt is the
  user turn; accepted are the short answer and the full reference reply. The world judge is
  strict here: the tiny zoo's instruct model gets 11 of the 179 English ones (6%) exactly right.
- fact questions (`eval/facts.*.jsonl`: `question`, `answers`): the prompt is the question;
  accepted are every form the world lists (the bare fact, "She is 75 years old.", the full
  sentence), as `langadapt eval`'s world_facts task accepts them; the task type is `facts`.
  They ask what the held-out people are like, which the models read about in pretraining.

Ids are prefixed by the file's name, so two languages or kinds never clash.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.corpus import read_json_lines
from langadapt.errors import InputError

FACTS = "facts"  # the task type of a fact question


def _item(path: Path, n: int, r: dict) -> dict:
    rid = f"{path.stem}:{r.get('id', n)}"
    if {"messages", "task_type", "answer"} <= set(r):
        accepted = [str(r["answer"])] + [m["content"] for m in r["messages"][1:2]]
        return {"id": rid, "task_type": str(r["task_type"]),
                "prompt": r["messages"][0]["content"], "accepted": accepted}  # fmt: skip
    if isinstance(r.get("question"), str) and isinstance(r.get("answers"), list) and r["answers"]:
        return {"id": rid, "task_type": FACTS, "prompt": r["question"],
                "accepted": [str(a) for a in r["answers"]]}  # fmt: skip
    raise InputError(
        f"--world-tasks {path} row {n} is neither an instruct task (messages, task_type, "
        "answer) nor a fact question (question, answers); give the world's "
        "instruct/test.*.jsonl or eval/facts.*.jsonl"
    )


def world_items(paths: list[Path], limit: int | None) -> list[dict]:
    """The items of each file in `paths`, the first `limit` of each (all when None)."""
    items = []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"--world-tasks {path} does not exist")
        rows = read_json_lines(path)[:limit]
        if not rows:
            raise InputError(f"--world-tasks {path} holds no task")
        items += [_item(path, n, r) for n, r in enumerate(rows)]
    return items
