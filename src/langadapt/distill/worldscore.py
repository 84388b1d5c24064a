"""`distill difficulty --score world`: Model Fitting Difficulty with the world's exact rules as
the judge, for seeds from the embedded world (`instruct/train.*.jsonl`, whose records keep the
task's short `answer`).

Each answer, the teacher's and the student's, is scored 10 when it is exactly right (the short
answer or the full reference reply, up to case, spacing and end punctuation:
`llm.world_rules`) and 1 when not, on TAPIR's 1-10 scale (*choice*: the rule knows only right
and wrong), so MFD is 9, 0 or -9 and, with delta 1, an instruction is hard exactly when the
teacher is right and the student wrong. No judge is asked; the order of the answers cannot
matter.
"""

from __future__ import annotations

import time
from pathlib import Path

from langadapt.artifacts import write_json_atomic
from langadapt.corpus import write_json_lines
from langadapt.llm import world_rules

RIGHT, WRONG = 10.0, 1.0


def score(answer: str, record: dict) -> float:
    """10 for an exactly right answer to a world record, else 1."""
    accepted = [str(record["answer"])] + ([record["reference"]] if record.get("reference") else [])
    return RIGHT if world_rules.check(answer, accepted) else WRONG


def write(rows: list[dict], student: dict[str, str], tmp: Path, run_, delta: float,
          t0: float) -> None:  # fmt: skip
    """difficulty.jsonl, hard.jsonl, easy.jsonl and summary.json, as the mfd branch writes."""
    out_rows = []
    for r in rows:
        t, s = score(r["teacher"], r), score(student[r["id"]], r)
        out_rows.append(r | {"student": student[r["id"]], "score_teacher": t, "score_student": s,
                             "mfd": t - s, "hard": t - s > delta})  # fmt: skip
    write_json_lines(tmp / "difficulty.jsonl", out_rows)
    write_json_lines(tmp / "hard.jsonl", (r for r in out_rows if r["hard"]))
    write_json_lines(tmp / "easy.jsonl", (r for r in out_rows if not r["hard"]))
    summary = {
        "score": "world",
        "n": len(out_rows),
        "hard": sum(r["hard"] for r in out_rows),
        "easy": sum(not r["hard"] for r in out_rows),
        "teacher_right": sum(r["score_teacher"] == RIGHT for r in out_rows),
        "student_right": sum(r["score_student"] == RIGHT for r in out_rows),
        "mean_mfd": sum(r["mfd"] for r in out_rows) / len(out_rows),
        "delta": delta,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_json_atomic(tmp / "summary.json", summary)
    run_.results.update(summary)
    print(
        f"distill difficulty --score world: {summary['n']} records: {summary['hard']} hard "
        f"(teacher right, student wrong), {summary['easy']} easy; teacher right on "
        f"{summary['teacher_right']}, student on {summary['student_right']}"
    )
