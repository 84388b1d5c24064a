"""Any OpenAI-compatible endpoint (vLLM, SGLang, TGI, llama.cpp server, `langadapt serve`, a
hosted API) as a generation `Backend`: many calls in flight, cached, retried.

Built on the official `openai` client (extra `openai`), whose retries (exponential backoff with
jitter, `Retry-After` honoured, on connection errors, timeouts, 408/409/429 and 5xx) and
timeouts are configured here, not rewritten. On top of it:

- **Concurrency**: up to `concurrency` requests in flight (asyncio); results come back in input
  order, identical prompts are asked once.
- **Cache** (`llm.cache.CallCache`, SQLite in WAL mode): each call is stored the moment it
  completes, so a rerun after a crash makes only the missing calls; a failed call is never
  stored.
- **Stop strings** are sent and also cut client-side (some servers return them in the content).
- **Failures**: a call that still fails after its retries stops new calls from starting; those
  in flight finish (and are cached), then an `EndpointError` names the URL, what failed and what
  to do. A rerun makes only what is missing.
- **Secrets**: the API key is read from the environment variable named by `api_key_env` when
  the client is built and given only to the HTTP client; configs, caches, manifests, logs and
  errors hold the variable's name, never its value.

A chat prompt whose last message is the assistant's is continued (`continue_final_message`, as
vLLM and `langadapt serve` accept); plain-text prompts go to `/v1/completions`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from langadapt.errors import EndpointError, InputError, require
from langadapt.llm.backend import Prompt, cut_at_stop
from langadapt.llm.cache import CacheMode, CallCache, request_key
from langadapt.llm.eventloop import LoopThread
from langadapt.llm.failures import explain

MAX_STOP = 4  # the OpenAI API accepts at most 4 stop strings; the rest are cut client-side
_NO_KEY = "not-needed"  # local servers ignore the key, but the client refuses an empty one


def is_endpoint(model: str | Path) -> bool:
    """True when `model` names an HTTP endpoint (`http://HOST:PORT/v1`) rather than a folder."""
    return str(model).startswith(("http://", "https://"))


def public_url(url: str) -> str:
    """`url` without user:password (how it is written in caches, manifests and messages)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def default_cache_path() -> Path:
    from langadapt.artifacts import cache_root

    return cache_root() / "llm" / "calls.sqlite"


class MalformedAnswer(Exception):
    """An HTTP 200 whose JSON is not a completion (no choices, no content)."""


@dataclass
class Completion:
    """One answer: the text (cut at stop strings) and what the endpoint said about it."""

    text: str
    finish_reason: str | None
    model_id: str | None
    latency_s: float
    cached: bool


