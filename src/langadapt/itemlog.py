"""An append-only JSONL log of finished items, keyed by item id, for long resumable loops.

Loops over many slow items (generations, teacher or judge calls, evaluation batches) persist
each finished item as it completes, so that a restart redoes only the unfinished ones::

    log = ItemLog(work / "answers.jsonl")           # reads and repairs what is there
    todo = [it for it in items if it["id"] not in log.done]
    for batch in batches(todo):
        log.extend(solve(batch))                    # one write, flush and fsync per batch
    rows = [log.get(it["id"]) for it in items]

Each line is one JSON object with a string field `key` ("id"). A process killed while writing
leaves at most the last line torn (no final newline, or not valid JSON): opening the log drops
that line and truncates the file back to the last complete one, so the next append starts on a
clean line. A malformed line anywhere else is not a crash artefact but a damaged file, and is
an `InputError` naming the file and line. Callers append only results: a failed item is never
written, so it is simply redone. Only one process may write a log (under accelerate, the main
process); others must not open it while it is being written, because opening may truncate.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from langadapt.errors import InputError


def _line(record: dict[str, Any]) -> bytes:
    """One record as one line: UTF-8 JSON (non-ASCII kept readable) ending in a newline."""
    return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")


class ItemLog:
    """The finished items of one loop, read from and appended to a JSONL file.

    Args:
        path: the log file; it need not exist (nothing is created until the first append).
        key: the field holding each record's id (a string).
    """

    def __init__(self, path: Path | str, *, key: str = "id") -> None:
        self.path = Path(path)
        self.key = key
        self._records: dict[str, dict[str, Any]] = {}
        self.done: set[str] = set()
        if self.path.is_file():
            self._load()

    def _load(self) -> None:
        # Parse every line, remembering the byte offset after the last good one; only the last
        # line may fail (a kill mid-write), so a failure is kept until the next line shows it
        # was not the last.
        good = 0
        torn: str | None = None
        with open(self.path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                if torn is not None:
                    raise InputError(
                        f"item log {self.path} line {lineno - 1} is damaged ({torn}) and is not "
                        "the last line, so it is not a write cut short by a crash; delete the "
                        "file (its items are redone) or repair that line"
                    )
                if not raw.endswith(b"\n"):
                    torn = "no final newline"
                    continue
                if not raw.strip():
                    good += len(raw)
                    continue
                try:
                    record = json.loads(raw)
                except ValueError as exc:  # JSONDecodeError, or UnicodeDecodeError
                    torn = f"not valid UTF-8 JSON: {exc}"
                    continue
                self._check(record, f"line {lineno}")
                self._add(record)
                good += len(raw)
        if good != self.path.stat().st_size:
            with open(self.path, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())

    def _check(self, record: Any, where: str) -> None:
        if not isinstance(record, dict) or not isinstance(record.get(self.key), str):
            raise InputError(
                f"item log {self.path} {where} is not a record with a string '{self.key}' "
                "field, so this loop (or this langadapt version) did not write the file; delete "
                "it and its items are redone"
            )

    def _add(self, record: dict[str, Any]) -> None:
        item_id = record[self.key]
        self._records[item_id] = record  # a repeated id (not written by extend): the last wins
        self.done.add(item_id)

    def get(self, item_id: str) -> dict[str, Any] | None:
        """The stored record of `item_id`, or None when it is not done."""
        return self._records.get(item_id)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.done

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The records in the order they were first written."""
        return iter(self._records.values())

    def extend(self, records: Iterable[dict[str, Any]]) -> None:
        """Append finished items: one write, one flush and one fsync for the whole batch.

        Raises ValueError (a bug in the caller, not a user error) for a record without a string
        id or with an id that is already done; nothing of the batch is written then.
        """
        batch = list(records)
        seen: set[str] = set()
        for record in batch:
            item_id = record.get(self.key) if isinstance(record, dict) else None
            if not isinstance(item_id, str):
                raise ValueError(f"{self.path}: a record without a string '{self.key}': {record}")
            if item_id in self.done or item_id in seen:
                raise ValueError(f"{self.path}: item {item_id!r} is already in the log")
            seen.add(item_id)
        if not batch:
            return
        blob = b"".join(_line(r) for r in batch)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        for record in batch:
            self._add(record)
