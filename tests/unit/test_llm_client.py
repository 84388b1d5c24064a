"""The endpoint client against a loopback echo endpoint: order, cache, stops, and bad input.

Every server here binds 127.0.0.1 on a free port and is stopped by its `with` block; the
client's timeouts are short, so no test waits long on a dead endpoint.
"""

from __future__ import annotations

import socket
import sqlite3

import pytest

from langadapt.errors import EndpointError, InputError
from langadapt.llm.cache import CallCache
from langadapt.llm.client import EndpointBackend, public_url
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")


def chat(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def client(url: str, tmp_path, **kw) -> EndpointBackend:
    kw.setdefault("model", "echo")
    kw.setdefault("cache_path", tmp_path / "calls.sqlite")
    kw.setdefault("timeout_s", 5.0)
    kw.setdefault("max_retries", 1)
    return EndpointBackend(url, kw.pop("model"), **kw)


def test_results_in_order_cached_and_asked_once(tmp_path):
    prompts = [chat(f"q{i}") for i in range(40)] + [chat("q3")]  # one prompt twice
    with EchoEndpoint(latency_s=0.01) as stub:
        b = client(stub.url, tmp_path, concurrency=8)
        assert b.generate(prompts) == [f"echo: q{i}" for i in range(40)] + ["echo: q3"]
        assert (b.stats.made, b.stats.cached, stub.total) == (40, 0, 40)
        again = client(stub.url, tmp_path).generate(prompts)  # a new client: the same file
        assert again == [f"echo: q{i}" for i in range(40)] + ["echo: q3"]
        assert stub.total == 40  # nothing asked twice
        # another sampling parameter is another request
        client(stub.url, tmp_path).generate(prompts[:2], max_new_tokens=7)
        assert stub.total == 42


def test_stored_record_keeps_parameters_model_finish_and_latency(tmp_path):
    with EchoEndpoint() as stub:
        b = client(stub.url, tmp_path)
        (c,) = b.complete([chat("hello")], max_new_tokens=9, temperature=0.5, seed=3)
    assert (c.text, c.finish_reason, c.model_id, c.cached) == ("echo: hello", "stop", "echo", False)
    db = sqlite3.connect(tmp_path / "calls.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    (request, model_id, finish, latency, endpoint) = db.execute(
        "SELECT request, model_id, finish_reason, latency_s, endpoint FROM calls"
    ).fetchone()
    for part in ('"max_tokens": 9', '"temperature": 0.5', '"seed": 3', '"hello"'):
        assert part in request
    assert (model_id, finish, endpoint) == ("echo", "stop", stub.url) and latency > 0


def test_stop_strings_cut_client_side_and_plain_text_goes_to_completions(tmp_path):
    with EchoEndpoint() as stub:
        b = client(stub.url, tmp_path, cache="off")
        # the echo returns the stop string inside its content, as some servers do
        assert b.generate([chat("one STOP two")], stop=["STOP"]) == ["echo: one "]
        assert stub.last["stop"] == ["STOP"]
        assert b.generate(["raw text"]) == ["echo: raw text"]
        assert "prompt" in stub.last and "messages" not in stub.last
        # a final assistant message is an answer to continue (vLLM's convention)
        b.generate([chat("q") + [{"role": "assistant", "content": "Answer:"}]])
        assert stub.last["continue_final_message"] is True
        assert stub.last["add_generation_prompt"] is False


@pytest.mark.parametrize(
    ("mode", "stored", "second_run_calls"),
    [("off", 0, 3), ("read", 0, 3), ("write", 3, 3), ("readwrite", 3, 0)],
)
def test_cache_modes(tmp_path, mode, stored, second_run_calls):
    prompts = [chat(f"m{i}") for i in range(3)]
    with EchoEndpoint() as stub:
        client(stub.url, tmp_path, cache=mode).generate(prompts)
        assert stub.total == 3
        client(stub.url, tmp_path, cache=mode).generate(prompts)
        assert stub.total == 3 + second_run_calls
    if mode != "off":
        assert len(CallCache(tmp_path / "calls.sqlite")) == stored


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_endpoint_names_the_url_and_keeps_what_finished(tmp_path):
    with EchoEndpoint() as stub:
        url = stub.url
        client(stub.url, tmp_path).generate([chat("kept")])
    # the stub is gone: its port refuses connections now
    b = client(url, tmp_path, max_retries=1)
    with pytest.raises(EndpointError) as err:
        b.generate([chat("kept"), chat("lost")])
    msg = str(err.value)
    assert url in msg and "cannot be reached" in msg and "2 attempts" in msg
    assert "1 of 2 answers missing" in msg and "rerun makes only the missing" in msg
    assert (b.stats.cached, b.stats.failed) == (1, 1)
    assert len(CallCache(tmp_path / "calls.sqlite")) == 1  # the failure was not stored


def test_401_names_the_variable_never_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("LANGADAPT_TEST_JUDGE_KEY", "sk-wrong-0123")
    with EchoEndpoint(api_key="sk-right") as stub:
        b = client(stub.url, tmp_path, api_key_env="LANGADAPT_TEST_JUDGE_KEY")
        with pytest.raises(EndpointError) as err:
            b.generate([chat("x")])
    msg = str(err.value)
    assert "HTTP 401" in msg and "LANGADAPT_TEST_JUDGE_KEY" in msg and "sk-wrong" not in msg
    assert len(CallCache(tmp_path / "calls.sqlite")) == 0


def test_a_model_the_server_does_not_serve(tmp_path):
    with EchoEndpoint(model="served-one") as stub:
        with pytest.raises(EndpointError) as err:
            client(stub.url, tmp_path, model="other").generate([chat("x")])
        assert client(stub.url, tmp_path, model="served-one").models() == ["served-one"]
    msg = str(err.value)
    assert "404" in msg and "'other'" in msg and "it serves: served-one" in msg


def test_bad_configuration(tmp_path, monkeypatch):
    monkeypatch.delenv("LANGADAPT_UNSET_KEY", raising=False)
    with pytest.raises(EndpointError, match="LANGADAPT_UNSET_KEY .*not set"):
        client("http://127.0.0.1:9/v1", tmp_path, api_key_env="LANGADAPT_UNSET_KEY")
    with pytest.raises(InputError, match="not an http"):
        client("127.0.0.1:8000", tmp_path)
    with pytest.raises(InputError, match="cache mode"):
        client("http://127.0.0.1:9/v1", tmp_path, cache="sometimes")
    with pytest.raises(InputError, match="concurrency"):
        client("http://127.0.0.1:9/v1", tmp_path, concurrency=0)


def test_public_url_drops_credentials():
    assert public_url("http://user:pw@host:8000/v1/") == "http://host:8000/v1"


def test_a_damaged_cache_file_is_an_input_error(tmp_path):
    bad = tmp_path / "calls.sqlite"
    bad.write_bytes(b"not a database" * 100)
    with pytest.raises(InputError, match="cannot be opened as SQLite"):
        CallCache(bad)
