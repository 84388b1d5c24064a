"""`langadapt serve` on a tiny model, driven by the endpoint client with 16 requests in flight.

The server is a real subprocess (`python -m langadapt serve DIR --port 0`) on 127.0.0.1; the
test reads the URL it prints, and terminates it at the end. Its greedy answers must equal the
in-process `LocalBackend`'s, token for token.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading

import pytest

from langadapt.errors import EndpointError
from langadapt.llm.client import EndpointBackend
from langadapt.llm.local import LocalBackend

pytest.importorskip("openai")
pytestmark = pytest.mark.slow

PROMPTS = [
    [{"role": "user", "content": text}]
    for text in [
        "Where does Anna live?",
        "Tell me about the cat.",
        "Расскажите о Москве.",
        "What is 2 + 2?",
        "Write a list of three animals.",
        "Who is the doctor in the village?",
        "Translate to Russian: the house is white.",
        "Name a city.",
    ]
] + [[{"role": "user", "content": f"Question {i}: what is item {i * 7}?"}] for i in range(8)]


def start_server(model, *extra: str):
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false")
    proc = subprocess.Popen(
        [sys.executable, "-m", "langadapt", "serve", str(model), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=120)  # the model loads first
    except queue.Empty:
        proc.kill()
        pytest.fail("langadapt serve printed nothing within 120 s")
    assert line.startswith("serving "), line
    return proc, line.split(" at ")[1].strip()


@pytest.fixture(scope="module")
def served(tiny_dir):
    model = tiny_dir("llama")
    proc, url = start_server(model, "--served-model", "tiny")
    yield LocalBackend(model), url  # the in-process reference, loaded once
    proc.terminate()
    proc.wait(timeout=30)


def test_sixteen_in_flight_equal_in_process_greedy(served, tmp_path):
    local, url = served
    assert url.startswith("http://127.0.0.1:")
    client = EndpointBackend(url, "tiny", concurrency=16, cache_path=tmp_path / "c.sqlite")
    remote = client.generate(PROMPTS, max_new_tokens=12)
    mine = local.generate(PROMPTS, max_new_tokens=12)
    assert remote == mine
    assert len(set(mine)) > 4  # the prompts get different answers: the comparison is not empty
    assert client.models() == ["tiny"]
    # continuing an assistant prefix, stop strings and plain completions match too
    prefixed = [p + [{"role": "assistant", "content": "Answer:"}] for p in PROMPTS[:4]]
    kw = {"max_new_tokens": 10, "stop": ["e"]}
    assert client.generate(prefixed, **kw) == local.generate(prefixed, **kw)
    assert all("e" not in t for t in client.generate(PROMPTS[:4], **kw))
    raw = ["The cat lives in", "Anna is a"]
    assert client.generate(raw, max_new_tokens=8) == local.generate(raw, max_new_tokens=8)


def test_repetition_penalty_is_honoured(served, tmp_path):
    """The paper's decoding for cross-lingual eval (penalty 1.2) gives the same text served."""
    local, url = served
    client = EndpointBackend(url, "tiny", concurrency=4, cache_path=tmp_path / "c.sqlite")
    kw = {"max_new_tokens": 16, "repetition_penalty": 1.3}
    penalised = local.generate(PROMPTS[:4], **kw)
    assert client.generate(PROMPTS[:4], **kw) == penalised
    assert penalised != local.generate(PROMPTS[:4], max_new_tokens=16)  # the penalty acts


def test_sampling_follows_temperature_and_seed(served, tmp_path):
    local, url = served
    client = EndpointBackend(url, "tiny", cache="off")
    one = PROMPTS[:1]
    a = client.generate(one, max_new_tokens=16, temperature=1.0, seed=1)
    assert a == client.generate(one, max_new_tokens=16, temperature=1.0, seed=1)
    assert a == local.generate(one, max_new_tokens=16, temperature=1.0, seed=1)
    draws = {client.generate(one, max_new_tokens=16, temperature=1.0, seed=s)[0] for s in range(4)}
    assert len(draws) > 1  # temperature > 0 samples
    greedy = client.generate(one, max_new_tokens=16)[0]
    assert greedy == local.generate(one, max_new_tokens=16)[0]


def test_bad_requests_are_named(served, tmp_path):
    _, url = served
    with pytest.raises(EndpointError, match="'other'.*it serves: tiny"):
        EndpointBackend(url, "other", cache="off").generate(PROMPTS[:1], max_new_tokens=2)


def test_serve_refuses_a_missing_folder(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "langadapt", "serve", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "is not a folder" in proc.stderr
