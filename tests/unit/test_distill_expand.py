"""`distill expand` against a scripted loopback teacher: per-label quotas met, exact and near
duplicates of the seeds and of each other dropped and counted, a shortfall reported, the
exemplars sampled by seed, a killed run resumed from its item log, and bad quotas refused."""

from __future__ import annotations

import json
import threading

import pytest

from langadapt.corpus import read_json_lines, write_json_lines
from langadapt.distill import expand, records
from langadapt.errors import InputError
from langadapt.llm.clientopts import Client
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")
pytest.importorskip("rapidfuzz")

SEEDS = [
    ("What is 2 plus 3?", "Math"),
    ("What is 7 times 6?", "Math"),
    ("Solve x + 4 = 9 for x.", "Math"),
    ("How many legs do three cats have?", "Math"),
    ("Fix this code: print(x", "Code Debug"),
    ("Write a Python function that reverses a list.", "Code Debug"),
]
SCRIPT = {
    "Math": [
        "<instruction>What is 2 plus 3?</instruction>",  # a seed: exact
        "<instruction>What is 2 plus 35?</instruction>",  # near a seed
        "<instruction>What is the square root of 144?</instruction>",
        "what is the SQUARE root of 144",  # the kept one again: exact
        "<instruction>A train travels 60 km in an hour; how far does it go in five hours?",
        "<instruction>Is 97 a prime number?</instruction>",
        "<instruction>Convert three quarters to a percentage.</instruction>",
    ],
    "Code Debug": [
        "Sure! <instruction>Find the bug: for i in range(10) print(i)</instruction>",
        "<instruction>Explain why this JavaScript loop never ends: while (x = 1) {}</instruction>",
    ],
}


def scripted(script):
    seen = {k: 0 for k in script}
    lock = threading.Lock()

    def reply(messages) -> str:
        text = messages[-1]["content"]
        label = next(k for k in script if f'category "{k}"' in text)
        with lock:
            i = seen[label]
            seen[label] += 1
        return script[label][i] if i < len(script[label]) else script[label][-1]

    return reply


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "hard.jsonl"
    write_json_lines(path, [{"id": str(i), "prompt": p, "label": k, "hard": True}
                            for i, (p, k) in enumerate(SEEDS)])  # fmt: skip
    return path


def opts(tmp_path, **kw):
    client = Client(concurrency=1, max_retries=0, cache_path=tmp_path / "c.sqlite", **kw)
    return dict(served_model="echo", client=client, progress=False)


def test_quotas_dedup_and_counts(data, tmp_path):
    with EchoEndpoint(reply=scripted(SCRIPT)) as stub:
        out = expand.run(data=data, out=tmp_path / "x", teacher=stub.url, **opts(tmp_path))
        assert stub.total == 9  # Math: 4 calls, 1 kept; 3 more, all kept; Code: 2 calls
    new = read_json_lines(out / "expanded.jsonl")
    summary = json.loads((out / "summary.json").read_text())
    assert [r["prompt"] for r in new if r["label"] == "Math"] == [
        "What is the square root of 144?",
        "A train travels 60 km in an hour; how far does it go in five hours?",
        "Is 97 a prime number?",
        "Convert three quarters to a percentage.",
    ]
    assert [r["prompt"] for r in new if r["label"] == "Code Debug"][0].startswith("Find the bug")
    assert summary["dropped"] == {"exact": 2, "near": 1, "empty": 0}
    assert summary["labels"]["Math"] == {"quota": 4, "made": 4, "calls": 7}
    assert summary["short"] == 0 and len(read_json_lines(out / "all.jsonl")) == 12
    assert all(len(r["shots"]) == 3 and r["expanded"] for r in new if r["label"] == "Math")


def test_shortfall_reported_not_padded(data, tmp_path):
    script = {"Math": ["<instruction>What is 2 plus 3?</instruction>"], "Code Debug": ["Fix it"]}
    q = tmp_path / "q.yaml"
    q.write_text("Math: 2\nCode Debug: 1\n")
    with EchoEndpoint(reply=scripted(script)) as stub:
        out = expand.run(data=data, out=tmp_path / "x", teacher=stub.url, quotas=q,
                         max_calls_factor=2, **opts(tmp_path))  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert summary["labels"]["Math"] == {"quota": 2, "made": 0, "calls": 4}
    assert summary["labels"]["Code Debug"] == {"quota": 1, "made": 1, "calls": 1}
    assert summary["short"] == 2


def test_exemplars_sampled_by_seed():
    pool = [{"id": str(i), "prompt": f"task {i}"} for i in range(10)]
    tpl = expand.template_file.load_template(None, default=expand.DEFAULT_PROMPT,
                                             variables={"label", "examples"}, what="p",
                                             fills="f")  # fmt: skip
    a = expand._call(tpl, "Math", pool, 0, 3, seed=5)
    assert a == expand._call(tpl, "Math", pool, 0, 3, seed=5)
    assert a["shots"] != expand._call(tpl, "Math", pool, 1, 3, seed=5)["shots"]
    assert all(f"task {i}" in a["text"] for i in a["shots"])
    assert expand.parse_instruction('x <instruction> "Do y." </instruction>') == "Do y."


def test_killed_run_resumes_from_item_log(data, tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setattr(records, "CHUNK", 2)
    state = {"after": 5, "n": 0}

    def by_prompt(messages):  # the same prompt (the same exemplars) gets the same reply
        state["n"] += 1
        if state["n"] > state["after"]:
            raise ConnectionError("down")
        digest = hashlib.sha1(messages[-1]["content"].encode()).hexdigest()[:8]
        return f"<instruction>New task about {digest}</instruction>"

    full, out = tmp_path / "full", tmp_path / "x"
    with EchoEndpoint(reply=by_prompt) as stub:  # one endpoint: its URL is in the options
        state["after"] = 10**6
        expand.run(data=data, out=full, teacher=stub.url, **opts(tmp_path, cache="off"))
        calls = stub.total
        state.update(after=calls + 5)
        with pytest.raises(Exception):  # noqa: B017
            expand.run(data=data, out=out, teacher=stub.url, **opts(tmp_path, cache="off"))
        logged = read_json_lines(tmp_path / ".x.partial" / "items" / "calls.jsonl")
        assert len(logged) == 4  # two chunks of two finished before the fifth call's failed
        state["after"], before = 10**6, stub.total
        expand.run(data=data, out=out, teacher=stub.url, **opts(tmp_path, cache="off"))
        assert stub.total - before == calls - 4  # no logged call is asked again
    assert read_json_lines(out / "expanded.jsonl") == read_json_lines(full / "expanded.jsonl")


@pytest.mark.parametrize("table, match", [("Math: -1", "whole number"),
                                          ("Poetry: 3", "no exemplar"), ("[]", "map labels")])  # fmt: skip
def test_bad_quotas(data, tmp_path, table, match):
    q = tmp_path / "q.yaml"
    q.write_text(table)
    with pytest.raises(InputError, match=match):
        expand.run(data=data, out=tmp_path / "x", teacher="http://127.0.0.1:9/v1", quotas=q,
                   **opts(tmp_path))  # fmt: skip


def test_unlabelled_records_refused(tmp_path):
    path = tmp_path / "hard.jsonl"
    write_json_lines(path, [{"id": "1", "prompt": "Do it."}])
    with pytest.raises(InputError, match="'label'"):
        expand.run(data=path, out=tmp_path / "x", teacher="http://127.0.0.1:9/v1",
                   **opts(tmp_path))  # fmt: skip
