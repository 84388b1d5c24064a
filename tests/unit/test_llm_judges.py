"""Judges: score parsing, templates, the world's exact rules, agreement, and `langadapt judge`."""

from __future__ import annotations

import json

import pytest

from langadapt.cli import main
from langadapt.errors import ConfigError, InputError
from langadapt.llm import world_rules
from langadapt.llm.clientopts import Client
from langadapt.llm.judge_stage import run as judge
from langadapt.llm.judges import agreement, llm_judge, load_template, parse_score
from langadapt.llm.loopback import EchoEndpoint


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world") / "w"
    assert main(["world", "generate", "--seed", "1", "--out", str(out), "--size", "fast"]) == 0
    return out


def rows(world, name: str) -> list[dict]:
    return [json.loads(x) for x in (world / "eval" / name).read_text().splitlines()]


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ('{"score": 7}', 6 / 9),
        ('Some reasoning first. {"score": 10}', 1.0),
        ("The answer is fine.\nScore: 4", 3 / 9),
        ("rating is **1**", 0.0),
        ('noise {"a": 1} then {"score": 5.5}', 0.5),
        ("Score: 11", None),  # off the scale: unparseable, not clipped
        ("no number at all", None),
        ('{"score": "high"}', None),
    ],
)
def test_parse_score(text, score):
    got = parse_score(text, (1, 10))
    assert got == pytest.approx(score) if score is not None else got is None


def test_template_errors(tmp_path):
    bad = tmp_path / "bad.jinja"
    bad.write_text("Grade {{ answer }} against {{ gold_answer }}.")
    with pytest.raises(InputError, match="unknown variable.*gold_answer.*fills only"):
        load_template(bad)
    bad.write_text("Grade {{ answer ")
    with pytest.raises(InputError, match="bad.jinja line 1"):
        load_template(bad)
    with pytest.raises(InputError, match="does not exist"):
        load_template(tmp_path / "missing.jinja")
    assert "Request:" in load_template().render(
        prompt="q", answer="a", reference="", scale_min=1, scale_max=10
    )


def test_the_worlds_references_pass_their_own_rules(world):
    for lang in ("en", "ru"):
        mods = rows(world, f"modifiers.{lang}.jsonl")
        assert {m["modifier"]["type"] for m in mods} == set(world_rules.RULES)
        for m in mods:
            if m["reference"] is not None:
                assert world_rules.check(m["reference"], {"modifier": m["modifier"]}), m
        for f in rows(world, f"facts.{lang}.jsonl"):
            for a in f["answers"]:
                assert world_rules.check(a.upper() + " ", {"answers": f["answers"]})


@pytest.mark.parametrize(
    ("modifier", "good", "bad"),
    [
        ({"type": "length", "max_words": 3}, "Anna lives here.", "Anna lives in Milan now."),
        ({"type": "list_n", "n": 2}, "- one\n- two", "- one\n- two\n- three"),
        ({"type": "numbered", "n": 2}, "1. one\n2. two", "1. one\n3. two"),
        ({"type": "language", "lang": "ru"}, "Анна живёт в Милане.", "Anna lives in Milan."),
        ({"type": "markdown", "style": "bold_name"}, "**Anna** lives.", "Anna lives."),
        ({"type": "html", "tag": "ul"}, "<ul><li>a</li></ul>", "<ol><li>a</li></ol>"),
        ({"type": "uppercase"}, "ANNA LIVES.", "Anna lives."),
    ],
)
def test_modifier_rules(modifier, good, bad):
    assert world_rules.check(good, {"modifier": modifier})
    assert not world_rules.check(bad, {"modifier": modifier})


def test_a_reference_the_world_judge_cannot_read():
    with pytest.raises(InputError, match="item x: reference 3 is neither"):
        world_rules.check("a", 3, "x")
    with pytest.raises(InputError, match="lacks a usable parameter"):
        world_rules.check("a", {"modifier": {"type": "length"}}, "x")


def test_agreement():
    v = lambda *s: [{"score": x, "parsed": x is not None} for x in s]  # noqa: E731
    same = agreement(v(1.0, 0.0, 1.0), v(0.9, 0.1, 0.8))
    assert same["pass_agreement"] == 1.0 and same["kappa"] == 1.0 and same["n"] == 3
    half = agreement(v(1.0, 0.0, None), v(1.0, 1.0, 0.0))
    assert half["n"] == 2 and half["pass_agreement"] == 0.5 and half["unparseable"] == [1, 0]


def answers_file(tmp_path, n: int = 3):
    path = tmp_path / "answers.jsonl"
    recs = [
        {"id": f"q{i}", "prompt": f"Where does P{i} live?", "answer": "Milan", "answers": ["Milan"]}
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_a_judge_that_never_returns_json_is_counted_unparseable(tmp_path):
    pytest.importorskip("openai")
    with EchoEndpoint(reply=lambda msgs: "I would rather not grade this.") as stub:
        out = judge(
            answers=answers_file(tmp_path),
            out=tmp_path / "out",
            judges=["world", "llm"],
            judge_model=stub.url,
            served_model="echo",
            client=Client(cache_path=tmp_path / "c.sqlite"),
            progress=False,
        )
        assert stub.total == 6  # each item asked, then asked once more, no more
    summary = json.loads((out / "summary.json").read_text())
    assert summary["judges"]["llm"] == {"mean": None, "scored": 0, "unparseable": 3}
    assert summary["judges"]["world"] == {"mean": 1.0, "scored": 3, "unparseable": 0}
    assert summary["agreement"]["world~llm"]["n"] == 0
    verdicts = [json.loads(x) for x in (out / "verdicts.jsonl").read_text().splitlines()]
    assert [v["llm_score"] for v in verdicts] == [None] * 3


def test_llm_judge_needs_a_backend_and_judge_stage_errors(tmp_path):
    with pytest.raises(InputError, match="needs a backend"):
        llm_judge([{"id": "a", "prompt": "p", "answer": "a"}])
    answers = answers_file(tmp_path)
    with pytest.raises(ConfigError, match="unknown judge method 'oracle'"):
        judge(answers=answers, out=tmp_path / "o", judges=["oracle"])
    with pytest.raises(InputError, match="needs --judge-model"):
        judge(answers=answers, out=tmp_path / "o", judges=["llm"])
    with pytest.raises(InputError, match="pass --served-model"):
        judge(answers=answers, out=tmp_path / "o", judges=["llm"], judge_model="http://x/v1")
    bare = tmp_path / "bare.jsonl"
    bare.write_text('{"id": "a", "prompt": "p", "answer": "x"}\n')
    with pytest.raises(InputError, match="needs a reference on every item"):
        judge(answers=bare, out=tmp_path / "o", judges=["world"])
    bare.write_text('{"id": "a", "answer": "x"}\n')
    with pytest.raises(InputError, match="record 1 lacks prompt"):
        judge(answers=bare, out=tmp_path / "o")
    tpl = tmp_path / "t.jinja"
    tpl.write_text("{{ answer }} {{ score_hint }}")
    with pytest.raises(InputError, match="unknown variable.*score_hint"):
        judge(answers=answers, out=tmp_path / "o", judges=["llm"], template=tpl)
