"""Two loopback HTTP servers for testing and measuring clients: an echo endpoint and a faulty proxy.

Both bind 127.0.0.1 on a free port, run in a daemon thread (one thread per connection) and stop
with `stop()` or at the end of a `with` block; nothing waits longer than its own bounded delay.

- `EchoEndpoint`: an OpenAI-compatible `/v1/chat/completions`, `/v1/completions` and
  `/v1/models` whose answer is a fixed function of the request (`EchoEndpoint.answer`), after
  a fixed latency. It counts every call it answers, per request body, so a test can prove
  which calls a client made; with `api_key` set it refuses (401) any other bearer token.
- `FaultProxy`: forwards to an upstream endpoint, but a fixed share of distinct requests
  (chosen by a hash of the body, so the same ones on every run) fail on their first attempt,
  and one in three of those on their second too, with one of: 429 with `Retry-After`, 500, a
  hung connection (no answer until the client gives up), or a 200 whose body is cut short.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

FAULTS = ("429", "500", "hang", "truncate")


def body_key(body: bytes) -> str:
    """A request body's identity: SHA-256 of its canonical JSON (else of its bytes)."""
    try:
        body = json.dumps(json.loads(body), sort_keys=True).encode()
    except ValueError:
        pass
    return hashlib.sha256(body).hexdigest()


class JSONHandler(BaseHTTPRequestHandler):
    """A keep-alive handler that reads a request body and answers JSON (OpenAI-style errors)."""

    protocol_version = "HTTP/1.1"  # keep-alive: a client reuses its connections
    # headers and body go out as two writes; with Nagle on, the body waits for the client's
    # delayed ACK of the headers (~40 ms on Linux), which made a "100 ms" stub answer in 147
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read counters
        pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str, **headers: str) -> None:
        self._send(status, {"error": {"message": message, "type": code, "code": code}}, headers)


class HTTPServer(ThreadingHTTPServer):
    """The standard library's threaded server, one daemon thread per connection, with a listen
    backlog for many clients at once: the default of 5 drops the connections of a client that
    opens 16 together, which then wait for a SYN retry (1 s) or fail with a reset."""

    daemon_threads = True
    request_queue_size = 128


class _Loopback:
    """A threaded HTTP server on 127.0.0.1 (state: the server, its thread, a stop flag)."""

    handler: type[JSONHandler]

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self._httpd = HTTPServer(("127.0.0.1", 0), self.handler)
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The API root, `http://127.0.0.1:PORT/v1`."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers that hang on purpose
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _EchoHandler(JSONHandler):
    def do_GET(self) -> None:
        owner: EchoEndpoint = self.server.owner  # type: ignore[attr-defined]
        if self.path.rstrip("/") == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": owner.model, "object": "model"}]})
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        owner: EchoEndpoint = self.server.owner  # type: ignore[attr-defined]
        raw = self._body()
        if owner.api_key and self.headers.get("Authorization") != f"Bearer {owner.api_key}":
            return self._error(401, "invalid API key", "invalid_api_key")
        req = json.loads(raw)
        if req.get("model") != owner.model:
            return self._error(404, f"model {req.get('model')!r} is not served", "model_not_found")
        chat = self.path.rstrip("/") == "/v1/chat/completions"
        text = owner.reply(req["messages"] if chat else req["prompt"])
        time.sleep(owner.latency_s)
        with owner.lock:
            owner.calls[body_key(raw)] += 1
            owner.last = req
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        obj = "chat.completion" if chat else "text_completion"
        self._send(
            200,
            {"id": "echo", "object": obj, "created": 0, "model": owner.model, "choices": [choice]},
        )


class EchoEndpoint(_Loopback):
    """An OpenAI-compatible endpoint that echoes after `latency_s` seconds and counts calls.

    Args:
        latency_s: seconds each answer takes (the handler thread sleeps; others run meanwhile).
        model: the only model name it serves.
        api_key: when set, the bearer token every request must carry (else 401).
        reply: prompt (text or messages) -> answer; default `answer` (an echo).
    """

    handler = _EchoHandler

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        model: str = "echo",
        api_key: str = "",
        reply: Callable[[Any], str] | None = None,
    ):
        self.latency_s, self.model, self.api_key = latency_s, model, api_key
        self.reply = reply or self.answer
        self.calls: Counter[str] = Counter()  # request body key -> times answered
        self.last: dict[str, Any] | None = None  # the last request answered
        super().__init__()

    @staticmethod
    def answer(prompt: Any) -> str:
        """What the endpoint answers to a prompt (text, or messages: the last one's content)."""
        text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
        return f"echo: {text}"

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.calls.values())


class _ProxyHandler(JSONHandler):
    def _forward(self, method: str, raw: bytes) -> tuple[int, bytes, str]:
        owner: FaultProxy = self.server.owner  # type: ignore[attr-defined]
        up = urlsplit(owner.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization",)}
        headers["Content-Type"] = "application/json"
        conn.request(method, self.path, body=raw or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data, resp.getheader("Content-Type", "application/json")

    def _relay(self, status: int, data: bytes, ctype: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._relay(*self._forward("GET", b""))

    def do_POST(self) -> None:
        owner: FaultProxy = self.server.owner  # type: ignore[attr-defined]
        raw = self._body()
        key = body_key(raw)
        with owner.lock:
            attempt = owner.attempts[key]
            owner.attempts[key] += 1
        fault = owner.fault(key, attempt)
        if fault is not None:
            with owner.lock:
                owner.faults[fault] += 1
        if fault == "429":
            return self._error(429, "slow down", "rate_limit", **{"Retry-After": "1"})
        if fault == "500":
            return self._error(500, "injected failure", "server_error")
        if fault == "hang":  # no answer: the client's read timeout must fire
            owner.stopping.wait(owner.hang_s)
            self.close_connection = True
            return
        status, data, ctype = self._forward("POST", raw)
        if fault == "truncate":  # the promised length, half the bytes, then the socket closes
            self._relay(status, data[: len(data) // 2], ctype, length=len(data))
            self.close_connection = True
            return
        self._relay(status, data, ctype)


class FaultProxy(_Loopback):
    """A proxy to `upstream` that fails a fixed share of distinct requests (see the module doc).

    Args:
        upstream: the API root of the endpoint behind it (`http://127.0.0.1:PORT/v1`).
        rate: share of distinct request bodies that fail at least once.
        hang_s: how long a hung connection stays silent (bounded; `stop()` ends it early).
    """

    handler = _ProxyHandler

    def __init__(self, upstream: str, *, rate: float = 0.3, hang_s: float = 30.0):
        self.upstream, self.rate, self.hang_s = upstream, rate, hang_s
        self.attempts: Counter[str] = Counter()  # request body key -> attempts seen
        self.faults: Counter[str] = Counter()  # fault kind -> times injected
        super().__init__()

    def fault(self, key: str, attempt: int) -> str | None:
        """The fault attempt `attempt` (0 = first) of request `key` gets, or None."""
        h = int(key[:12], 16)
        if h % 1000 >= self.rate * 1000:
            return None
        kind = (h // 1000) % len(FAULTS)
        twice = (h // 4000) % 3 == 0  # a third of the faulted requests fail twice
        if attempt == 0 or (attempt == 1 and twice):
            return FAULTS[(kind + attempt) % len(FAULTS)]
        return None

    def faulted(self, key: str) -> bool:
        return self.fault(key, 0) is not None
