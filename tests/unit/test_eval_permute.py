"""Permutation scoring, baselines, answer counts and paired comparisons through `langadapt eval`."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml

from langadapt import registry
from langadapt.cli import main
from langadapt.errors import ConfigError
from langadapt.evaluate import runner
from langadapt.evaluate.data import read_records
from langadapt.evaluate.prompts import build_items
from langadapt.evaluate.taskfile import load_task, resolve_tasks
from langadapt.tiny import builtin_corpus, tiny_model_folder

LETTERS = ["Answer: A", "Answer: B", "Answer: C", "Answer: D"] * 40
MC = ["world_mc_letters.en", "world_classification.en"]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    out = tmp_path_factory.mktemp("evalperm") / "m"
    return tiny_model_folder(
        out, arch="llama", family="byte-level-bpe", texts=builtin_corpus() + LETTERS
    )


def _dump(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def world(tmp_path) -> Path:
    """World eval files: 8 four-option questions, 6 texts with 2 or 3 labels each."""
    text = builtin_corpus()
    root = tmp_path / "world"
    mc = [
        {"id": f"mc{i}", "question": text[i], "choices": ["cat", "dog", "sun", "river"]}
        for i in range(8)
    ]
    _dump(
        root / "eval/mc.en.jsonl",
        [r | {"answer": [0, 0, 0, 1, 2, 3, 0, 1][i]} for i, r in enumerate(mc)],
    )
    labels = [["people", "places"], ["people", "places", "animals"]]
    cls = [
        {"id": f"c{i}", "text": text[i], "labels": labels[i % 2], "label": labels[i % 2][i % 2]}
        for i in range(6)
    ]
    _dump(root / "eval/classification.en.jsonl", cls)
    return root


def test_rotations_put_the_gold_in_every_position(world):
    task = resolve_tasks(["world_mc_letters.en"], world)[0]
    task.permute_choices = True
    records = read_records(task.data_path())
    items = build_items(task, records[:1], records, 0)
    assert [it["id"] for it in items] == ["mc0", "mc0#p1", "mc0#p2", "mc0#p3"]
    assert {it["perm_of"] for it in items} == {"mc0"} and sorted(it["gold"] for it in items) == [
        0,
        1,
        2,
        3,
    ]
    for it in items:  # the option shown at the gold letter is always the true answer, "cat"
        letter = "ABCD"[it["gold"]]
        assert f"{letter}. cat" in it["messages"][-1]["content"]
    assert [it["choices"] for it in items] == [["A", "B", "C", "D"]] * 4


def _always_first(monkeypatch):
    """Replace next-token-choice by a scorer that always prefers the first option."""
    orig = registry.get("eval-method", "next-token-choice")

    def first(lm, items, **_):
        return [{"pred": 0, "logprobs": [0.0] + [-1.0] * (len(it["choices"]) - 1)} for it in items]

    table = registry._TABLE["eval-method"]
    monkeypatch.setitem(table, "next-token-choice", dataclasses.replace(orig, func=first))


def test_always_A_scores_exactly_chance_when_permuted(model, world, tmp_path, monkeypatch):
    _always_first(monkeypatch)
    out = runner.run(
        model=[model], tasks=MC, data_dir=world, out=tmp_path / "o", permute_choices=True,
        progress=False,
    )  # fmt: skip
    res = json.loads((out / "results.json").read_text())
    sc = res["scores"]["m"]
    # mc: 1/4 per item; classification: items of 2 and 3 labels -> (1/2 + 1/3) / 2
    assert sc["tasks"]["world_mc_letters.en"]["accuracy"] == 0.25
    assert sc["tasks"]["world_classification.en"]["accuracy"] == pytest.approx(5 / 12, abs=1e-12)
    for name in MC:
        b = res["tasks"][name]["baselines"]
        assert res["tasks"][name]["permuted"] is True
        assert sc["tasks"][name]["accuracy"] == pytest.approx(b["chance"], abs=1e-12)
        assert sc["predictions"][name]["positions"]["counts"] == {"0": sc["tasks"][name]["n"]}
        assert sc["predictions"][name]["constant"] is True
    assert res["tasks"]["world_mc_letters.en"]["baselines"]["majority"] == pytest.approx(0.25)
    rows = (out / "items/m/world_mc_letters.en.jsonl").read_text().splitlines()
    assert len(rows) == 32 and all("perm_of" in json.loads(r) for r in rows)
    assert "CONSTANT" in (out / "results.md").read_text()


def test_unpermuted_scores_baselines_and_flags(model, world, tmp_path, monkeypatch):
    _always_first(monkeypatch)
    out = runner.run(model=[model], tasks=MC, data_dir=world, out=tmp_path / "o", progress=False)
    res = json.loads((out / "results.json").read_text())
    # gold positions 0,0,0,1,2,3,0,1: always A is right on 4 of 8 = the majority baseline
    assert res["scores"]["m"]["tasks"]["world_mc_letters.en"]["accuracy"] == 0.5
    assert res["tasks"]["world_mc_letters.en"]["baselines"] == {
        "chance": 0.25,
        "majority": 0.5,
        "majority_answer": "A",
    }
    assert res["tasks"]["world_mc_letters.en"]["permuted"] is False
    est = res["scores"]["m"]["intervals"]["world_mc_letters.en"]["accuracy"]
    assert est["method"] == "wilson" and est["n"] == 8 and est["low"] < 0.5 < est["high"]


def test_two_models_are_compared_on_the_same_items(model, world, tmp_path):
    twin = tmp_path / "twin" / "m2"
    shutil.copytree(model, twin)
    out = tmp_path / "o"
    # world_mc_letters is kept out of Micro-Avg (aggregate: false); classification is in it
    args = ["eval", "--model", str(model), str(twin), "--tasks", *MC]
    args += ["--data-dir", str(world), "--out", str(out), "--no-progress", "--baseline", "m2"]
    assert main(args) == 0
    res = json.loads((out / "results.json").read_text())
    comp = res["comparisons"]
    assert comp["baseline"] == "m2" and set(comp["models"]) == {"m"}
    d = comp["models"]["m"]["tasks"]["world_mc_letters.en"]
    assert d["diff"] == 0.0 and d["significant"] is False and d["method"] == "paired-t"
    assert comp["models"]["m"]["micro_avg"]["diff"] == 0.0
    items = (out / "items/m/world_mc_letters.en.jsonl").read_text().splitlines()
    rows = [json.loads(x) for x in items]
    acc = sum(r["pred"] == r["gold"] for r in rows) / len(rows)
    assert (
        res["scores"]["m"]["tasks"]["world_mc_letters.en"]["accuracy"] == acc
    )  # unchanged default
    md = (out / "results.md").read_text()
    assert "| task | group | metric | m | m2 | chance | majority | m 95% CI | m2 95% CI |" in md
    assert "Paired differences against m2" in md
    html = (out / "results.html").read_text()
    assert "Wilson" in html and "<th>m 95% CI</th>" in html


def test_unknown_baseline_is_an_error(model, world, tmp_path, capsys):
    out = tmp_path / "o"
    args = [
        "eval",
        "--model",
        str(model),
        "--tasks",
        "world_mc_letters.en",
        "--data-dir",
        str(world),
    ]
    rc = main(args + ["--out", str(out), "--no-progress", "--baseline", "nope"])
    err = capsys.readouterr().err
    assert rc == 2 and "--baseline 'nope'" in err and "m" in err and not out.exists()


def _task_file(tmp_path: Path, **over) -> Path:
    body = {
        "name": "mine",
        "dataset": {"path": "data.jsonl"},
        "template": {"user": "Q: {question}", "assistant": "Answer:"},
        "method": "next-token-choice",
        "options": {"choices": ["A", "B"], "answer_field": "answer"},
        "metrics": ["accuracy"],
        "permute_choices": True,
    }
    body.update(over)
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(body), "utf-8")
    return path


@pytest.mark.parametrize(
    "over,fragment",
    [
        ({}, "set dataset.options_field"),
        (
            {"dataset": {"path": "d.jsonl", "options_field": "o", "both_orders": ["a", "b"]}},
            "both option orders",
        ),
        ({"permute_choices": "yes please"}, "must be true or false"),
    ],
)
def test_permute_choices_that_cannot_work_is_a_config_error(tmp_path, over, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_task(_task_file(tmp_path, **over))


def test_permute_choices_in_a_task_file(tmp_path):
    _dump(tmp_path / "data.jsonl", [{"question": "x", "opts": ["yes", "no"], "answer": 1}])
    task = load_task(_task_file(tmp_path, dataset={"path": "data.jsonl", "options_field": "opts"}))
    items = build_items(task, read_records(tmp_path / "data.jsonl"), [], 0)
    assert [it["gold"] for it in items] == [1, 0] and task.permute_choices


def test_a_cloze_task_has_no_positions_to_rotate(world):
    from langadapt.evaluate.permute import not_permutable

    cloze = resolve_tasks(["world_mc.en"], world)[0]
    assert "does not show the options" in not_permutable(cloze.dataset, cloze.options)
    letters = resolve_tasks(["world_mc_letters.en"], world)[0]
    assert not_permutable(letters.dataset, letters.options) is None
