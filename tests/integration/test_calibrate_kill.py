"""Acceptance (issue 11, item 3): a calibration SIGKILLed while it writes its reference answers
resumes to the same answers file as an uninterrupted run (it used to die in a JSONDecodeError).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from langadapt.tiny import tiny_model_folder
from langadapt.train.calibrate import ANSWERS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
N_PROMPTS = 64  # 8 logged chunks of 8 (generation batch 2 x 4): time enough to kill in between


def _command(lep: Path, ref: Path, prompts: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "langadapt", "calibrate", "--model", str(lep),
        "--reference", str(ref), "--prompts", str(prompts), "--out", str(out),
        "--max-new-tokens", "16", "--generation-batch-size", "2", "--max-length", "128",
    ]  # fmt: skip


def _env() -> dict[str, str]:
    # one thread: a tiny model gains nothing from more, and they thrash on a busy machine
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "TQDM_DISABLE": "1",
        "OMP_NUM_THREADS": "1",
    }


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _tear_last_line(path: Path) -> None:
    """Cut the last line in half, as a kill in the middle of writing it would leave it."""
    data = path.read_bytes()
    start = data.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(data[: start + (len(data) - start) // 2])


@pytest.fixture(scope="module")
def setup(tmp_path_factory, builtin_texts):
    tmp = tmp_path_factory.mktemp("calkill")
    lep = tiny_model_folder(tmp / "lep", arch="llama", seed=1)
    ref = tiny_model_folder(tmp / "ref", arch="llama", seed=2)
    prompts = tmp / "prompts.jsonl"
    texts = [f"{builtin_texts[i % len(builtin_texts)]} ({i})" for i in range(N_PROMPTS)]
    prompts.write_text(
        "".join(json.dumps([{"role": "user", "content": t}]) + "\n" for t in texts), "utf-8"
    )
    return tmp, lep, ref, prompts


def test_sigkill_while_answering_then_rerun_gives_the_same_answers(setup):
    tmp, lep, ref, prompts = setup
    out = tmp / "killed"
    part = tmp / f".{out.name}.partial" / f"{ANSWERS}.part"
    cmd = _command(lep, ref, prompts, out)
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while _lines(part) < 16 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    log = proc.stdout.read().decode(errors="replace")
    assert proc.returncode == -signal.SIGKILL, f"calibration ended before the kill:\n{log[-3000:]}"
    written = _lines(part)
    assert 16 <= written < N_PROMPTS, written  # killed in the middle of the answer loop
    _tear_last_line(part)

    again = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "JSONDecodeError" not in again.stderr

    clean = tmp / "uninterrupted"
    full = subprocess.run(
        _command(lep, ref, prompts, clean), env=_env(), capture_output=True, text=True, timeout=600
    )
    assert full.returncode == 0, full.stderr[-3000:]
    resumed_answers = (out / ANSWERS).read_bytes()
    assert resumed_answers == (clean / ANSWERS).read_bytes()
    rows = [json.loads(line) for line in resumed_answers.decode().splitlines()]
    assert [r["id"] for r in rows] == [str(i) for i in range(N_PROMPTS)]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete"
