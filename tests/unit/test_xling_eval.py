"""`xling eval` end to end over fake backends: figures, report escaping, bad input, resume."""

from __future__ import annotations

import json

import pytest

from langadapt.cli import main
from langadapt.errors import EndpointError, InputError
from langadapt.xling import eval as xeval

EN_BASE = "How do I cook a steak?"
RU_BASE = "Как приготовить стейк?"
EN_ANSWER = "Sear the steak on a very hot pan for three minutes on each side, then rest it."
RU_ANSWER = "Обжарьте стейк на очень горячей сковороде по три минуты с каждой стороны."
SIX = json.dumps({"Language": 3, "Fluency": 3, "Helpfulness": 2, "Accuracy": 3,
                  "Logical coherence": 3, "Harmlessness": 3})  # fmt: skip


class Answers:
    """A backend answering from a table of (substring of the prompt -> answer)."""

    def __init__(self, table, fail_after=None):
        self.table, self.calls, self.fail_after = table, [], fail_after

    def generate(self, prompts, **sampling):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise EndpointError("http://judge/v1: connection refused (test)")
        self.calls.append((len(prompts), sampling))
        text = [p[-1]["content"] for p in prompts]
        return [next(a for k, a in self.table if k in t) for t in text]


def _model(tmp_path):
    (tmp_path / "model").mkdir(exist_ok=True)
    return str(tmp_path / "model")


def _files(tmp_path):
    en = tmp_path / "plain.en.jsonl"
    ru = tmp_path / "plain.ru.jsonl"
    mods = tmp_path / "mods.en.jsonl"
    en.write_text(json.dumps([{"role": "user", "content": EN_BASE}]) + "\n")
    ru.write_text(json.dumps([{"role": "user", "content": RU_BASE}]) + "\n")
    mods.write_text(
        "\n".join(
            json.dumps([{"role": "user", "content": f"{EN_BASE} {m}"}])
            for m in ("Answer briefly.", "Answer in Russian language.", "Use html.")
        )
        + "\n"
    )
    (tmp_path / "mods.en.types").write_text("short\nlang_ru\nhtml_template\n")
    return [en, ru, mods]


GEN = [
    ("briefly", "Sear it hot."),
    ("Russian", RU_ANSWER),
    ("html", "<script>alert(1)</script><html><body><p>Sear it.</p></body></html>"),
    (EN_BASE, EN_ANSWER),
    (RU_BASE, EN_ANSWER),  # the Russian prompt answered in English: the paper's failure
]


@pytest.fixture
def fakes(monkeypatch):
    made = {}

    def backend(model, served, what, **opts):
        made[what] = made.get(what) or (Answers(GEN) if what == "--model" else Answers([("", SIX)]))
        return made[what]

    monkeypatch.setattr(xeval, "_backend", backend)
    return made


def test_eval_figures_and_escaped_report(tmp_path, fakes):
    out = tmp_path / "out"
    main(["xling", "eval", "--model", _model(tmp_path), "--prompts", *map(str, _files(tmp_path)),
          "--out", str(out), "--examples", "10"])  # fmt: skip
    assert fakes["--model"].calls[0][1] == {
        "max_new_tokens": 512,
        "temperature": 0.0,
        "repetition_penalty": 1.2,
    }  # the paper's decoding by default
    summary = json.loads((out / "summary.json").read_text())
    langs = summary["languages"]
    assert langs["ru"]["language"]["wrong"]["k"] == 1
    assert langs["en"]["language"]["correct"]["k"] == 4  # lang_ru answered in Russian: correct
    head = summary["headline"]["correct_language"]
    assert (head["k"], head["n"]) == (4, 5) and 0 < head["low"] < 0.8 < head["high"] <= 1
    mods = langs["en"]["modifiers"]
    assert mods["short"]["pass"] == mods["lang"]["pass"] == mods["html_template"]["pass"] == 1
    html = (out / "report.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    rows = [json.loads(x) for x in (out / "answers.jsonl").read_text().splitlines()]
    assert {r["id"] for r in rows} == {"plain.en-1", "plain.ru-1"} | {
        f"mods.en-{i}" for i in (1, 2, 3)
    }


def test_llm_judge_unparseable_is_counted(tmp_path, fakes, monkeypatch):
    template = tmp_path / "t.txt"
    template.write_text("Task: %%%TASK%%%\nSubmission: %%%SUBMISSION%%%\nJSON please.")
    files = _files(tmp_path)[1:2]
    fakes["--judge-model"] = Answers([("", "I think it is fine.")])  # never JSON
    out = xeval.run(model=_model(tmp_path), prompts=files, out=tmp_path / "o", judge="llm",
                    judge_model="j", judge_template=template)  # fmt: skip
    s = json.loads((out / "summary.json").read_text())
    assert s["languages"]["ru"]["aspects"]["unparseable"] == 1
    assert fakes["--judge-model"].calls[1][0] == 1  # asked once more, then counted


def test_a_failing_judge_loses_no_answers(tmp_path, fakes, monkeypatch):
    template = tmp_path / "t.txt"
    template.write_text("%%%TASK%%% %%%SUBMISSION%%%")
    monkeypatch.setattr(xeval, "CHUNK", 2)
    files = _files(tmp_path)
    fakes["--judge-model"] = Answers([("", SIX)], fail_after=1)
    kw = dict(model=_model(tmp_path), prompts=files, out=tmp_path / "o", judge="llm",
              judge_model="j", judge_template=template)  # fmt: skip
    with pytest.raises(EndpointError):
        xeval.run(**kw)
    assert len(fakes["--model"].calls) == 3  # 5 answers in chunks of 2, all logged
    fakes["--judge-model"].fail_after = None
    xeval.run(**kw)
    assert len(fakes["--model"].calls) == 3  # no answer generated again
    assert sum(n for n, _ in fakes["--judge-model"].calls) == 5  # 2 judged before, 3 after


@pytest.mark.parametrize(
    "name,text,types,match",
    [
        ("p.en.jsonl", '[{"role": "user", "content": "hi"}]\n{oops\n', None, r"p.en.jsonl line 2"),
        ("p.en.jsonl", '[{"role": "user", "content": "hi"}]\n', "poem\n", "unknown modifier type"),
        ("p.tlh.jsonl", '[{"role": "user", "content": "hi"}]\n', None, "'tlh' is not one"),
        ("p.jsonl", '[{"role": "user", "content": "hi"}]\n', None, "no language"),
        ("p.en.jsonl", '[{"role": "assistant", "content": "hi"}]\n', None, "line 1"),
    ],
)
def test_bad_prompt_files_are_clear_errors(tmp_path, fakes, name, text, types, match):
    path = tmp_path / name
    path.write_text(text)
    if types:
        path.with_suffix(".types").write_text(types)
    with pytest.raises(InputError, match=match):
        xeval.run(model=_model(tmp_path), prompts=[path], out=tmp_path / "o")
    assert not (tmp_path / "o").exists() and "--model" not in fakes  # nothing asked
