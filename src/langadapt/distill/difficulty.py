"""`langadapt distill difficulty`: Model Fitting Difficulty of each instruction for the student.

TAPIR (arXiv 2405.13448, section 3.1): the student answers every instruction; a judge sees the
teacher's and the student's answers side by side and scores each 1-10, once in each order
(`mfd.combine` averages the orders, cancelling position bias); MFD = teacher - student, and an
instruction is hard when MFD > delta (default 1). The judge samples at temperature 0.2 (the
issue's default for TAPIR), each call with a seed, so a rerun asks the same cached calls.

`--score ifd` needs no judge: the student's own loss ratio IFD = loss(answer | instruction) /
loss(answer) on the teacher's answer (Li et al., arXiv 2308.12032; `ifd.py`), hard when IFD is
above `--ifd-threshold` (default: the median, so half the records are hard).

A judge reply with no readable pair of scores is counted and reported (`unparseable`), and its
record gets `mfd: null, hard: null`: never a guessed score. The student's answers and the
verdicts are kept in item logs, endpoint calls in the call cache: kill the stage and rerun it,
and only calls that were in flight are made again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.corpus import write_json_lines
from langadapt.distill import ifd, mfd, records, worldscore
from langadapt.errors import ConfigError
from langadapt.itemlog import ItemLog
from langadapt.llm import template_file
from langadapt.llm.clientopts import Client

DEFAULT_TEMPLATE = Path(__file__).parent / "prompts" / "pairwise.jinja"
VARIABLES = frozenset({"prompt", "answer_1", "answer_2", "scale_min", "scale_max"})


def load_template(path: Path | None):
    """The pairwise judge's Jinja template; unknown variables are an InputError."""
    return template_file.load_template(
        path,
        default=DEFAULT_TEMPLATE,
        variables=VARIABLES,
        what="pairwise judge template",
        fills="the pairwise judge fills",
    )


