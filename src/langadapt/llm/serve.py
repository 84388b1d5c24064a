"""`langadapt serve MODEL`: an OpenAI-compatible endpoint over a local HF model folder, offline.

Routes: `POST /v1/chat/completions`, `POST /v1/completions`, `GET /v1/models`, `GET /health`.
Generation is `LocalBackend.generate`, the same code as in-process generation, so greedy output
is the in-process output token for token: chats go through the model's chat template
(`llm.chat`), a final assistant message is continued when the request says
`continue_final_message` (vLLM's convention), `max_tokens`, `temperature` (0 = greedy, > 0
samples), `seed` and `stop` are honoured, and the stop string is not in the returned content.

Why not `transformers serve` (5.23): its `/v1/models` lists only models in the hub cache (500
without one), `temperature > 0` samples only when the generation config already says so, the
stop string stays in the content, and its output is not guaranteed to be `LocalBackend`'s (own
generation config, no assistant prefix). So this is a small server of our own on the standard
library's threaded HTTP server: one thread per connection, one model thread that runs greedy
requests in batches of up to `batch_size` (requests that arrive while a batch runs wait for the
next) and each sampled request alone (so its seed reproduces it).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Literal

from langadapt.errors import InputError, LangAdaptError
from langadapt.llm.loopback import HTTPServer, JSONHandler

_UNSUPPORTED = {"stream": False, "n": 1, "top_p": 1.0, "logprobs": False, "tools": None}


class RequestError(Exception):
    """A request the server refuses: (HTTP status, message, OpenAI error code)."""

    def __init__(self, status: int, message: str, code: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.code = status, code


class ModelServer:
    """A loaded model behind HTTP (state: the backend, its job queue and model thread).

    Args:
        backend: a `LocalBackend`; only the model thread calls it.
        name: the model id clients ask for and `/v1/models` lists.
        host, port: where to listen (port 0: a free port; see `url`).
    """

    def __init__(
        self, backend, name: str, *, host: str = "127.0.0.1", port: int = 0, root: str | None = None
    ):
        self.backend, self.name, self.root = backend, name, root
        self.jobs: queue.Queue = queue.Queue()
        self.requests = 0  # completion requests answered, for /health and tests
        self._stop = threading.Event()
        try:
            self.httpd = HTTPServer((host, port), _ServeHandler)
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port} ({exc}); pass another --port, or --port 0 for "
                "a free one"
            ) from None
        self.httpd.owner = self  # type: ignore[attr-defined]
        self._worker = threading.Thread(target=self._work, daemon=True)
        self._worker.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    # --- the model thread -------------------------------------------------------------------
    def submit(self, prompt, sampling: dict[str, Any]) -> Future:
        fut: Future = Future()
        self.jobs.put((prompt, sampling, fut))
        return fut

    def _work(self) -> None:
        pending: list[tuple] = []
        while not self._stop.is_set():
            if not pending:
                try:
                    pending.append(self.jobs.get(timeout=0.2))
                except queue.Empty:
                    continue
            while True:  # everything queued now joins the choice of the next batch
                try:
                    pending.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            first = pending[0][1]
            if first["temperature"] > 0:  # sampled: alone, so its seed alone decides it
                batch = pending[:1]
            else:
                same = [j for j in pending if j[1] == first]
                batch = same[: self.backend.batch_size]
            pending = [j for j in pending if all(j is not b for b in batch)]
            self._answer(batch, first)

    def _answer(self, batch: list[tuple], sampling: dict[str, Any]) -> None:
        try:
            texts = self.backend.generate([j[0] for j in batch], **sampling)
        except Exception as exc:  # a prompt the template refuses: find it, answer the others
            if len(batch) == 1:
                batch[0][2].set_exception(exc)
                return
            for job in batch:
                self._answer([job], sampling)
            return
        for (_, _, fut), text in zip(batch, texts):
            fut.set_result(text)

    # --- requests -----------------------------------------------------------------------
    def complete(self, route: str, req: dict[str, Any]) -> dict[str, Any]:
        """The OpenAI-style response to one completion request (raises RequestError)."""
        if req.get("model") != self.name:
            raise RequestError(
                404,
                f"model {req.get('model')!r} is not served here; this server serves {self.name!r}",
                "model_not_found",
            )
        for key, default in _UNSUPPORTED.items():
            if req.get(key, default) not in (default, None):
                raise RequestError(400, f"{key}={req[key]!r} is not supported by langadapt serve")
        chat = route == "chat"
        prompt = _chat_prompt(req) if chat else req.get("prompt")
        if not isinstance(prompt, str | list) or not prompt:
            raise RequestError(400, "the request has no messages (chat) or prompt (completion)")
        stop = req.get("stop") or []
        stop = [stop] if isinstance(stop, str) else [str(s) for s in stop]
        try:
            max_tokens = int(req.get("max_completion_tokens") or req.get("max_tokens") or 256)
            temperature = float(req.get("temperature") if req.get("temperature") is not None else 1)
            seed = None if req.get("seed") is None else int(req["seed"])
            # vLLM's extra sampling field (EndpointBackend sends it only when it is not 1.0)
            penalty = float(req.get("repetition_penalty") or 1.0)
        except (TypeError, ValueError) as exc:
            raise RequestError(400, f"bad sampling parameter: {exc}") from None
        sampling = {"max_new_tokens": max_tokens, "temperature": temperature, "stop": tuple(stop)}
        sampling["seed"] = seed
        sampling["repetition_penalty"] = penalty
        try:
            text = self.submit(prompt, sampling).result()
        except LangAdaptError as exc:  # a chat template refusing the messages, ...
            raise RequestError(400, str(exc)) from None
        n_tokens = len(self.backend.tokenizer(text, add_special_tokens=False)["input_ids"])
        finish = "length" if n_tokens >= max_tokens else "stop"
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
        if chat:
            choice["message"] = {"role": "assistant", "content": text}
        else:
            choice["text"] = text
        self.requests += 1
        return {
            "id": f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}",
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": self.name,
            "choices": [choice],
            "usage": {"completion_tokens": n_tokens},
        }

    def serve_forever(self) -> None:
        try:
            self.httpd.serve_forever()
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        self.httpd.server_close()


def _chat_prompt(req: dict[str, Any]) -> list[dict[str, str]]:
    msgs = req.get("messages")
    if not isinstance(msgs, list) or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) and m.get("role") for m in msgs
    ):
        raise RequestError(400, "messages must be a list of {role, content} with text content")
    msgs = [{"role": str(m["role"]), "content": m["content"]} for m in msgs]
    if msgs and msgs[-1]["role"] == "assistant" and not req.get("continue_final_message"):
        raise RequestError(
            400,
            "the last message is the assistant's: send continue_final_message: true to continue "
            "it, or end the conversation with a user message",
        )
    return msgs


class _ServeHandler(JSONHandler):
    def do_GET(self) -> None:
        owner: ModelServer = self.server.owner  # type: ignore[attr-defined]
        path = self.path.rstrip("/")
        if path == "/v1/models":
            entry = {"id": owner.name, "object": "model", "created": 0, "owned_by": "langadapt"}
            if owner.root:  # the served folder, as vLLM's `root`: a client finds the tokenizer
                entry["root"] = owner.root
            self._send(200, {"object": "list", "data": [entry]})
        elif path == "/health":
            self._send(200, {"status": "ok", "model": owner.name, "requests": owner.requests})
        else:
            self._error(404, f"no route GET {self.path}", "not_found")

    def do_POST(self) -> None:
        owner: ModelServer = self.server.owner  # type: ignore[attr-defined]
        route = {"/v1/chat/completions": "chat", "/v1/completions": "completion"}
        path = self.path.rstrip("/")
        try:
            raw = self._body()
            if path not in route:
                raise RequestError(404, f"no route POST {self.path}", "not_found")
            try:
                req = json.loads(raw)
            except ValueError as exc:
                raise RequestError(400, f"the body is not JSON ({exc})") from None
            if not isinstance(req, dict):
                raise RequestError(400, "the body is not a JSON object")
            self._send(200, owner.complete(route[path], req))
        except RequestError as exc:
            self._error(exc.status, str(exc), exc.code)
        except Exception as exc:  # a server bug must still answer, or the client hangs
            self._error(500, f"{type(exc).__name__}: {exc}", "server_error")


def run(
    model: Path,
    /,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    served_model: str | None = None,
    batch_size: int = 8,
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto",
    allow_pickle: bool = False,
) -> None:
    """Serve a local model folder as an OpenAI-compatible endpoint until interrupted (Ctrl-C).

    `/v1/chat/completions` (the model's chat template applied), `/v1/completions` and
    `/v1/models` (which names the served folder as `root`, so `langadapt eval` on this machine
    counts tokens with its tokenizer); greedy output equals in-process generation. Offline: nothing is fetched.
    Point any client at `http://HOST:PORT/v1`, e.g. `langadapt eval --model http://HOST:PORT/v1
    --served-model NAME`.

    Args:
        model: Hugging Face model folder (safetensors) with its tokenizer.
        host: address to listen on; the default answers this machine only (the server has no
            authentication: bind another address only on a trusted network).
        port: TCP port; 0 picks a free one (the line printed at start names it).
        served_model: the model id clients send; default the folder's name.
        batch_size: greedy requests generated together at most.
        dtype: weights dtype; auto keeps the checkpoint's.
        allow_pickle: allow loading pickle (.bin) weights.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"  # a folder is served; a hub name must fail, not hang
    from langadapt.llm.local import LocalBackend

    folder = Path(model)
    if not folder.is_dir():
        raise InputError(f"model {model} is not a folder; serve needs a local HF model folder")
    if batch_size < 1:
        raise InputError(f"--batch-size {batch_size} must be at least 1")
    backend = LocalBackend(folder, batch_size=batch_size, dtype=dtype, allow_pickle=allow_pickle)
    name = served_model or folder.name
    server = ModelServer(backend, name, host=host, port=port, root=str(folder.resolve()))
    print(f"serving {server.name} at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
