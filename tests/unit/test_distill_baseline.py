"""`distill evaluate`'s world items (instruct tasks and fact questions) and its comparison of
each candidate against a baseline candidate (McNemar on right/wrong, in words and a table)."""

from __future__ import annotations

import json

import pytest

from langadapt import stats
from langadapt.distill import evalreport
from langadapt.distill.worlditems import FACTS, world_items
from langadapt.errors import InputError


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_world_items_read_instruct_tasks_and_fact_questions(tmp_path):
    chat = {"id": "t0", "messages": [{"role": "user", "content": "What animal does Igor have?"},
                                     {"role": "assistant", "content": "Igor has a cat."}],
            "task_type": "fact_qa", "answer": "cat"}  # fmt: skip
    fact = {"id": "f0", "question": "How old is Alina?", "answer": "75",
            "answers": ["75", "She is 75 years old."]}  # fmt: skip
    items = world_items([_write(tmp_path / "test.en.jsonl", [chat]),
                         _write(tmp_path / "facts.en.jsonl", [fact, fact | {"id": "f1"}])],
                        limit=None)  # fmt: skip
    assert [it["id"] for it in items] == ["test.en:t0", "facts.en:f0", "facts.en:f1"]
    assert items[0]["accepted"] == ["cat", "Igor has a cat."]
    assert items[1] == {"id": "facts.en:f0", "task_type": FACTS, "prompt": "How old is Alina?",
                        "accepted": ["75", "She is 75 years old."]}  # fmt: skip
    assert len(world_items([tmp_path / "facts.en.jsonl"], limit=1)) == 1


def test_world_items_refuse_other_rows_empty_and_missing_files(tmp_path):
    with pytest.raises(InputError, match=r"row 0 is neither an instruct task .* fact question"):
        world_items([_write(tmp_path / "x.jsonl", [{"text": "hello"}])], None)
    with pytest.raises(InputError, match="holds no task"):
        world_items([_write(tmp_path / "empty.jsonl", [])], None)
    with pytest.raises(InputError, match="does not exist"):
        world_items([tmp_path / "nope.jsonl"], None)


def test_paired_flags_uses_mcnemar_on_the_items_that_differ():
    a = [True] * 12 + [False] * 8
    b = [False] * 12 + [False] * 8  # a right on 12 more, never worse
    d = stats.paired_flags(a, b)
    assert d["diff"] == pytest.approx(0.6)
    assert d["mcnemar_p"] == pytest.approx(2 / 2**12)  # 12 of 12 one way: exact sign test
    assert d["significant"] and d["high"] <= 1.0
    even = stats.paired_flags([True, False] * 5, [False, True] * 5)
    assert even["diff"] == 0 and even["mcnemar_p"] == 1.0 and not even["significant"]
    assert stats.mcnemar_p(0, 0) == 1.0


def _cand(name, hits):
    share = sum(hits) / len(hits)
    est = {"value": share, "low": share - 0.1, "high": share + 0.1, "n": len(hits)}
    return {"name": name, "world": {"overall": est, "by_type": {}, "hits": hits}}


def test_against_baseline_says_which_wins_and_tables_each_type():
    types = ["facts"] * 20 + ["copy"] * 20
    base = _cand("random sample", [True] * 10 + [False] * 10 + [True] * 10 + [False] * 10)
    worse = _cand("curriculum", [False] * 20 + [True] * 10 + [False] * 10)  # loses 10 facts
    same = _cand("hard", list(base["world"]["hits"]))
    results = {"baseline": "random sample", "candidates": [base, worse, same],
               "task_types": types, "reference": {"name": "teacher"}}  # fmt: skip
    said = " ".join(evalreport.against_baseline(results))
    assert "curriculum minus random sample: exact accuracy -25.0 points" in said
    assert "McNemar p = 0.002" in said and "hard minus random sample: exact accuracy +0.0" in said
    assert "On exact accuracy curriculum loses to random sample" in said
    t = evalreport.baseline_table(results)
    assert [r[0] for r in t.rows] == ["all", "copy", "facts"]
    facts = t.rows[2]
    assert facts[1] == 20 and facts[2].startswith("-50.0 (p 0.002) *")
    assert t.rows[1][2].startswith("+0.0 (p 1)")  # copy: the same answers
    assert evalreport.against_baseline(results | {"baseline": None}) == []


def test_no_significant_difference_is_said_so():
    base = _cand("random sample", [True, False] * 10)
    other = _cand("curriculum", [False, True] * 10)
    results = {"baseline": "random sample", "candidates": [base, other],
               "task_types": ["facts"] * 20, "reference": {"name": "teacher"}}  # fmt: skip
    said = " ".join(evalreport.against_baseline(results))
    assert "no candidate differs significantly from random sample" in said


def test_evaluate_refuses_a_baseline_that_is_not_a_candidate(tmp_path):
    from langadapt.distill import evaluate
    from langadapt.errors import ConfigError

    with pytest.raises(ConfigError, match=r"--baseline 'random' is not a candidate's name.*a, b"):
        evaluate.run(out=tmp_path / "ev", candidates=["x", "y"], names=["a", "b"],
                     baseline="random", reference="z", judge="world")  # fmt: skip
    assert not (tmp_path / "ev").exists()