def run(
    *,
    data: Path,
    out: Path,
    student: str,
    judge_model: str | None = None,
    score: Literal["mfd", "ifd", "world"] = "mfd",
    ifd_threshold: float | None = None,
    max_length: int = 2048,
    batch_size: int = 8,
    student_served_model: str | None = None,
    judge_served_model: str | None = None,
    student_api_key_env: str | None = None,
    judge_api_key_env: str | None = None,
    template: Path | None = None,
    delta: float = 1.0,
    judge_temperature: float = 0.2,
    student_max_new_tokens: int = 512,
    judge_max_tokens: int = 256,
    seed: int = 0,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Score each instruction's difficulty for the student (MFD from pairwise judging).

    Args:
        data: records with a `teacher` answer (distill seed/classify/balance output).
        out: output folder: difficulty.jsonl, hard.jsonl, easy.jsonl, summary.json.
        student: the student: a local HF folder or an OpenAI-compatible endpoint URL (a folder
            for --score ifd).
        judge_model: the judge (for --score mfd): a local HF folder or an endpoint URL.
        score: mfd (TAPIR: pairwise judge), ifd (the student's loss ratio, no judge) or world
            (the world's exact answers judge teacher and student).
        ifd_threshold: with --score ifd, hard when IFD > this; none = the median.
        max_length: with --score ifd, tokens of a chat kept for the losses.
        batch_size: with --score ifd, chats per forward pass.
        student_served_model: the student's model name at its endpoint.
        judge_served_model: the judge's model name at its endpoint.
        student_api_key_env: name of the variable holding the student endpoint's API key.
        judge_api_key_env: name of the variable holding the judge endpoint's API key.
        template: pairwise Jinja template (prompt, answer_1, answer_2, scale_min, scale_max).
        delta: hard when MFD > delta, on the judge's 1-10 scale (TAPIR: 1).
        judge_temperature: judge sampling temperature (0.2, the issue's TAPIR default).
        student_max_new_tokens: longest student answer, in tokens (greedy).
        judge_max_tokens: longest judge reply, in tokens.
        seed: seed of the judge's sampled calls.
        client: how the endpoints (student, judge) are called: requests in flight (each
            backend), timeout, retries, call cache (llm/clientopts.py); a model folder ignores
            it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    tpl = load_template(template)
    if delta < 0:
        raise ConfigError(f"--delta must be >= 0 (an MFD threshold on 1-10), not {delta}")
    if score == "mfd" and not judge_model:
        raise ConfigError("--score mfd needs --judge-model (or use --score ifd: no judge)")
    need = ["teacher", "answer"] if score == "world" else ["teacher"]
    rows = records.read_records(Path(data), need=need, stage="distill difficulty")
    options = {k: v for k, v in locals().items()
               if k not in ("data", "out", "force", "rows", "tpl", "template", "progress", "need")}  # fmt: skip
    options["client"] = client.kwargs()  # a mapping of its fields, not the object's repr
    inputs = {"data": Path(data), "template": template}
    if score == "ifd" and Path(student).is_dir():  # the losses depend on the weights
        inputs["student_folder"] = Path(student)
    run_ = StageRun("distill difficulty", out, inputs=inputs, options=options, force=force,
                    resumable=True)  # fmt: skip
    if run_.up_to_date():
        return out
    if score == "ifd":
        lm, tok = ifd.load_student(student)
        with run_.writing() as tmp:
            _ifd(rows, tmp, run_, lm, tok, ifd_threshold, max_length, batch_size, progress)
        return out
    stu = records.backend(student, student_served_model, "student", "--student-served-model",
                          api_key_env=student_api_key_env, **client.kwargs())  # fmt: skip
    jud = None
    if score == "mfd":
        jud = records.backend(judge_model, judge_served_model, "judge_model",
                              "--judge-served-model", api_key_env=judge_api_key_env,
                              **client.kwargs())  # fmt: skip
    scale = (1, 10)
    with run_.writing() as tmp:
        t0 = time.perf_counter()

        def answer(chunk: list[dict]) -> list[dict]:
            got = stu.generate([records.user(r["prompt"]) for r in chunk],
                               max_new_tokens=student_max_new_tokens, temperature=0.0)  # fmt: skip
            return [{"id": r["id"], "student": a} for r, a in zip(chunk, got)]

        answers = records.each_chunk(rows, ItemLog(tmp / "items" / "student.jsonl"), answer,
                                     desc="student", progress=progress)  # fmt: skip
        by_id = {r["id"]: a["student"] for r, a in zip(rows, answers)}
        if score == "world":
            worldscore.write(rows, by_id, tmp, run_, delta, t0)
            return out

        def judge(chunk: list[dict]) -> list[dict]:
            chats = []
            for r in chunk:
                t, s = r["teacher"], by_id[r["id"]]
                for a1, a2 in ((t, s), (s, t)):  # teacher first, then student first
                    text = tpl.render(prompt=r["prompt"], answer_1=a1, answer_2=a2,
                                      scale_min=scale[0], scale_max=scale[1])  # fmt: skip
                    chats.append(records.user(text))
            got = jud.generate(chats, max_new_tokens=judge_max_tokens,
                               temperature=judge_temperature, seed=seed)  # fmt: skip
            res = []
            for i, r in enumerate(chunk):
                raw_ab, raw_ba = got[2 * i], got[2 * i + 1]
                ab, ba = mfd.parse_pair(raw_ab, scale), mfd.parse_pair(raw_ba, scale)
                v = mfd.combine(ab, ba, delta=delta)
                res.append({"id": r["id"], "ab": ab, "ba": ba, "raw_ab": raw_ab, "raw_ba": raw_ba,
                            "score_teacher": v.teacher, "score_student": v.student,
                            "mfd": v.mfd, "hard": v.hard})  # fmt: skip
            return res

        verdicts = records.each_chunk(rows, ItemLog(tmp / "items" / "verdicts.jsonl"), judge,
                                      desc="judge", progress=progress)  # fmt: skip
        keep = ("score_teacher", "score_student", "mfd", "hard", "raw_ab", "raw_ba")
        out_rows = [r | {"student": by_id[r["id"]]} | {k: v[k] for k in keep}
                    for r, v in zip(rows, verdicts)]  # fmt: skip
        write_json_lines(tmp / "difficulty.jsonl", out_rows)
        write_json_lines(tmp / "hard.jsonl", (r for r in out_rows if r["hard"] is True))
        write_json_lines(tmp / "easy.jsonl", (r for r in out_rows if r["hard"] is False))
        scored = [r["mfd"] for r in out_rows if r["mfd"] is not None]
        summary = {
            "score": "mfd",
            "n": len(out_rows),
            "hard": sum(r["hard"] is True for r in out_rows),
            "easy": sum(r["hard"] is False for r in out_rows),
            "unparseable": len(out_rows) - len(scored),
            "unparseable_replies": sum((v["ab"] is None) + (v["ba"] is None) for v in verdicts),
            "mean_mfd": sum(scored) / len(scored) if scored else None,
            "delta": delta,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        write_json_atomic(tmp / "summary.json", summary)
        run_.results.update(summary)
        print(
            f"distill difficulty: {summary['n']} records: {summary['hard']} hard, "
            f"{summary['easy']} easy, {summary['unparseable']} unparseable (judge replies "
            f"without two scores: {summary['unparseable_replies']}); mean MFD "
            f"{summary['mean_mfd']}"
        )
    return out


def _ifd(rows, tmp: Path, run_, lm, tok, given, max_length, batch_size, progress) -> None:
    """The --score ifd branch: losses per record in an item log, then hard above threshold."""
    t0 = time.perf_counter()

    def losses(chunk: list[dict]) -> list[dict]:
        got = ifd.mean_losses(lm, tok, [(r["prompt"], r["teacher"]) for r in chunk],
                              max_length=max_length, batch_size=batch_size)  # fmt: skip
        return [{"id": r["id"], "loss_given": g, "loss_alone": a} for r, (g, a) in zip(chunk, got)]

    done = records.each_chunk(rows, ItemLog(tmp / "items" / "losses.jsonl"), losses,
                              desc="ifd", progress=progress)  # fmt: skip
    scores = [ifd.score(d["loss_given"], d["loss_alone"]) for d in done]
    cut = ifd.threshold([v for v in scores if v is not None], given)
    out_rows = [r | {"loss_given": d["loss_given"], "loss_alone": d["loss_alone"], "ifd": v,
                     "hard": None if v is None else v > cut}
                for r, d, v in zip(rows, done, scores)]  # fmt: skip
    write_json_lines(tmp / "difficulty.jsonl", out_rows)
    write_json_lines(tmp / "hard.jsonl", (r for r in out_rows if r["hard"] is True))
    write_json_lines(tmp / "easy.jsonl", (r for r in out_rows if r["hard"] is False))
    scored = [v for v in scores if v is not None]
    summary = {
        "score": "ifd",
        "n": len(out_rows),
        "hard": sum(r["hard"] is True for r in out_rows),
        "easy": sum(r["hard"] is False for r in out_rows),
        "unscored": len(out_rows) - len(scored),
        "mean_ifd": sum(scored) / len(scored) if scored else None,
        "ifd_above_1": sum(v > 1 for v in scored),
        "threshold": cut,
        "threshold_from": "given" if given is not None else "median",
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_json_atomic(tmp / "summary.json", summary)
    run_.results.update(summary)
    print(
        f"distill difficulty --score ifd: {summary['n']} records: {summary['hard']} hard, "
        f"{summary['easy']} easy, {summary['unscored']} without a scorable answer; mean IFD "
        f"{summary['mean_ifd']}, threshold {cut} ({summary['threshold_from']})"
    )
