"""`langadapt distill warmup`: fine-tune the student on records' teacher answers.

TAPIR (arXiv 2405.13448, section 3.1) first tunes the student on the seed set (or a sample of
it) so it follows instructions at all before its difficulty is judged. The same stage trains
the comparison students of the report: a random sample of the size of the curated set, or the
balanced hard set in one round. Training is `engine.sft.tune`, the core `langadapt sft` uses:
each record is the chat [user: prompt, assistant: teacher], rendered with the student's chat
template, the loss on the assistant turn only; full fine-tuning, the data shuffled per epoch
by the schedule's seed.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun
from langadapt.distill import records
from langadapt.engine.schedule import Schedule
from langadapt.engine.sft import Conversation, encode_all, tune
from langadapt.errors import ConfigError, InputError, ModelError
from langadapt.models import checkpoint_dtype, load_tokenizer, read_config, weight_files


def conversations(rows: list[dict], where: Path | str) -> list[Conversation]:
    """[user: prompt, assistant: teacher] of each record with a non-empty teacher answer."""
    out = [Conversation([{"role": "user", "content": r["prompt"]},
                         {"role": "assistant", "content": r["teacher"]}], f"{where} {r['id']}")
           for r in rows if r["teacher"].strip()]  # fmt: skip
    if not out:
        raise InputError(f"{where}: every teacher answer is empty; nothing to train on")
    return out


def student_tokenizer(model: Path, allow_pickle: bool):
    """The student folder's tokenizer, checked to have weights and a chat template."""
    read_config(model)
    weight_files(model, allow_pickle)
    tok = load_tokenizer(model)
    if not tok.chat_template:
        raise ModelError(
            f"the tokenizer in {model} has no chat template, so records cannot be rendered as "
            "chats; use an instruct model or give the folder a chat template"
        )
    return tok


def run(
    *,
    model: Path,
    data: Path,
    out: Path,
    sample: int | None = None,
    sample_seed: int = 0,
    max_length: int = 2048,
    schedule: Schedule = Schedule(lr=None),  # noqa: B008 (frozen)
    precision: Literal["auto", "bf16", "fp16", "no"] = "auto",
    save_dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto",
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """Fine-tune the student on the teacher's answers of records (loss on the answer).

    Args:
        model: the student: an HF model folder with a chat template.
        data: records with a `teacher` answer (distill seed, balance, difficulty, refine).
        out: output folder: the tuned model, metrics.jsonl, loss.png.
        sample: train on this many records drawn without replacement (default: all).
        sample_seed: seed of that draw.
        max_length: truncate each chat to this many tokens.
        schedule: optimisation (engine/schedule.py; a batch is of chats): lr is required.
        precision: 'auto' = bf16 on a GPU that supports it, else full precision.
        save_dtype: dtype of the saved weights; 'auto' = the input checkpoint's.
        allow_pickle: accept .bin/.pt weights (they can run code when loaded).
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items() if k not in ("model", "data", "out", "force")}
    options["schedule"] = asdict(schedule.check())
    if max_length <= 1:
        raise ConfigError(f"--max-length must be at least 2, not {max_length}")
    tok = student_tokenizer(Path(model), allow_pickle)
    rows = records.read_records(Path(data), need=["teacher"], stage="distill warmup")
    if sample is not None:
        if not 1 <= sample <= len(rows):
            raise ConfigError(f"--sample must lie in 1..{len(rows)} (the records), not {sample}")
        rows = random.Random(sample_seed).sample(rows, sample)
    run_ = StageRun("distill warmup", out, inputs={"model": Path(model), "data": Path(data)},
                    options=options, force=force, resumable=True)  # fmt: skip
    if run_.up_to_date():
        return out
    examples = encode_all(tok, conversations(rows, data), max_length)
    tune(Path(model), tok, examples, run=run_, sched=schedule, lora=None, merge=False,
         precision=precision, dtype=checkpoint_dtype(Path(model), save_dtype),
         allow_pickle=allow_pickle, title="distill warmup")  # fmt: skip
    return out
