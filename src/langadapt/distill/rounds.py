"""`langadapt distill curriculum`: R rounds of fine-tuning with a rising share of hard data.

TAPIR (arXiv 2405.13448, section 3.4): round r trains the student on a mix of hard and easy
instructions whose hard share rises (`curriculum.plan`: default 3 rounds at 0.3, 0.5, 0.7,
a choice), each round continuing from the model the last round wrote, its data in the given
(seeded, shuffled) order: `engine.sft.tune(order="given")`. With `--rescore ifd` the pool is
re-split before every round after the first by the current student's IFD (`ifd.py`; the
cheap, judge-free score): hard above the median. Rounds are written as `round-1`, ...,
`round-R` inside the output folder, each a model folder with its own manifest, so a killed run
resumes at the round (and within a round at the engine's last checkpoint); the student is the
last round's folder, named in `rounds.json`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.corpus import write_json_lines
from langadapt.distill import curriculum, ifd, records
from langadapt.distill.warmup import conversations, student_tokenizer
from langadapt.engine.schedule import Schedule
from langadapt.engine.sft import encode_all, tune
from langadapt.errors import ConfigError
from langadapt.models import checkpoint_dtype, load_causal_lm


def run(
    *,
    model: Path,
    hard: Path,
    easy: Path,
    out: Path,
    rounds: int = 3,
    shares: list[float] | None = None,
    n: int | None = None,
    rescore: Literal["none", "ifd"] = "none",
    seed: int = 0,
    max_length: int = 2048,
    schedule: Schedule = Schedule(lr=None),  # noqa: B008 (frozen)
    precision: Literal["auto", "bf16", "fp16", "no"] = "auto",
    save_dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto",
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """Train the student in rounds whose share of hard instructions rises.

    Args:
        model: the student to start from (distill warmup's output): an HF folder.
        hard: hard records with a `teacher` answer (difficulty's hard.jsonl, or refined).
        easy: easy records with a `teacher` answer (difficulty's easy.jsonl).
        out: output folder: round-1 ... round-R (model folders), rounds.json, data per round.
        rounds: number of rounds (TAPIR: 3).
        shares: hard share of each round (default 0.3 0.5 0.7 for 3; else 0.3 to 0.7).
        n: rows a round (default: the hard and easy records together).
        rescore: 'ifd' re-splits hard/easy by the current student's IFD before rounds 2..R.
        seed: seeds each round's mix (round r uses seed + r).
        max_length: truncate each chat to this many tokens.
        schedule: optimisation of every round (engine/schedule.py): lr is required.
        precision: 'auto' = bf16 on a GPU that supports it, else full precision.
        save_dtype: dtype of the saved weights; 'auto' = the input checkpoint's.
        allow_pickle: accept .bin/.pt weights (they can run code when loaded).
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items()
               if k not in ("model", "hard", "easy", "out", "force")}  # fmt: skip
    options["schedule"] = asdict(schedule.check())
    plan = curriculum.hard_shares(rounds, shares)
    if max_length <= 1:
        raise ConfigError(f"--max-length must be at least 2, not {max_length}")
    tok = student_tokenizer(Path(model), allow_pickle)
    hard_rows = [r | {"hard": True} for r in records.read_records(
        Path(hard), need=["teacher"], stage="distill curriculum")]  # fmt: skip
    easy_rows = [r | {"hard": False} for r in records.read_records(
        Path(easy), need=["teacher"], stage="distill curriculum")]  # fmt: skip
    size = len(hard_rows) + len(easy_rows) if n is None else n
    if size < 1:
        raise ConfigError(f"--n must be at least 1, not {size}")
    run_ = StageRun("distill curriculum", out, options=options, force=force, resumable=True,
                    inputs={"model": Path(model), "hard": Path(hard), "easy": Path(easy)})  # fmt: skip
    if run_.up_to_date():
        return out
    dtype = checkpoint_dtype(Path(model), save_dtype)
    with run_.writing() as tmp:
        pool, prev, info = hard_rows + easy_rows, Path(model), []
        for r, share in enumerate(plan, 1):
            if rescore == "ifd" and r > 1:
                hard_rows, easy_rows, cut = _rescore(prev, tok, pool, max_length, allow_pickle)
            data = curriculum.mix(hard_rows, easy_rows, size, share, seed=seed + r - 1)
            write_json_lines(tmp / f"round-{r}.jsonl", data)
            info.append({"round": r, "share": share, "rows": len(data),
                         "hard_rows": sum(d.get("hard") is True for d in data),
                         "hard_pool": len(hard_rows), "easy_pool": len(easy_rows),
                         **({"ifd_threshold": cut} if rescore == "ifd" and r > 1 else {})})  # fmt: skip
            step = StageRun(f"distill curriculum round {r}", tmp / f"round-{r}",
                            inputs={"model": prev, "data": tmp / f"round-{r}.jsonl"},
                            options=options | {"round": r, "share": share}, resumable=True)  # fmt: skip
            if not step.up_to_date():
                examples = encode_all(tok, conversations(data, f"round {r}"), max_length)
                tune(prev, tok, examples, run=step, sched=schedule, lora=None, merge=False,
                     precision=precision, dtype=dtype, allow_pickle=allow_pickle,
                     title=f"distill curriculum round {r}", order="given")  # fmt: skip
            info[-1]["final_loss"] = json.loads((step.out / "manifest.json").read_text())[
                "results"].get("final_loss")  # fmt: skip
            prev = step.out
        summary = {"rounds": info, "student": f"round-{len(plan)}", "rescore": rescore}
        write_json_atomic(tmp / "rounds.json", summary)
        run_.results.update(student=summary["student"], shares=plan, rows_per_round=size)
        print(f"distill curriculum: {len(plan)} rounds (hard shares {plan}), {size} rows each; "
              f"the student is {out}/{summary['student']}")  # fmt: skip
    return out


def _rescore(student: Path, tok, pool: list[dict], max_length: int, allow_pickle: bool):
    """(hard, easy, threshold): the pool split at the median IFD under `student`."""
    lm = load_causal_lm(student, dtype="float32", allow_pickle=allow_pickle)
    got = ifd.mean_losses(lm, tok, [(r["prompt"], r["teacher"]) for r in pool],
                          max_length=max_length)  # fmt: skip
    scores = [ifd.score(g, a) for g, a in got]
    cut = ifd.threshold([s for s in scores if s is not None], None)
    hard = [r | {"hard": True, "ifd": s} for r, s in zip(pool, scores) if s is not None and s > cut]
    easy = [r | {"hard": False, "ifd": s} for r, s in zip(pool, scores)
            if s is not None and s <= cut]  # fmt: skip
    return hard, easy, cut
