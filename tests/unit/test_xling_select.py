"""`xling select` / `xling compare` over fake backends: the selection rule, the chosen link,
the paired figures, and each bad input they refuse."""

from __future__ import annotations

import json
import os

import pytest

from langadapt import stats
from langadapt.cli import main
from langadapt.errors import InputError, OutputExistsError
from langadapt.xling import candidates as cd
from langadapt.xling import compare, select
from langadapt.xling import eval as xeval

EN = [f"Tell me about the river number {i} and the town beside it." for i in range(6)]
RU = [f"Расскажите о реке номер {i} и о городе рядом с ней." for i in range(6)]
EN_ANSWER = "The river is long and slow, and the town beside it is old and quiet."
RU_ANSWER = "Река длинная и медленная, а город рядом с ней старый и тихий."


class Fake:
    """Answers Russian prompts in Russian for the first `ru_ok` of them, else in English."""

    def __init__(self, ru_ok):
        self.ru_ok = ru_ok

    def generate(self, prompts, **sampling):
        out = []
        for p in prompts:
            text = p[-1]["content"]
            in_ru = text in RU and RU.index(text) < self.ru_ok
            out.append(RU_ANSWER if in_ru else EN_ANSWER)
        return out


@pytest.fixture
def files(tmp_path, monkeypatch):
    en, ru = tmp_path / "p.en.jsonl", tmp_path / "p.ru.jsonl"
    en.write_text("".join(json.dumps([{"role": "user", "content": t}]) + "\n" for t in EN))
    ru.write_text("".join(json.dumps([{"role": "user", "content": t}]) + "\n" for t in RU))
    monkeypatch.setattr(
        xeval, "_backend", lambda model, *a, **k: Fake(int(json.loads(
            (tmp_path / model / "fake.json").read_text())["ru_ok"])))  # fmt: skip
    return [en, ru]


def _model(tmp_path, name, ru_ok, lr=None, loss=None):
    d = tmp_path / name
    d.mkdir()
    (d / "config.json").write_text("{}")
    (d / "fake.json").write_text(json.dumps({"ru_ok": ru_ok}))
    if lr is not None:  # what sft writes: the schedule's lr, the final loss
        manifest = {"stage": "train.sft", "status": "complete", "options": {"schedule": {"lr": lr}},
                    "inputs": [{"name": "data", "path": "/d/train.en.jsonl"}],
                    "results": {"final_loss": loss, "steps": 10}}  # fmt: skip
        (d / "manifest.json").write_text(json.dumps(manifest))
    return d


def _eval(tmp_path, model, files, name=None):
    return xeval.run(model=str(model), prompts=files, out=tmp_path / (name or f"ev-{model.name}"))


