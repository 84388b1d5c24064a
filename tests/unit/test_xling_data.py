"""`xling data`: the paper's {"conversations": [...]} files become sft chats, mixed."""

from __future__ import annotations

import json

import pytest

from langadapt.errors import InputError
from langadapt.xling.data import run


def test_conversations_become_chats_and_files_mix(tmp_path):
    en = tmp_path / "lima.en.jsonl"
    en.write_text(
        "\n".join(json.dumps({"conversations": [f"q{i}", f"a{i}"]}) for i in range(5)) + "\n"
    )
    ru = tmp_path / "dolly.ru.jsonl"
    ru.write_text(json.dumps({"messages": [{"role": "user", "content": "в"},
                                           {"role": "assistant", "content": "о"}]}) + "\n")  # fmt: skip
    out = run(data=[en, ru], out=tmp_path / "o", limit=3)
    rows = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    assert len(rows) == 4
    first = next(r for r in rows if r["messages"][0]["content"] == "q0")
    assert first["messages"] == [{"role": "user", "content": "q0"},
                                 {"role": "assistant", "content": "a0"}]  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["per_file"] == {"lima.en.jsonl": 3, "dolly.ru.jsonl": 1}


def test_an_odd_conversation_names_its_line(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"conversations": ["q", "a"]}) + "\n"
                   + json.dumps({"conversations": ["q"]}) + "\n")  # fmt: skip
    with pytest.raises(InputError, match="line 2"):
        run(data=[bad], out=tmp_path / "o")
    assert not (tmp_path / "o").exists()
