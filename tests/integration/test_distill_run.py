"""`langadapt distill run` on the fast world and zoo: the whole TAPIR pipeline end to end
(seed -> warmup -> difficulty (IFD) -> classify -> balance -> expand -> refine -> curriculum),
three students compared by `distill evaluate` against the teacher with the world judge: (a) a
random sample of the curated set's size, (b) the balanced hard set in one round, (c) the
curriculum, each paired against the random sample. Tiny step counts: this checks the plumbing and the report, not which wins.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from langadapt import commands, pipeline
from langadapt.distill import evaluate
from langadapt.llm.clientopts import Client

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("distill-run")
    cfg = ROOT / "configs" / "smoke" / "distill-world.yaml"
    func = commands.load(commands.COMMANDS["distill run"][0])  # what `langadapt distill run` calls
    func(cfg, run_dir=root / "run")
    return root / "run"


def test_three_students_are_compared_with_intervals(run):
    ev = run / "evaluate"
    res = json.loads((ev / "results.json").read_text())
    assert [c["name"] for c in res["candidates"]] == ["random", "hard-1-round", "curriculum"]
    for c in res["candidates"]:
        w = c["win"]["raw"]
        assert w["n"] == res["n_world_tasks"] > 0 and w["low"] <= w["win_rate"] <= w["high"]
        assert c["win"]["lc"]["lc_win_rate"] is not None
        acc = c["world"]["overall"]
        eps = 1e-12  # Wilson's low end at 0 successes is 0 up to rounding
        assert acc["low"] - eps <= acc["value"] <= acc["high"] and acc["n"] == w["n"]
        assert set(c["world"]["by_type"]) == set(res["reference"]["world"]["by_type"])
    summary = (ev / "summary.md").read_text()
    assert summary.startswith("## ") and "interval" in summary
    # each student paired against the random sample, on instruct tasks and fact questions
    assert res["baseline"] == "random" and "facts" in res["task_types"]
    assert "curriculum minus random: exact accuracy" in summary and "| facts |" in summary
    assert (ev / "report.html").is_file() and "task type" in (ev / "report.html").read_text()
    # the curriculum trained its rounds from the warmed-up student, each from the last
    rounds = json.loads((run / "curriculum" / "rounds.json").read_text())
    assert len(rounds["rounds"]) == 3


def test_a_bad_stage_option_stops_the_run_before_anything_runs(tmp_path):
    cfg = tmp_path / "bad.yaml"
    text = (ROOT / "configs" / "smoke" / "distill-world.yaml").read_text()
    cfg.write_text(text.replace("judge: world", "judge: wrld"))
    with pytest.raises(Exception, match="nothing was run"):
        pipeline.run(cfg, run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def served_teacher(run):
    """The run's zoo teacher behind `langadapt serve` (a real subprocess on 127.0.0.1)."""
    pytest.importorskip("openai")
    proc = subprocess.Popen(
        [sys.executable, "-m", "langadapt", "serve", str(run / "zoo" / "teacher"), "--port", "0",
         "--served-model", "teacher"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, TOKENIZERS_PARALLELISM="false"),
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=120)
    except queue.Empty:
        proc.kill()
        pytest.fail("langadapt serve printed nothing within 120 s")
    yield line.split(" at ")[1].strip()
    proc.terminate()
    proc.wait(timeout=30)


def test_llm_judge_path_against_the_served_teacher(run, served_teacher, tmp_path):
    """Reference and judge are the served teacher: both orders asked, every item either
    scored or counted unreadable (the tiny teacher is no real judge)."""
    out = evaluate.run(out=tmp_path / "ev", candidates=[str(run / "curriculum" / "round-3")],
                       names=["curriculum"], reference=served_teacher, prompts=run / "seed" /
                       "seed.jsonl", judge_model=served_teacher, reference_served_model="teacher",
                       judge_served_model="teacher", limit=4, max_new_tokens=12,
                       judge_max_tokens=16, client=Client(cache_path=tmp_path / "c.sqlite"),
                       progress=False)  # fmt: skip
    res = json.loads((out / "results.json").read_text())
    w = res["candidates"][0]["win"]
    assert res["judge"] == "llm" and len(w["preferences"]) == 4
    assert w["raw"]["n"] + w["raw"]["unreadable"] == 4
    assert (out / "summary.md").read_text().startswith("## ")
