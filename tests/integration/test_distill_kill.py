"""`langadapt distill difficulty` killed with SIGKILL mid-judging, then rerun: no judge call that
finished before the kill is made again (counted by the endpoint); at most the calls in flight at
the kill are repeated, and the rerun ends with every record judged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from langadapt.corpus import read_json_lines
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")
pytestmark = pytest.mark.slow

N = 120
CONCURRENCY = 4


def test_kill_9_during_difficulty_repeats_no_finished_judge_call(tmp_path):
    data = tmp_path / "seed.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "prompt": f"Question {i}?",
                                        "teacher": f"Answer {i}."}) + "\n" for i in range(N)))  # fmt: skip
    judged: Counter[str] = Counter()
    lock = threading.Lock()

    def reply(messages) -> str:
        text = messages[-1]["content"]
        if "[Assistant 1]" not in text:
            return f"echo: {text}"
        with lock:
            judged[text] += 1
        return '{"score_1": 7, "score_2": 4}'

    cmd = [sys.executable, "-m", "langadapt", "distill", "difficulty", "--data", str(data),
           "--out", str(tmp_path / "out"), "--client.cache-path", str(tmp_path / "c.sqlite"),
           "--client.concurrency", str(CONCURRENCY), "--no-progress"]  # fmt: skip
    env = dict(os.environ, LANGADAPT_CACHE=str(tmp_path / "cache"))
    with EchoEndpoint(latency_s=0.03, reply=reply) as stub:
        cmd += ["--student", stub.url, "--judge-model", stub.url]
        cmd += ["--student-served-model", "echo", "--judge-served-model", "echo"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 240
        while (
            sum(judged.values()) < 3 * N // 2
            and time.monotonic() < deadline
            and proc.poll() is None
        ):
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        first = sum(judged.values())
        assert 0 < first < 2 * N, "the stage was not killed while judging"
        partial = tmp_path / ".out.partial" / "items" / "verdicts.jsonl"
        assert partial.is_file()  # finished chunks were kept
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    assert len(judged) == 2 * N  # every record judged in both orders
    repeated = sum(c - 1 for c in judged.values())
    assert max(judged.values()) <= 2
    assert repeated <= CONCURRENCY, repeated  # only calls in flight at the kill
    rows = read_json_lines(tmp_path / "out" / "difficulty.jsonl")
    # the judge always prefers the first answer by 3: both orders cancel it, MFD 0, not hard
    assert len(rows) == N and all(r["mfd"] == 0.0 and r["hard"] is False for r in rows)
    print(f"judge calls before the kill: {first}; repeated after the rerun: {repeated}")
