"""A pretrain run killed with SIGKILL after a checkpoint resumes and ends with the same weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from langadapt.engine.schedule import stage_default
from langadapt.train import pretrain

pytestmark = pytest.mark.slow
SRC = Path(__file__).resolve().parents[2] / "src"


def command(model: Path, corpus: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "langadapt", "pretrain", "--model", str(model),
        "--corpus", str(corpus), "--out", str(out), "--schedule.lr", "1e-2", "--block-size",
        "32", "--schedule.batch-size", "2", "--schedule.warmup-steps", "5",
        "--schedule.save-every", "10", "--schedule.seed", "3", "--train", "all",
        "--schedule.max-steps", "200",
    ]  # fmt: skip


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}


def test_kill_and_resume_matches_uninterrupted(tiny_dir, tmp_path, builtin_texts):
    model = tiny_dir("llama", "byte-level-bpe", False)
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(builtin_texts * 4) + "\n", encoding="utf-8")
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    marker = tmp_path / ".killed.partial" / "checkpoint" / "step.json"

    proc = subprocess.Popen(
        command(model, corpus, killed), env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.time() + 90
    while not marker.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before a checkpoint could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    step = json.loads(marker.read_text())["step"]
    assert 0 < step < 200 and not killed.exists()

    resumed = subprocess.run(
        command(model, corpus, killed), env=env(), capture_output=True, text=True, timeout=120
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from the checkpoint of step" in resumed.stderr
    # the uninterrupted twin, in this process (same options as the command line)
    sched = stage_default(
        pretrain.run, lr=1e-2, batch_size=2, warmup_steps=5, save_every=10, seed=3, max_steps=200
    )
    pretrain.run(
        model=model, corpus=[corpus], out=clean, block_size=32, train="all", schedule=sched
    )

    a, b = load_file(killed / "model.safetensors"), load_file(clean / "model.safetensors")
    assert set(a) == set(b)
    for key in a:
        assert (a[key] - b[key]).abs().max().item() <= 1e-6, key
    steps = [json.loads(x)["step"] for x in (killed / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 201))  # no step logged twice after the resume
    assert not (killed / "checkpoint").exists()


@pytest.mark.parametrize("stage", ["pretrain-accum", "sft-lora"])
def test_resume_after_a_crash_in_process(tiny_dir, tmp_path, builtin_texts, monkeypatch, stage):
    """A crash right after a checkpoint (grad accumulation, LoRA + merge) resumes exactly."""
    from langadapt import engine
    from langadapt.train import sft

    model = tiny_dir("qwen2", "byte-level-bpe", True)
    if stage == "pretrain-accum":
        corpus = tmp_path / "c.txt"
        corpus.write_text("\n".join(builtin_texts * 4) + "\n", encoding="utf-8")
        sched = dict(lr=1e-2, batch_size=2, grad_accum=2, max_steps=12, save_every=4)
        opts = dict(corpus=[corpus], block_size=32, train="all")
        opts["schedule"] = stage_default(pretrain.run, warmup_steps=2, **sched)
        func = pretrain.run
    else:
        data = tmp_path / "d.jsonl"
        rows = [
            {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
            for q, a in zip(builtin_texts[::2], builtin_texts[1::2])
        ]
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        sched = dict(lr=1e-2, batch_size=2, max_steps=9, save_every=3, warmup_steps=1)
        opts = dict(data=[data], schedule=stage_default(sft.run, **sched))
        opts.update(lora=True, merge=True, modules_to_save=["embed_tokens", "lm_head"])
        func = sft.run
    func(model=model, out=tmp_path / "clean", **opts)

    real = engine._save_checkpoint

    def crash(accelerator, work, step):
        real(accelerator, work, step)
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(engine, "_save_checkpoint", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        func(model=model, out=tmp_path / "resumed", **opts)
    assert (tmp_path / ".resumed.partial" / "checkpoint" / "step.json").is_file()
    monkeypatch.setattr(engine, "_save_checkpoint", real)
    out = func(model=model, out=tmp_path / "resumed", **opts)
    assert json.loads((out / "manifest.json").read_text())["results"]["resumed_from_step"] > 0
    a = load_file(tmp_path / "clean" / "model.safetensors")
    b = load_file(out / "model.safetensors")
    assert set(a) == set(b)
    assert all((a[k] - b[k]).abs().max().item() <= 1e-6 for k in a)
