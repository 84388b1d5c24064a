"""A SQLite cache of endpoint calls, so that a crash or a rerun never pays for a call twice.

Each finished call is one row, committed as soon as the call completes (SQLite in WAL mode:
a commit is an append to the write-ahead log, cheap enough to do per call, and survives a
`kill -9` of the writer). The key is a SHA-256 of the request as sent, less nothing that
matters: the API (chat or completion), the model name, the messages or prompt text and every
sampling parameter (`max_tokens`, `temperature`, `stop`, `seed`, ...), so two calls share a
row exactly when the endpoint was asked the same thing. The row keeps those parameters, the
raw text the endpoint returned (before any client-side cut at stop strings), the model id the
endpoint reported, its finish reason and the latency. A failed call is never written, so a
rerun makes it again. No header, and so no API key, is part of a request here.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

from langadapt.errors import InputError

CacheMode = Literal["off", "read", "write", "readwrite"]
CACHE_MODES: tuple[str, ...] = ("off", "read", "write", "readwrite")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    text TEXT NOT NULL,
    model_id TEXT,
    finish_reason TEXT,
    latency_s REAL,
    endpoint TEXT,
    created REAL NOT NULL
)
"""


def request_key(request: dict[str, Any]) -> str:
    """SHA-256 hex of a request: canonical JSON (sorted keys, no whitespace), so equal requests
    share a key whatever order their fields were built in."""
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CallCache:
    """Finished endpoint calls in one SQLite file (state: the open connection).

    Args:
        path: the database file; created with its folder when missing.
        mode: 'readwrite' (look up, then store new calls), 'read' (look up only), 'write'
            (store only: every call is made again and overwrites its row), 'off' (neither; no
            file is opened).
    """

    def __init__(self, path: Path | str, *, mode: CacheMode = "readwrite") -> None:
        if mode not in CACHE_MODES:
            raise InputError(f"cache mode {mode!r} is unknown; use one of {', '.join(CACHE_MODES)}")
        self.path, self.mode = Path(path), mode
        self._db: sqlite3.Connection | None = None
        if mode == "off":
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit (isolation_level=None): each INSERT is its own transaction, on disk
            # when the call returns; timeout: another process writing the same file waits
            # check_same_thread off: the client's loop thread writes what the caller's thread
            # opened; they never use it at the same time (generate blocks until the loop is done)
            self._db = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode: a process crash loses nothing committed (only a power cut may)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"call cache {self.path} cannot be opened as SQLite ({exc}); delete it (its "
                "calls are made again) or pass another cache path"
            ) from None

    @property
    def reads(self) -> bool:
        return self.mode in ("read", "readwrite")

    @property
    def writes(self) -> bool:
        return self.mode in ("write", "readwrite")

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored record of `key` (`text`, `model_id`, `finish_reason`, `latency_s`,
        `request`), or None when it is not stored or the mode does not read."""
        if self._db is None or not self.reads:
            return None
        row = self._db.execute(
            "SELECT text, model_id, finish_reason, latency_s, request FROM calls WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        text, model_id, finish, latency, request = row
        return {
            "text": text,
            "model_id": model_id,
            "finish_reason": finish,
            "latency_s": latency,
            "request": json.loads(request),
        }

    def put(
        self,
        key: str,
        request: dict[str, Any],
        text: str,
        *,
        model_id: str | None,
        finish_reason: str | None,
        latency_s: float,
        endpoint: str,
    ) -> None:
        """Store one successful call (replacing a row of the same key); no-op unless writing."""
        if self._db is None or not self.writes:
            return
        self._db.execute(
            "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                json.dumps(request, sort_keys=True, ensure_ascii=False),
                text,
                model_id,
                finish_reason,
                latency_s,
                endpoint,
                time.time(),
            ),
        )

    def __len__(self) -> int:
        if self._db is None:
            return 0
        return self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> CallCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
