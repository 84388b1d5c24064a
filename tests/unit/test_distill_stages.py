"""The distill stages against a loopback endpoint: seed -> classify -> balance -> difficulty,
and their bad inputs (unknown seed format, empty taxonomy, bad ratios, a judge reply with no
score counted and reported)."""

from __future__ import annotations

import json

import pytest

from langadapt.corpus import read_json_lines
from langadapt.distill import classify, difficulty, rebalance, records, seed
from langadapt.errors import ConfigError, InputError
from langadapt.llm.clientopts import Client
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")

SEED = [
    {"instruction": "What is the sum of 2 and 3?", "input": "", "output": "5"},
    {"instruction": "Fix this code.", "input": "print(x", "output": "print(x)"},
    {"instruction": "Write a haiku about rain.", "input": "", "output": "Rain..."},
    {"instruction": "What is 7 times 6?", "input": "", "output": "42"},
    {"instruction": "Name a planet.", "input": "", "output": "Mars"},
]


def reply(messages) -> str:
    text = messages[-1]["content"]
    if "task categories" in text:
        if "sum" in text or "times" in text:
            return "<answer>Math</answer>"
        return "<answer>Code Debug</answer>" if "code" in text else "I am not sure."
    if "[Assistant 1]" in text:
        if "planet" in text:
            return "Both answers are fine."  # no score: counted, not guessed
        first = text.split("[Assistant 1]")[1].split("[Assistant 2]")[0]
        teacher_first = "echo:" not in first
        # the teacher scores 8, the student 3, plus a +1 bias for whatever is read first
        return '{"score_1": 9, "score_2": 3}' if teacher_first else '{"score_1": 4, "score_2": 8}'
    return f"echo: {text}"


@pytest.fixture
def stub():
    with EchoEndpoint(reply=reply) as s:
        yield s


def endpoint(stub, tmp_path, **extra):
    client = Client(cache_path=tmp_path / "c.sqlite")
    return dict(served_model="echo", client=client, progress=False, **extra)


def test_pipeline_seed_classify_balance_difficulty(stub, tmp_path):
    src = tmp_path / "alpaca.json"
    src.write_text(json.dumps(SEED))
    s = seed.run(data=src, out=tmp_path / "seed", teacher=stub.url, **endpoint(stub, tmp_path))
    rows = read_json_lines(s / "seed.jsonl")
    assert [r["teacher"] for r in rows][1] == "echo: Fix this code.\n\nprint(x"
    assert stub.total == 5
    c = classify.run(data=s / "seed.jsonl", out=tmp_path / "cls", model=stub.url,
                     **endpoint(stub, tmp_path))  # fmt: skip
    labels = [r["label"] for r in read_json_lines(c / "classified.jsonl")]
    assert labels == ["Math", "Code Debug", "Others", "Math", "Others"]
    dist = json.loads((c / "distribution.json").read_text())
    assert dist["read"] == {"exact": 3, "none": 2}
    b = rebalance.run(data=c / "classified.jsonl", out=tmp_path / "bal", n=12, seed=1)
    got = read_json_lines(b / "balanced.jsonl")
    counts = {x: sum(r["label"] == x for r in got) for x in ("Math", "Code Debug", "Others")}
    # shares 1/6 : 1/12 : 0.041 renormalised over the present labels, of 12 rows:
    # 6.43, 3.22, 2.35 -> floors 6, 3, 2, the leftover row to Math (0.43)
    assert counts == {"Math": 7, "Code Debug": 3, "Others": 2}
    assert len({r["id"] for r in got}) == 12  # repeated records get their own ids
    assert "Math | 2 | 0.400 | 7 | 0.583" in (b / "distribution.md").read_text()
    kept = seed.run(data=src, out=tmp_path / "kept", progress=False)  # teacher = seed answers
    d = difficulty.run(data=kept / "seed.jsonl", out=tmp_path / "dif", student=stub.url,
                       judge_model=stub.url, student_served_model="echo",
                       judge_served_model="echo", client=Client(cache_path=tmp_path / "c.sqlite"),
                       progress=False)  # fmt: skip
    summary = json.loads((d / "summary.json").read_text())
    assert (summary["hard"], summary["easy"], summary["unparseable"]) == (4, 0, 1)
    assert summary["unparseable_replies"] == 2 and summary["mean_mfd"] == 5.0  # (9+8)/2-(3+4)/2
    planet = [r for r in read_json_lines(d / "difficulty.jsonl") if "planet" in r["prompt"]][0]
    assert planet["mfd"] is None and planet["hard"] is None
    assert len(read_json_lines(d / "hard.jsonl")) == 4
    before = stub.total
    difficulty.run(data=kept / "seed.jsonl", out=tmp_path / "dif2", student=stub.url,
                   judge_model=stub.url, student_served_model="echo", judge_served_model="echo",
                   client=Client(cache_path=tmp_path / "c.sqlite"), progress=False)  # fmt: skip
    assert stub.total == before  # every call came from the cache


def test_seed_formats(tmp_path):
    chats = tmp_path / "chats.jsonl"
    chats.write_text(json.dumps({"messages": [{"role": "user", "content": "Hi"},
                                              {"role": "assistant", "content": "Hello"}]}) + "\n")  # fmt: skip
    assert records.read_seed(chats) == [{"id": "0", "prompt": "Hi", "reference": "Hello"}]
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(SEED[:2]), tmp_path / "s.parquet")
    rows = records.read_seed(tmp_path / "s.parquet")
    assert rows[1]["prompt"] == "Fix this code.\n\nprint(x" and rows[1]["reference"] == "print(x)"
    out = seed.run(data=tmp_path / "s.parquet", out=tmp_path / "o", progress=False)
    assert read_json_lines(out / "seed.jsonl")[0]["teacher"] == "5"  # the seed's own answer


def test_unknown_seed_format(tmp_path):
    f = tmp_path / "seed.csv"
    f.write_text("instruction,output\nhi,hello\n")
    with pytest.raises(InputError, match="unknown format '.csv'"):
        seed.run(data=f, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_empty_taxonomy(stub, tmp_path):
    src = tmp_path / "a.json"
    src.write_text(json.dumps(SEED))
    tax = tmp_path / "tax.txt"
    tax.write_text("# nothing\n")
    with pytest.raises(InputError, match="holds no label"):
        classify.run(data=src, out=tmp_path / "o", model=stub.url, taxonomy_file=tax,
                     **endpoint(stub, tmp_path))  # fmt: skip
    assert stub.total == 0 and not (tmp_path / "o").exists()


@pytest.mark.parametrize("table, match", [("Math: -1\nOthers: 1\n", "not negative"),
                                          ("Math: 0\nOthers: 0\n", "every ratio is zero")])  # fmt: skip
def test_bad_ratios(tmp_path, table, match):
    data = tmp_path / "c.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "prompt": "p", "label": "Math"}) + "\n"
                            for i in range(3)))  # fmt: skip
    (tmp_path / "r.yaml").write_text(table)
    with pytest.raises(ConfigError, match=match):
        rebalance.run(data=data, out=tmp_path / "o", ratios=tmp_path / "r.yaml")
    assert not (tmp_path / "o").exists()
