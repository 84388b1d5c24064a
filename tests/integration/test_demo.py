"""`langadapt demo --fast` in a fresh process: every stage, the report, and a resumed re-run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = (
    "world",
    "zoo",
    "emb_data",
    "emb_base",
    "emb_align",
    "emb_lusifer",
    "emb_eval",
    "tokenizer",
    "init",
    "embeddings",
    "swap",
    "overlap",
    "conversion",
    "calibrated",
    "xling",
    "t_seed",
    "t_warmup",
    "t_difficulty",
    "t_classify",
    "t_balance",
    "t_expand",
    "t_refine",
    "t_random",
    "t_hard",
    "t_curriculum",
    "t_eval",
    "eval",
    "report",
)


def _demo(out: Path) -> subprocess.CompletedProcess:
    # a cache of its own: the test must neither reuse nor leave a zoo in the user's cache
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "XDG_CACHE_HOME": str(out.parent / "cache"),
        "LANGADAPT_CACHE": "",  # it would come before XDG_CACHE_HOME (artifacts.cache_root)
    }
    cmd = [sys.executable, "-m", "langadapt", "demo", "--fast", "--out", str(out)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_demo_fast_runs_lep_end_to_end_and_resumes(tmp_path):
    out = tmp_path / "demo"
    first = _demo(out)
    assert first.returncode == 0, first.stderr[-3000:]
    for name in STAGES:
        manifest = json.loads((out / name / "manifest.json").read_text())
        assert manifest["status"] == "complete", name
    html = (out / "report" / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "data:image/png;base64," in html
    for model in ("LEP Swap", "LEP Overlap", "LEP Conversion", "calibration", "before LEP"):
        assert model in html
    assert "<script" not in html  # model text is escaped, nothing runs
    md = (out / "report" / "report.md").read_text()
    assert "symbols/token ru" in md and "Micro-Avg" in md
    assert "| stage | kind | seconds |" in md  # every header has its column of values
    # the report opens with its summary in words: tokens saved, LEP against instruct, caveats
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
    assert "fewer tokens" in summary and "paired 95% interval" in summary
    assert "On Russian," in summary and "On English," in summary
    assert "chance / majority" in md and "every option order" in md  # baselines, rotations
    # no raw JSON anywhere, no Markdown backticks in the HTML outside what models wrote
    for page in (html, md):
        assert '{"' not in page and "\\u04" not in page
    assert "`" not in html.split("<div class='prompt'>")[0]
    assert "different item sets" in md  # the zoo's and the eval's facts figures differ
    res = json.loads((out / "eval" / "results.json").read_text())
    results = res["scores"]
    assert set(results) == {"instruct", "swap", "overlap", "conversion", "calibrated", "teacher"}
    assert res["comparisons"]["baseline"] == "instruct"  # the demo's eval pairs against instruct
    assert res["tasks"]["world_mc_letters.ru"]["permuted"]  # lettered: every rotation
    assert not res["tasks"]["world_mc.ru"]["permuted"]  # cloze: no positions to rotate
    assert not res["tasks"]["world_mc_letters.ru"]["in_micro_avg"]
    assert "Before LEP, instruct on Russian" in summary
    # the other systems' sections, from their stages' summary.md
    assert "## Cross-lingual answers: instruct vs the LEP models" in md
    assert "## LUSIFER vs the base LLM alone" in md and "xling/report.html" in md
    tapir = md.split("## TAPIR: instruct teaches base", 1)[1].split("\n## ", 1)[0]
    assert "minus random sample" in tapir and "McNemar" in tapir  # paired against random
    ev = json.loads((out / "t_eval" / "results.json").read_text())
    assert [c["name"] for c in ev["candidates"]] == [
        "random sample", "hard set in one round", "curriculum"]  # fmt: skip
    assert "facts" in ev["task_types"] and ev["baseline"] == "random sample"
    # the extended tokenizer reads Russian with far fewer tokens than the English-centric base
    ext = json.loads((out / "tokenizer" / "manifest.json").read_text())["results"]
    assert ext["added"] > 0

    # kill nothing, just re-run: every stage is up to date, the report too
    t0 = time.perf_counter()
    second = _demo(out)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.count("is up to date") == len(STAGES)
    assert time.perf_counter() - t0 < 120