@dataclass
class CallStats:
    """Counts over the life of a client: calls made, answered from the cache, failed."""

    made: int = 0
    cached: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class EndpointBackend:
    """Generate with a model behind an OpenAI-compatible endpoint (state: cache, counts).

    Args:
        base_url: the endpoint's API root, e.g. `http://127.0.0.1:8000/v1`.
        model: the model name the endpoint serves (its `/v1/models` ids).
        api_key_env: name of the environment variable that holds the API key; None for
            endpoints that need none.
        concurrency: requests in flight at once.
        timeout_s: seconds to wait for one answer before the attempt counts as failed.
        max_retries: retries per call after the first attempt (the client's backoff between).
        cache: 'readwrite', 'read', 'write' or 'off' (see `llm.cache.CallCache`).
        cache_path: the SQLite file; default `<cache root>/llm/calls.sqlite`.
        progress: show a progress bar (calls made / cached / failed).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        concurrency: int = 16,
        timeout_s: float = 120.0,
        max_retries: int = 4,
        cache: CacheMode = "readwrite",
        cache_path: Path | None = None,
        progress: bool = False,
    ) -> None:
        require("openai", "openai", "calling an OpenAI-compatible endpoint")
        if not is_endpoint(base_url):
            raise InputError(
                f"endpoint {base_url!r} is not an http(s) URL; pass e.g. http://127.0.0.1:8000/v1"
            )
        if not model:
            raise InputError(f"no model name given for endpoint {public_url(base_url)}")
        if concurrency < 1 or max_retries < 0 or timeout_s <= 0:
            raise InputError("concurrency must be >= 1, max_retries >= 0 and timeout_s > 0")
        self.base_url, self.url, self.model = base_url.rstrip("/"), public_url(base_url), model
        self.api_key_env = api_key_env
        self._key = self._read_key(api_key_env)
        self.concurrency, self.timeout_s, self.max_retries = concurrency, timeout_s, max_retries
        self.cache = CallCache(cache_path or default_cache_path(), mode=cache)
        self.progress = progress
        self.stats = CallStats()
        # one loop and one HTTP client for the backend's life: its connections are reused by
        # every generate call instead of being opened again per call (llm/eventloop.py)
        self._loop = LoopThread()
        self._http = None

    @staticmethod
    def _read_key(name: str | None) -> str:
        if not name:
            return _NO_KEY
        value = os.environ.get(name)
        if not value:
            raise EndpointError(
                f"the environment variable {name} (api_key_env) is not set or empty; export "
                "it with the endpoint's API key, or drop api_key_env for an endpoint without one"
            )
        return value

    def _client(self):
        """The backend's async client, built on first use on the backend's loop."""
        import openai

        if self._http is None:
            self._http = openai.AsyncOpenAI(
                base_url=self.base_url,
                api_key=self._key,
                max_retries=self.max_retries,
                timeout=self.timeout_s,
            )
        return self._http

    def close(self) -> None:
        """Close the HTTP connections and stop the backend's loop thread (a later call opens
        them again). The process's exit does the same for a backend never closed."""
        if self._http is not None and self._loop.running:
            self._loop.run(self._http.close())
        self._http = None
        self._loop.close()

    def __enter__(self) -> EndpointBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        prompt: Prompt,
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        seed: int | None = None,
        repetition_penalty: float = 1.0,
    ) -> dict[str, Any]:
        """The request of one prompt as data: what is sent and what the cache key hashes."""
        req: dict[str, Any] = {"model": self.model}
        if isinstance(prompt, str):
            req |= {"api": "completion", "prompt": prompt}
        else:
            msgs = [{"role": str(m["role"]), "content": str(m["content"])} for m in prompt]
            req |= {"api": "chat", "messages": msgs}
            if msgs and msgs[-1]["role"] == "assistant":
                req |= {"continue_final_message": True, "add_generation_prompt": False}
        req |= {"max_tokens": int(max_new_tokens), "temperature": float(temperature)}
        req["stop"] = [s for s in stop if s]
        if seed is not None:
            req["seed"] = int(seed)
        if repetition_penalty != 1.0:  # absent at 1.0, so earlier cache keys stay valid
            req["repetition_penalty"] = float(repetition_penalty)
        return req

    async def _call(self, client, req: dict[str, Any]) -> tuple[str, str | None, str | None]:
        """(text, model id, finish reason) of one request; raises the client's errors, or
        `MalformedAnswer` for a 200 that is not a completion."""
        body = {k: v for k, v in req.items() if k not in ("api", "stop")}
        # not in the OpenAI schema: sent in the body's extra fields (vLLM, SGLang and TGI's
        # OpenAI routes read repetition_penalty there)
        extra = {
            k: body.pop(k)
            for k in ("continue_final_message", "add_generation_prompt", "repetition_penalty")
            if k in body
        }
        if req["stop"]:
            body["stop"] = req["stop"][:MAX_STOP]
        if req["api"] == "chat":
            resp = await client.chat.completions.create(**body, extra_body=extra or None)
        else:
            resp = await client.completions.create(**body, extra_body=extra or None)
        try:
            choice = resp.choices[0]
            text = choice.message.content if req["api"] == "chat" else choice.text
            if not isinstance(text, str | None):
                raise TypeError(f"content is {type(text).__name__}")
            return text or "", getattr(resp, "model", None), choice.finish_reason
        except (AttributeError, IndexError, KeyError, TypeError) as exc:
            raise MalformedAnswer(f"{type(exc).__name__}: {exc}") from None

    async def _run(self, reqs: list[dict[str, Any]]) -> list[Completion | None]:
        import openai
        from tqdm import tqdm

        out: list[Completion | None] = [None] * len(reqs)
        todo: dict[str, list[int]] = {}
        for i, req in enumerate(reqs):
            key = request_key(req)
            if key in todo:  # a prompt asked twice in one batch: one call
                todo[key].append(i)
                continue
            hit = self.cache.get(key)
            if hit is None:
                todo[key] = [i]
                continue
            self.stats.cached += 1
            out[i] = Completion(
                cut_at_stop(hit["text"], req["stop"]),
                hit["finish_reason"],
                hit["model_id"],
                hit["latency_s"],
                True,
            )
        bar = tqdm(total=len(todo), desc=f"calls to {self.model}", disable=not self.progress)
        sem = asyncio.Semaphore(self.concurrency)
        failures: list[str] = []
        client = self._client()

        async def one(key: str, req: dict[str, Any]) -> None:
            async with sem:
                if failures:  # stop starting new calls once one has failed for good
                    return
                t0 = time.perf_counter()
                try:
                    text, model_id, finish = await self._call(client, req)
                except (openai.OpenAIError, MalformedAnswer) as exc:  # retried by the client
                    self.stats.failed += 1
                    failures.append(await explain(exc, self, client))
                    bar.set_postfix(
                        made=self.stats.made, cached=self.stats.cached, failed=self.stats.failed
                    )
                    return
                latency = time.perf_counter() - t0
                self.cache.put(
                    key,
                    req,
                    text,
                    model_id=model_id,
                    finish_reason=finish,
                    latency_s=latency,
                    endpoint=self.url,
                )
                self.stats.made += 1
                done = Completion(cut_at_stop(text, req["stop"]), finish, model_id, latency, False)
                for i in todo[key]:
                    out[i] = done
                bar.update(1)
                bar.set_postfix(
                    made=self.stats.made, cached=self.stats.cached, failed=self.stats.failed
                )

        try:
            await asyncio.gather(*(one(k, reqs[idx[0]]) for k, idx in todo.items()))
        finally:
            bar.close()
        if failures:
            self.stats.errors += failures
            missing = sum(c is None for c in out)
            if not self.cache.writes:
                kept = "the cache does not write, so a rerun makes every call again"
            elif missing == len(reqs):
                kept = "none finished"
            else:
                kept = (
                    f"the {len(reqs) - missing} that finished are cached in {self.cache.path}, "
                    "so a rerun makes only the missing calls"
                )
            raise EndpointError(f"{failures[0]} ({missing} of {len(reqs)} answers missing; {kept})")
        return out

    def complete(self, prompts: Sequence[Prompt], **sampling: Any) -> list[Completion]:
        """One `Completion` per prompt, in order; see `generate` for `sampling`."""
        reqs = [self.request(p, **sampling) for p in prompts]
        return self._loop.run(self._run(reqs))  # type: ignore[return-value]

    def generate(
        self,
        prompts: Sequence[Prompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        seed: int | None = None,
        repetition_penalty: float = 1.0,
    ) -> list[str]:
        """Completions of `prompts` (the `Backend` protocol), each cut before any `stop` string.

        Temperature 0 asks for greedy decoding; above 0 the endpoint samples, reproducibly
        when `seed` is given and the endpoint honours seeds. `repetition_penalty` other than
        1.0 is sent as an extra body field (vLLM's and TGI's name for HF's penalty). A sampled answer is cached like
        any other: to draw several samples of one prompt, give each call its own seed.
        """
        done = self.complete(
            prompts,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            stop=stop,
            seed=seed,
            repetition_penalty=repetition_penalty,
        )
        return [c.text for c in done]

    def card(self) -> dict[str, Any] | None:
        """The endpoint's `/v1/models` entry of `model` (its `id`, and e.g. `root`, the served
        folder, from vLLM or `langadapt serve`), checked before a long job starts.

        Returns None when the endpoint has no `/v1/models` route (then nothing can be checked);
        raises EndpointError, naming the URL, when it cannot be reached or does not serve
        `model` (listing what it serves).
        """

        async def find() -> dict[str, Any] | None:
            import openai

            client = self._client()
            try:
                cards = [m.model_dump() async for m in client.models.list()]
            except openai.NotFoundError:
                return None
            except openai.OpenAIError as exc:
                raise EndpointError(await explain(exc, self, client)) from None
            for c in cards:
                if c.get("id") == self.model:
                    return c
            served = ", ".join(str(c.get("id")) for c in cards[:20]) or "no models"
            raise EndpointError(
                f"endpoint {self.url} does not serve model {self.model!r}; it serves: {served}; "
                "pass one of those names as the served model"
            )

        return self._loop.run(find())

    def models(self) -> list[str]:
        """The model ids the endpoint lists at `/v1/models`."""

        async def ids() -> list[str]:
            return [m.id async for m in self._client().models.list()]

        return self._loop.run(ids())