def test_select_ranks_on_non_english_not_loss_and_links_the_chosen_model(tmp_path, files):
    low = _model(tmp_path, "lr-low", ru_ok=5, lr=1e-5, loss=0.9)
    high = _model(tmp_path, "lr-high", ru_ok=1, lr=1e-3, loss=0.2)  # lower English loss
    evals = [_eval(tmp_path, m, files) for m in (high, low)]
    out = tmp_path / "sel"
    assert main(["xling", "select", "--candidates", *map(str, evals), "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["ranking"] == ["ev-lr-low", "ev-lr-high"] and res["chosen"] == "ev-lr-low"
    assert res["validation_languages"] == ["ru"]
    fig = res["candidates"][0]["figures"]["validation"]
    assert (fig["k"], fig["n"]) == (5, 6) and fig["low"] < 5 / 6 < fig["high"]
    assert os.path.realpath(out / "chosen") == str(low.resolve())
    assert res["chosen_vs_runner_up"]["diff"] == pytest.approx(4 / 6)
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## ") and "(lr 1e-5)" in summary
    assert "ev-lr-high, not the chosen one" in summary  # English loss would pick the other
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["chosen"] == "ev-lr-low"
    assert "ev-lr-low" in (out / "report.html").read_text()


def test_select_evaluates_model_folders_and_a_pipeline_stage_reads_chosen(tmp_path, files):
    a, b = _model(tmp_path, "a", ru_ok=2), _model(tmp_path, "b", ru_ok=4)
    out = select.run(candidates=[a, b], prompts=files, out=tmp_path / "sel", limit=4)
    res = json.loads((out / "results.json").read_text())
    assert res["chosen"] == "b" and (out / "evals" / "b" / "answers.jsonl").is_file()
    assert res["candidates"][0]["figures"]["validation"]["n"] == 4  # --limit 4 per file
    assert res["candidates"][0]["eval"] == str(out / "evals" / "b")
    # the link is a model folder a later stage can read (here: one more xling eval)
    again = xeval.run(model=str(out / "chosen"), prompts=files, out=tmp_path / "again")
    assert json.loads((again / "summary.json").read_text())["headline"]["correct_language"]


def _figs(val, all_, exact):
    share = lambda v: {"value": v}  # noqa: E731
    return {"validation": share(val), "all": share(all_), "exact": share(exact)}


def test_rule_ties_go_to_all_prompts_then_exact_accuracy_then_order():
    cs = [cd.Candidate(n, None, n, []) for n in "abcd"]
    figs = {"a": _figs(0.5, 0.6, 0.1), "b": _figs(0.5, 0.7, 0.1), "c": _figs(0.5, 0.7, 0.3),
            "d": _figs(0.5, 0.7, 0.3)}  # fmt: skip
    assert [c.name for c in select.rank(cs, figs)] == ["c", "d", "b", "a"]
    figs["a"] = _figs(0.6, 0.0, None)  # the validation share decides first
    assert select.rank(cs, figs)[0].name == "a"
    figs = {n: _figs(0.5, 0.5, None) for n in "abcd"}  # nothing to break ties: the order given
    assert [c.name for c in select.rank(cs, figs)] == list("abcd")


def test_compare_pairs_against_the_baseline(tmp_path, files):
    evals = [_eval(tmp_path, _model(tmp_path, n, k), files) for n, k in (("i", 0), ("c", 6))]
    out = compare.run(candidates=evals, out=tmp_path / "cmp")
    res = json.loads((out / "results.json").read_text())
    d = res["paired"]["ev-c"]["correct:ru"]
    assert d["diff"] == 1.0 and d["significant"] is True
    summary = (out / "summary.md").read_text()
    assert "On the 6 Russian prompts" in summary and "significant" in summary
    assert "| ev-i |" in summary  # one small table


def test_bad_input(tmp_path, files):
    a, b = _model(tmp_path, "a", 1), _model(tmp_path, "b", 2)
    ea, eb = _eval(tmp_path, a, files), _eval(tmp_path, b, files[1:])
    out = tmp_path / "o"
    with pytest.raises(InputError, match="two or more"):
        select.run(candidates=[ea], out=out)
    with pytest.raises(InputError, match="does not exist"):
        select.run(candidates=[ea, tmp_path / "nope"], out=out)
    (tmp_path / "junk").mkdir()
    with pytest.raises(InputError, match="neither a finished"):
        select.run(candidates=[ea, tmp_path / "junk"], out=out)
    with pytest.raises(InputError, match="same --prompts"):
        select.run(candidates=[ea, eb], out=out)
    with pytest.raises(InputError, match="pass --prompts"):
        select.run(candidates=[ea, b], out=out)
    with pytest.raises(InputError, match="--languages fr"):
        select.run(candidates=[ea, _eval(tmp_path, b, files, "eb2")], out=out, languages=["fr"])
    with pytest.raises(InputError, match="--baseline x"):
        compare.run(candidates=[ea, tmp_path / "eb2"], out=tmp_path / "c", baseline="x")
    en_only = [_eval(tmp_path, m, files[:1], f"en-{m.name}") for m in (a, b)]
    with pytest.raises(InputError, match="no prompts in that language"):
        select.run(candidates=en_only, out=out)
    manifest = json.loads((ea / "manifest.json").read_text())
    (ea / "manifest.json").write_text(json.dumps(manifest | {"status": "running"}))
    with pytest.raises(InputError, match="did not finish"):
        select.run(candidates=[ea, tmp_path / "eb2"], out=out)
    assert not out.exists()  # nothing half-written where the output goes
    (out).mkdir()
    (out / "x").write_text("mine")
    with pytest.raises(OutputExistsError):
        select.run(candidates=[tmp_path / "eb2", eb], out=out)


def test_limit_must_be_positive(tmp_path, files):
    with pytest.raises(InputError, match="--limit 0"):
        xeval.run(model=str(_model(tmp_path, "m", 1)), prompts=files, out=tmp_path / "e", limit=0)


def test_mcnemar_exact_p_values():
    assert stats.mcnemar_p(12, 0) == pytest.approx(2 / 4096)  # 12 of 12 one way: significant
    assert stats.mcnemar_p(5, 0) == pytest.approx(2 / 32)  # 5 of 5 is not yet (p 0.0625)
    assert stats.mcnemar_p(3, 3) == 1.0 and stats.mcnemar_p(0, 0) == 1.0
    assert stats.mcnemar_p(7, 2) == pytest.approx(2 * (1 + 9 + 36) / 512)
