"""pretrain and sft under `accelerate launch` with two CPU processes (DDP over gloo).

accelerate's `--cpu` launcher starts a single process unless MPI is configured, so the test
uses the torchrun-based launcher (`--multi_gpu --num_processes 2`) with ACCELERATE_USE_CPU,
which gives two CPU processes joined by gloo: the same code path as two GPUs under DDP.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SRC = Path(__file__).resolve().parents[2] / "src"


def launch(*args: str) -> subprocess.CompletedProcess:
    accelerate = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    cmd = [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1"]
    cmd += ["--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0"]
    cmd += ["-m", "langadapt", *args]
    env = {**os.environ, "PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1"}
    env["ACCELERATE_USE_CPU"] = "true"
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rank in (0, 1):
        assert f"[rank {rank}/2] finished" in proc.stderr, proc.stderr[-3000:]
    return proc


def test_pretrain_and_sft_on_two_processes(tiny_dir, tmp_path, builtin_texts):
    from transformers import AutoModelForCausalLM

    model = tiny_dir("qwen2", "byte-level-bpe", True)
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(builtin_texts * 2) + "\n", encoding="utf-8")
    out = tmp_path / "pre"
    launch(
        "pretrain", "--model", str(model), "--corpus", str(corpus), "--out", str(out),
        "--schedule.lr", "1e-2", "--block-size", "32", "--schedule.batch-size", "2",
        "--schedule.max-steps", "4", "--schedule.save-every", "2", "--schedule.warmup-steps", "1",
    )  # fmt: skip
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["processes"] == 2
    AutoModelForCausalLM.from_pretrained(str(out))

    data = tmp_path / "chat.jsonl"
    with open(data, "w", encoding="utf-8") as f:
        for q, a in zip(builtin_texts[::2], builtin_texts[1::2]):
            msgs = [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
            f.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")
    sft = tmp_path / "sft"
    launch(
        "sft", "--model", str(out), "--data", str(data), "--out", str(sft),
        "--schedule.lr", "1e-3", "--lora", "--merge", "--schedule.batch-size", "2",
        "--schedule.max-steps", "3", "--schedule.warmup-steps", "1",
    )  # fmt: skip
    merged = AutoModelForCausalLM.from_pretrained(str(sft))
    assert not (sft / "adapter_config.json").exists()
    assert json.loads((sft / "manifest.json").read_text())["results"]["processes"] == 2
    assert merged.lm_head.weight is merged.model.embed_tokens.weight
