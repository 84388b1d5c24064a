"""`distill refine`: each label's prompt file (code/math/default), the earlier answer kept,
resumable through the cache, and a prompt folder without default.jinja refused."""

from __future__ import annotations

import json

import pytest

from langadapt.corpus import read_json_lines, write_json_lines
from langadapt.distill import refine
from langadapt.errors import InputError
from langadapt.llm.clientopts import Client
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")

ROWS = [
    {"id": "1", "prompt": "What is 2 plus 3?", "label": "Math", "teacher": "5"},
    {"id": "2", "prompt": "Fix print(x", "label": "Code Debug", "teacher": "print(x)"},
    {"id": "3", "prompt": "Name a planet.", "label": "Others"},
]


def test_prompt_per_label_and_original_kept(tmp_path):
    src = tmp_path / "d.jsonl"
    write_json_lines(src, ROWS[:2])
    more = tmp_path / "x.jsonl"
    write_json_lines(more, ROWS[2:])
    with EchoEndpoint() as stub:
        kw = dict(data=[src, more], teacher=stub.url, served_model="echo",
                  client=Client(cache_path=tmp_path / "c.sqlite"), progress=False)  # fmt: skip
        out = refine.run(out=tmp_path / "r", **kw)
        assert stub.total == 3
        refine.run(out=tmp_path / "r2", **kw)  # same calls: answered from the cache
        assert stub.total == 3
    rows = read_json_lines(out / "refined.jsonl")
    assert [r["refine_prompt"] for r in rows] == ["math", "code_debug", "default"]
    assert "Final answer:" in rows[0]["teacher"] and rows[0]["teacher"].endswith("2 plus 3?")
    assert "fenced code block" in rows[1]["teacher"] and rows[1]["teacher_original"] == "print(x)"
    assert "teacher_original" not in rows[2]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["prompts"] == {"math": 1, "code_debug": 1, "default": 1}
    assert refine.slug("Code Generation") == "code_generation" and refine.slug("Common-Sense") \
        == "common_sense"  # fmt: skip


def test_custom_prompts_need_default(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "math.jinja").write_text("Think. {{ instruction }}")
    src = tmp_path / "d.jsonl"
    write_json_lines(src, ROWS)
    with pytest.raises(InputError, match="default.jinja"):
        refine.run(data=[src], out=tmp_path / "r", teacher="http://127.0.0.1:9/v1",
                   served_model="echo", prompts=folder, progress=False)  # fmt: skip
    (folder / "default.jinja").write_text("{{ instruction }} {{ answer }}")
    with pytest.raises(InputError, match="unknown variable"):
        refine.run(data=[src], out=tmp_path / "r", teacher="http://127.0.0.1:9/v1",
                   served_model="echo", prompts=folder, progress=False)  # fmt: skip
