"""ItemLog: the append-only JSONL log of finished items (torn lines, damage, fsync per batch)."""

from __future__ import annotations

import json
import os

import pytest

from langadapt import itemlog
from langadapt.errors import InputError
from langadapt.itemlog import ItemLog


def lines(*rows: dict) -> bytes:
    return b"".join((json.dumps(r, ensure_ascii=False) + "\n").encode() for r in rows)


def test_missing_file_is_an_empty_log_and_creates_nothing(tmp_path):
    log = ItemLog(tmp_path / "sub" / "items.jsonl")
    assert log.done == set() and len(log) == 0 and log.get("a") is None
    assert not (tmp_path / "sub").exists()
    log.extend([])
    assert not (tmp_path / "sub").exists()


def test_ids_and_records_after_reopen(tmp_path):
    path = tmp_path / "sub" / "items.jsonl"
    log = ItemLog(path)
    log.extend([{"id": "a", "x": 1}, {"id": "b", "x": "ё"}])
    assert log.done == {"a", "b"} and "a" in log and "c" not in log
    log.extend(iter([{"id": "c", "x": 3}]))  # any iterable, e.g. a generator
    again = ItemLog(path)
    assert again.done == {"a", "b", "c"}
    assert again.get("b") == {"id": "b", "x": "ё"}
    assert [r["id"] for r in again] == ["a", "b", "c"]
    assert path.read_text(encoding="utf-8").count("\n") == 3 and "ё" in path.read_text("utf-8")


@pytest.mark.parametrize(
    "tail",
    [b'{"id": "c", "x"', b'{"id": "c", "x": 3}', b'{"id": "c", "x": \xd1', b"{garbage\n"],
    ids=["half-line", "whole-json-without-newline", "cut-in-a-utf8-char", "bad-json-last"],
)
def test_torn_last_line_is_dropped_and_the_file_repaired(tmp_path, tail):
    path = tmp_path / "items.jsonl"
    good = lines({"id": "a"}, {"id": "b"})
    path.write_bytes(good + tail)
    log = ItemLog(path)
    assert log.done == {"a", "b"}
    assert path.read_bytes() == good  # truncated back to the last complete line
    log.extend([{"id": "c", "x": 3}])
    assert ItemLog(path).get("c") == {"id": "c", "x": 3}
    assert path.read_bytes() == good + lines({"id": "c", "x": 3})


def test_only_torn_line_leaves_an_empty_file(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_bytes(b'{"id": "a"')
    assert ItemLog(path).done == set()
    assert path.read_bytes() == b""


def test_damaged_middle_line_names_file_and_line(tmp_path):
    path = tmp_path / "items.jsonl"
    before = lines({"id": "a"}) + b"{not json\n" + lines({"id": "c"})
    path.write_bytes(before)
    with pytest.raises(InputError, match=r"items\.jsonl line 2 is damaged.*delete the file"):
        ItemLog(path)
    assert path.read_bytes() == before  # nothing is cut from a damaged file


def test_bad_utf8_in_the_middle_is_damage(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_bytes(lines({"id": "a"}) + b'{"id": "\xff"}\n' + lines({"id": "c"}))
    with pytest.raises(InputError, match="line 2 is damaged .*UTF-8"):
        ItemLog(path)


def test_record_without_string_id_is_an_input_error(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_bytes(lines({"id": "a"}, {"id": 3}))
    with pytest.raises(InputError, match=r"line 2 is not a record with a string 'id'"):
        ItemLog(path)
    path.write_bytes(lines({"id": "a"}) + b"[1, 2]\n")
    with pytest.raises(InputError, match="line 2"):
        ItemLog(path)


def test_other_key_and_blank_lines(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_bytes(b'{"key": "a"}\n\n{"key": "b"}\n')
    assert ItemLog(path, key="key").done == {"a", "b"}
    assert path.read_bytes() == b'{"key": "a"}\n\n{"key": "b"}\n'


def test_extend_refuses_bad_batches_whole(tmp_path):
    path = tmp_path / "items.jsonl"
    log = ItemLog(path)
    log.extend([{"id": "a"}])
    for bad in ([{"id": "b"}, {"id": "a"}], [{"id": "b"}, {"id": "b"}], [{"id": "b"}, {"x": 1}]):
        with pytest.raises(ValueError):
            log.extend(bad)
    assert log.done == {"a"} and ItemLog(path).done == {"a"}


def test_fsync_once_per_batch(tmp_path, monkeypatch):
    calls = []
    real = os.fsync
    monkeypatch.setattr(itemlog.os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    log = ItemLog(tmp_path / "items.jsonl")
    log.extend({"id": str(i)} for i in range(50))
    assert len(calls) == 1
    log.extend([{"id": "x"}, {"id": "y"}])
    assert len(calls) == 2
    log.extend([])
    assert len(calls) == 2
