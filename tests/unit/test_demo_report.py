"""The demo report's tables and rendering: no JSON dumps, no backticks in HTML, escaped output."""

from __future__ import annotations

import pytest
from test_demo_summary import results  # the hand-made results.json of the summary tests

from langadapt.demo.scores import answers_table, overview_table, task_table
from langadapt.demo.stage import run as report_stage
from langadapt.demo.zoo_card import why_figures_differ, zoo_section
from langadapt.errors import InputError
from langadapt.report.html import Samples, Section, Text, render_html, render_markdown


def zoo_manifest() -> dict:
    """A zoo manifest in miniature, Cyrillic examples included (the old report dumped them)."""
    example = {"question": "Сколько лет Антону?", "answer": "18", "pred": "Ему 18 лет."}
    stage = {"stage": "pretrain (all weights)", "steps": 450, "lr": 0.005, "hidden": 64}
    stage |= {"layers": 2, "vocab": 512, "first_loss": 6.26, "final_loss": 0.07, "seconds": 19.0}
    return {
        "options": {"size": "fast"},
        "results": {
            "members": {
                "base": {"stages": [stage]},
                "instruct": {
                    "stages": [stage, {"stage": "sft (full)", "steps": 150, "lr": 0.001}],
                    "scores": {
                        "mc.ru": {"exact": 0.854, "n": 144, "examples": [example]},
                    },
                },
            }
        },
    }


def _page(sections: list[Section]) -> tuple[str, str]:
    return render_html("t", sections), render_markdown("t", sections)[0]


def test_zoo_section_is_tables_and_sentences_never_json():
    html, md = _page([zoo_section(zoo_manifest(), results())])
    for page in (html, md):
        assert '{"' not in page and "\\u04" not in page and "'exact'" not in page
    assert "<td>0.854 on 144</td>" in html and "hidden 64, 2 layers, 512 tokens" in html
    assert "pretrain: 450 steps, lr 0.005, loss 6.26 -&gt; 0.07" in html
    assert "`" not in html


def test_one_sentence_says_why_zoo_and_eval_figures_differ():
    res = results()  # eval: instruct's world_mc.ru 0.25 on 16 items; the zoo says 0.854 on 144
    why = why_figures_differ(zoo_manifest()["results"]["members"], res)
    assert "0.854 on 144 questions here, 0.250 on 16 in the eval above" in why
    assert "different item sets" in why
    members = zoo_manifest()["results"]["members"]
    members["instruct"]["scores"]["mc.ru"]["exact"] = 0.25  # the same figure: nothing to explain
    assert why_figures_differ(members, res) is None


def test_scores_tables_carry_intervals_chance_and_constant_flags():
    res = results()
    ru = task_table(res, "world-ru")
    assert ru.rows[-1][0] == "chance / majority" and ru.rows[-1][1] == "0.250 / 0.250"
    assert ru.rows[-1][2] == "-"  # copy_sentence is no choice task
    assert ru.rows[0][1] == "0.250 [0.150, 0.350]" and "every option order" in ru.columns[1]
    over = overview_table(res)
    swap = next(r for r in over.rows if r[0] == "LEP Swap")
    assert swap[2] == "+0.050 [+0.010, +0.090] *"  # paired, significant
    answers = answers_table(res)
    assert (
        answers.rows[1][1] == "#4 100% / D 100% CONSTANT" and "CONSTANT" not in answers.rows[0][1]
    )


def test_html_renders_code_spans_and_keeps_model_output_verbatim():
    sections = [
        Section(
            "s",
            [
                Text("`vocab extend` added 300 tokens to `base`.\n\nSecond <b>paragraph</b>."),
                Samples("prompt `x`", {"model": "answer with `ticks` <script>"}),
            ],
        )
    ]
    html, md = _page(sections)
    assert "<code>vocab extend</code> added 300 tokens to <code>base</code>." in html
    assert "&lt;b&gt;paragraph&lt;/b&gt;" in html and "<script>" not in html
    # what a model wrote is shown as written (escaped), backticks included
    assert "answer with `ticks` &lt;script&gt;" in html
    prose = html.split("<div class='prompt'>")[0]
    assert "`" not in prose
    assert "`vocab extend`" in md  # Markdown keeps its own syntax


def test_report_stage_names_a_scores_folder_without_results(tmp_path):
    folders = {k: tmp_path / k for k in ("world", "zoo", "tokenizer", "embeddings", "eval")}
    for p in folders.values():
        p.mkdir()
    with pytest.raises(InputError, match="holds no results.json"):
        report_stage(
            world=folders["world"],
            zoo=folders["zoo"],
            tokenizer=folders["tokenizer"],
            embeddings=folders["embeddings"],
            propagated=[],
            scores=folders["eval"],
            out=tmp_path / "report",
        )
    assert not (tmp_path / "report").exists()


def test_report_stage_refuses_a_section_folder_without_summary(tmp_path):
    folders = {k: tmp_path / k for k in ("world", "zoo", "tokenizer", "embeddings", "eval", "x")}
    for p in folders.values():
        p.mkdir()
    (folders["eval"] / "results.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="x holds no summary.md"):
        report_stage(
            world=folders["world"],
            zoo=folders["zoo"],
            tokenizer=folders["tokenizer"],
            embeddings=folders["embeddings"],
            propagated=[],
            scores=folders["eval"],
            sections=[folders["x"]],
            out=tmp_path / "report",
        )
    assert not (tmp_path / "report").exists()
