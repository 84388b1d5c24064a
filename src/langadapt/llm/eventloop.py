"""One asyncio event loop in a daemon thread, so that async clients live across blocking calls.

`EndpointBackend.generate` is a blocking call made many times (an evaluation calls it per batch).
Running each call under its own `asyncio.run` would build a new HTTP client and open new
connections every time (tens of milliseconds, plus a TCP handshake per connection in flight),
because an async client and its connections belong to the loop that made them. A loop that
outlives the calls keeps both; it also works from code that already runs a loop (a notebook),
which `asyncio.run` refuses.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop running in its own daemon thread (state: the loop, the thread).

    The thread starts on the first `run` and ends with `close` (or with the process: it is a
    daemon, so an unclosed loop never keeps the interpreter alive).
    """

    def __init__(self, name: str = "langadapt-llm") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the loop and wait for its result (its exception is raised here)."""
        if self._thread is not None and threading.current_thread() is self._thread:
            raise RuntimeError("LoopThread.run called from its own loop; await the coroutine")
        return asyncio.run_coroutine_threadsafe(coro, self._start()).result()

    @property
    def running(self) -> bool:
        return self._loop is not None

    def close(self) -> None:
        """Stop the loop and join its thread; a later `run` starts a new one."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=5)
        loop.close()
