"""The endpoint client under faults, a kill -9 mid-job, and a sentinel API key.

- A fault-injecting proxy on loopback fails 30% of distinct calls (429 with Retry-After, 500,
  a hung connection, a truncated body; a third of them twice): a 200-call job completes with
  every answer right, no failure cached, and no call attempted more often than the retry limit.
- A 200-call job in a subprocess is killed with SIGKILL midway; the rerun makes only the calls
  the first run did not finish (counted by the endpoint).
- `langadapt judge` against an endpoint that demands a sentinel key: the key is sent, and no
  file the run writes (output folder, cache, manifest) nor its output contains it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from langadapt.llm.cache import CallCache, request_key
from langadapt.llm.client import EndpointBackend
from langadapt.llm.loopback import FAULTS, EchoEndpoint, FaultProxy

pytest.importorskip("openai")
pytestmark = pytest.mark.slow

N = 200


def prompts(tag: str) -> list[list[dict]]:
    return [[{"role": "user", "content": f"{tag} {i}"}] for i in range(N)]


def test_200_calls_through_faults(tmp_path):
    retries = 3
    with EchoEndpoint() as stub, FaultProxy(stub.url, rate=0.3, hang_s=20) as proxy:
        client = EndpointBackend(
            proxy.url,
            "echo",
            concurrency=16,
            timeout_s=1.0,  # a hung connection costs one second, then a retry
            max_retries=retries,
            cache_path=tmp_path / "c.sqlite",
        )
        job = prompts("fault")
        out = client.generate(job)
        assert out == [EchoEndpoint.answer(p) for p in job]
        assert (client.stats.made, client.stats.failed) == (N, 0)
        keys = [k for k in proxy.attempts]
        faulted = sum(proxy.faulted(k) for k in keys) / len(keys)
        assert 0.2 <= faulted <= 0.4, faulted
        assert set(proxy.faults) == set(FAULTS)  # each kind was injected
        assert max(proxy.attempts.values()) <= retries + 1
        assert max(proxy.attempts.values()) >= 3  # some calls failed twice and still finished
    cache = CallCache(tmp_path / "c.sqlite")
    assert len(cache) == N  # one row per call: no failure stored
    for p in job:
        row = cache.get(request_key(client.request(p)))
        assert row["text"] == EchoEndpoint.answer(p) and row["finish_reason"] == "stop"


JOB = textwrap.dedent(
    """
    import sys
    from langadapt.llm.client import EndpointBackend
    url, cache = sys.argv[1], sys.argv[2]
    job = [[{"role": "user", "content": f"kill {i}"}] for i in range(200)]
    EndpointBackend(url, "echo", concurrency=4, cache_path=cache).generate(job)
    """
)


def test_kill_9_midway_then_rerun_makes_only_missing_calls(tmp_path):
    cache_path = tmp_path / "c.sqlite"
    with EchoEndpoint(latency_s=0.03) as stub:
        proc = subprocess.Popen([sys.executable, "-c", JOB, stub.url, str(cache_path)])
        deadline = time.monotonic() + 120
        while stub.total < N // 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        # calls in flight at the kill are still asleep in the stub and count when they wake
        time.sleep(10 * 0.03)
        first = stub.total
        assert 0 < first < N, "the job was not killed midway"
        kept = len(CallCache(cache_path))
        assert 0 < kept <= first  # calls in flight at the kill were made but not stored
        client = EndpointBackend(stub.url, "echo", concurrency=4, cache_path=cache_path)
        job = prompts("kill")
        assert client.generate(job) == [EchoEndpoint.answer(p) for p in job]
        assert stub.total - first == N - kept  # only the missing calls
        assert (client.stats.cached, client.stats.made) == (kept, N - kept)
        assert max(stub.calls.values()) <= 2  # at most the calls lost in flight were repeated


def test_sentinel_api_key_is_never_written(tmp_path):
    sentinel = "sk-sentinel-7f3a9c2e5b"
    answers = tmp_path / "answers.jsonl"
    rows = [
        {"id": "a", "prompt": "Where does Anna live?", "answer": "Milan", "answers": ["Milan"]},
        {"id": "b", "prompt": "Where does Oleg live?", "answer": "Rome", "answers": ["Kazan"]},
    ]
    answers.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env = dict(os.environ, LANGADAPT_CACHE=str(tmp_path / "cache"), JUDGE_KEY=sentinel)
    with EchoEndpoint(api_key=sentinel, reply=lambda msgs: '{"score": 10}') as stub:
        proc = subprocess.run(
            [sys.executable, "-m", "langadapt", "judge", "--answers", str(answers)]
            + ["--out", str(tmp_path / "out"), "--judges", "world", "llm"]
            + ["--judge-model", stub.url, "--served-model", "echo", "--api-key-env", "JUDGE_KEY"]
            + ["--no-progress"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        assert stub.total == 2  # the key was sent: the endpoint refuses any other
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["judges"]["world"]["mean"] == 0.5 and summary["judges"]["llm"]["mean"] == 1.0
    assert summary["agreement"]["world~llm"]["pass_agreement"] == 0.5
    manifest = (tmp_path / "out" / "manifest.json").read_text()
    assert "JUDGE_KEY" in manifest  # the variable's name is recorded, its value is not
    written = [p for p in Path(tmp_path).rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in written)
    for p in written:
        assert sentinel.encode() not in p.read_bytes(), p
    assert sentinel not in proc.stdout + proc.stderr
