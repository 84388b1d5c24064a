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
    "tokenizer",
    "init",
    "embeddings",
    "swap",
    "overlap",
    "conversion",
    "calibrated",
    "eval",
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
    html = (out / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "data:image/png;base64," in html
    for model in ("LEP Swap", "LEP Overlap", "LEP Conversion", "calibration", "before LEP"):
        assert model in html
    assert "<script" not in html  # model text is escaped, nothing runs
    md = (out / "report.md").read_text()
    assert "symbols/token ru" in md and "Micro-Avg" in md
    assert "| stage | kind | seconds |" in md  # every header has its column of values
    results = json.loads((out / "eval" / "results.json").read_text())["scores"]
    assert set(results) == {"instruct", "swap", "overlap", "conversion", "calibrated", "teacher"}
    # the extended tokenizer reads Russian with far fewer tokens than the English-centric base
    ext = json.loads((out / "tokenizer" / "manifest.json").read_text())["results"]
    assert ext["added"] > 0

    # kill nothing, just re-run: every stage is up to date and only the report is rebuilt
    t0 = time.perf_counter()
    second = _demo(out)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.count("is up to date") == len(STAGES)
    assert time.perf_counter() - t0 < 120
