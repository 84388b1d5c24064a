"""xling's exact judges: language verdicts, modifier rules (compliant and not), aspect parsing."""

from __future__ import annotations

import pytest

from langadapt.errors import InputError
from langadapt.xling import aspects, modifiers
from langadapt.xling.lid import identifier

EN = "The game is played by two teams on a large field with four bases."
RU = "В эту игру играют две команды на большом поле с четырьмя базами."
FR = "Le jeu se joue entre deux équipes sur un grand terrain avec quatre bases."


def _lang(answer: str, lang: str) -> str:
    return identifier().verdict(answer, lang)["verdict"]


def test_verdicts_whole_and_line_by_line():
    lid = identifier()
    assert lid.verdict(EN + "\n" + EN, "en")["verdict"] == "correct"
    assert lid.verdict(EN, "ru")["verdict"] == "wrong"
    mixed = lid.verdict(RU + "\n" + EN + "\n" + RU, "ru")
    assert mixed["verdict"] == "switched" and not mixed["line_pass"] and mixed["lines_ok"] == 2
    assert lid.verdict("1. 2. 3.", "en")["verdict"] == "empty"
    short = lid.verdict("Rome, Italy.", "ru")  # no line long enough: the whole answer decides
    assert short["lines"] == 0 and not short["line_pass"]


def test_unknown_language_is_refused():
    with pytest.raises(InputError, match="'xx' is not one the language-ID model"):
        identifier().check_language("xx", "p.xx.jsonl line 1")
    identifier().check_language("pt", "here")


def check(mtype: str, answer: str, base: str | None = None) -> str:
    return modifiers.check(mtype, answer, base=base, language=_lang)["status"]


@pytest.mark.parametrize(
    "mtype,good,bad",
    [
        ("num_items_3", "- a\n- b\n- c", "- a\n- b"),
        ("num_items_2", "1. Jazz\n2) Blues", "Jazz and blues."),
        ("num_items_2", "<ul><li>a</li><li>b</li></ul>", "<ul><li>a</li></ul>"),
        ("lang_fr", FR, EN),
        ("markdown_template", "## Steps\nSear the **steak**.", "- sear\n- rest"),
        (
            "html_template",
            "<html><body><h1>Steak</h1><p>Sear it.</p></body></html>",
            "Use <b>high</b> heat.",
        ),
        ("arrow_template", "--> Sear it\n--> Rest it", "- Sear it\n--> Rest it"),
        ("cap_template", "Sear The Steak On High Heat.", "Sear the steak on high heat."),
        ("lang_ru+num_items_2", "- " + RU + "\n- " + RU, "- " + EN + "\n- " + EN),
    ],
)
def test_rule_passes_compliant_and_fails_the_rest(mtype, good, bad):
    assert check(mtype, good) == "pass"
    assert check(mtype, bad) == "fail"


def test_short_and_long_compare_with_the_unmodified_answer():
    base = "one two three four five six"
    assert check("short", "one two", base) == "pass"
    assert check("short", base + " seven", base) == "fail"
    assert check("long", base + " seven", base) == "pass"
    assert check("long", "one", base) == "fail"
    assert check("short", "one") == "unchecked"  # no unmodified answer: counted, not guessed


def test_style_types_go_to_the_judge_and_unknown_types_are_errors():
    for mtype in ("scientific_style", "simple_style", "complex_inst"):
        assert check(mtype, "anything") == "judge"
    with pytest.raises(InputError, match="f.jsonl line 3: unknown modifier type 'poem'"):
        modifiers.parse("poem", "f.jsonl line 3")
    with pytest.raises(InputError, match="only rules combine"):
        modifiers.parse("short+simple_style", "x")


def test_html_is_parsed_not_pattern_matched():
    # prose about HTML is no page; an unclosed page still is one (as browsers read it)
    assert check("html_template", "Use the html and body elements.") == "fail"
    assert check("html_template", "<html><body><p>Sear it.") == "pass"
    assert check("html_template", "<html><body></body></html>") == "fail"  # no text


@pytest.mark.parametrize(
    "raw",
    [
        '{"Language": 3, "Fluency": 3, "Helpfulness": 2, "Accuracy": 3, '
        '"Logical coherence": 3, "Harmlessness": 3}',
        'Here: {"language": "3 stars", "fluency": 3, "helpfulness": 2, "accuracy": 3.0, '
        '"logical_coherence": 3, "harmlessness": 3} done',
    ],
)
def test_aspects_are_read_from_json(raw):
    got = aspects.parse_aspects(raw)
    assert got == {a: 2 if a == "helpfulness" else 3 for a in aspects.ASPECTS}


@pytest.mark.parametrize(
    "raw",
    [
        "Score: 3",
        '{"Language": 3}',
        '{"Language": 4, "Fluency": 3, "Helpfulness": 2, '
        '"Accuracy": 3, "Logical coherence": 3, "Harmlessness": 3}',
        "{not json",
    ],
)
def test_unreadable_aspects_are_none(raw):
    assert aspects.parse_aspects(raw) is None
