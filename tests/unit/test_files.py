"""The one atomic write, the one JSONL reader/writer and the one cache root."""

from __future__ import annotations

from pathlib import Path

import pytest

from langadapt.artifacts import atomic_file, cache_root, write_json_atomic, write_text_atomic
from langadapt.corpus import read_json_lines, write_json_lines
from langadapt.errors import InputError


def test_atomic_file_appears_only_on_success(tmp_path):
    path = tmp_path / "sub" / "f.bin"
    write_text_atomic(path, b"old")
    with pytest.raises(RuntimeError):
        with atomic_file(path) as f:
            f.write(b"half")
            raise RuntimeError("crash while writing")
    assert path.read_bytes() == b"old"
    assert [p.name for p in path.parent.iterdir()] == ["f.bin"]  # no temporary file left


def test_text_and_json_writes(tmp_path):
    write_text_atomic(tmp_path / "t.txt", "ё\nx")
    assert (tmp_path / "t.txt").read_bytes() == "ё\nx".encode()
    write_json_atomic(tmp_path / "j.json", {"p": Path("/a"), "t": (1, "ж")})
    assert (tmp_path / "j.json").read_text(
        "utf-8"
    ) == '{\n  "p": "/a",\n  "t": [\n    1,\n    "ж"\n  ]\n}\n'


def test_jsonl_round_trip_and_errors(tmp_path):
    rows = [{"a": 1, "b": "ё"}, [1, 2], "s"]
    path = tmp_path / "d" / "x.jsonl"
    assert write_json_lines(path, iter(rows)) == 3
    assert path.read_text("utf-8") == '{"a": 1, "b": "ё"}\n[1, 2]\n"s"\n'
    assert read_json_lines(path) == rows
    path.write_text('{"a": 1}\n\n{"a"\n', "utf-8")
    with pytest.raises(InputError, match=r"x\.jsonl line 3 is not valid JSON"):
        read_json_lines(path)
    with pytest.raises(InputError, match="does not exist"):
        read_json_lines(tmp_path / "missing.jsonl")


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"LANGADAPT_CACHE": "/c/la", "XDG_CACHE_HOME": "/x"}, "/c/la"),
        ({"LANGADAPT_CACHE": "", "XDG_CACHE_HOME": "/x"}, "/x/langadapt"),
        ({}, "HOME/.cache/langadapt"),
    ],
)
def test_cache_root(monkeypatch, tmp_path, env, expected):
    monkeypatch.delenv("LANGADAPT_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert cache_root() == Path(expected.replace("HOME", str(tmp_path)))


def test_every_cache_user_calls_cache_root(monkeypatch, tmp_path):
    from langadapt.demo.command import default_out

    monkeypatch.setenv("LANGADAPT_CACHE", str(tmp_path))
    assert default_out(fast=True) == tmp_path / "demo-fast"
    assert default_out(fast=False) == tmp_path / "demo"
