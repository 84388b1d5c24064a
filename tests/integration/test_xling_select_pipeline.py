"""`xling select` and `xling compare` on the fast world and zoo, through a real pipeline.

The zoo's `instruct` (tuned on English only) and `teacher` (English and Russian) stand in for
a sweep's candidates and for the demo section's instruct-vs-LEP pair: a pipeline selects one
on the Russian fact questions and a later stage answers through `${select}/chosen`; the
demo section's summary.md says in words what its results.json holds.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from langadapt import pipeline

pytestmark = pytest.mark.slow

PIPELINE = """# test pipeline: select on Russian facts, then answer through the chosen model
run_dir: {run}
stages:
  - name: world
    command: world generate
    options: {{seed: 0, size: fast}}
  - name: zoo
    command: zoo build
    options: {{world: "${{world}}", size: fast}}
  - name: select
    command: xling select
    options:
      candidates: ["${{zoo}}/instruct", "${{zoo}}/teacher"]
      prompts: ["${{world}}/eval/facts.en.jsonl", "${{world}}/eval/facts.ru.jsonl"]
      judge: world
      max_new_tokens: 24
      limit: 12
  - name: test
    command: xling eval
    options:
      model: "${{select}}/chosen"
      prompts: ["${{world}}/eval/modifiers.ru.jsonl"]
      judge: world
      max_new_tokens: 24
      limit: 6
  - name: section
    command: xling compare
    options:
      candidates: ["${{select}}/evals/instruct", "${{select}}/evals/teacher"]
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("xsel")
    yaml = root / "p.yaml"
    yaml.write_text(PIPELINE.format(run=root / "run"))
    pipeline.run(yaml)
    return root / "run"


def test_select_picks_by_the_rule_and_the_next_stage_reads_chosen(run):
    res = json.loads((run / "select" / "results.json").read_text())
    figs = {c["name"]: c["figures"] for c in res["candidates"]}
    assert set(figs) == {"instruct", "teacher"} and res["validation_languages"] == ["ru"]
    val = {n: f["validation"]["value"] for n, f in figs.items()}
    assert val[res["chosen"]] == max(val.values())
    assert all(f["validation"]["n"] == 12 for f in figs.values())
    chosen = os.path.realpath(run / "select" / "chosen")
    assert chosen == os.path.realpath(run / "zoo" / res["chosen"])
    test = json.loads((run / "test" / "manifest.json").read_text())
    assert test["options"]["model"].endswith("select/chosen")
    assert test["results"]["answers"] == 6


def test_demo_section_summary_says_what_the_figures_are(run):
    out = run / "section"
    summary = (out / "summary.md").read_text()
    res = json.loads((out / "results.json").read_text())
    assert summary.startswith("## ") and (out / "report.html").is_file()
    teacher = next(c for c in res["candidates"] if c["name"] == "teacher")
    ru = teacher["figures"]["correct"]["ru"]
    assert f"teacher {100 * ru['value']:.1f}% [{100 * ru['low']:.1f}" in summary
    d = res["paired"]["teacher"]["correct:ru"]
    verdict = "significant" if d["significant"] else "not significant"
    said = re.escape(f"teacher {100 * d['diff']:+.1f} points [")
    assert re.search(rf"{said}[^]]*\], {verdict}", summary)
    sentences = summary.split("\n\n")[1]
    assert 2 <= sentences.count(". ") + 1 <= 6
