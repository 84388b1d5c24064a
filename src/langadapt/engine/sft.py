"""Supervised fine-tuning on conversations with the loss on assistant turns only.

The core of `sft` and `calibrate` (train/) and of TAPIR's `distill warmup` and `curriculum`
(distill/), which may not import a stage package: a conversation is rendered and masked by
`llm.chat.assistant_tokens` (the one place a chat template is applied), right-padded into
batches, and trained full or with LoRA on the engine's loop; the model (or adapter) is written
through the stage's `StageRun`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from langadapt import engine
from langadapt.engine import params
from langadapt.engine.curves import plot_loss
from langadapt.engine.lora import LoraSpec, wrap
from langadapt.errors import InputError
from langadapt.llm.chat import assistant_tokens
from langadapt.models import load_causal_lm

IGNORE = -100


@dataclass(frozen=True)
class Conversation:
    """One training conversation and where it came from (for error messages)."""

    messages: list[dict[str, str]]
    where: str


def encode(tokenizer, messages: list[dict[str, str]], max_length: int) -> dict[str, list[int]]:
    """`input_ids` and `labels` (-100 outside assistant turns) of one conversation."""
    ids, mask = assistant_tokens(tokenizer, messages)
    ids, mask = ids[:max_length], mask[:max_length]
    return {"input_ids": ids, "labels": [t if k else IGNORE for t, k in zip(ids, mask)]}


def collate(examples: list[dict[str, list[int]]], pad_id: int) -> dict:
    """Right-pad a batch: `input_ids`, `labels`, `attention_mask`, each `[batch, longest]`."""
    import torch

    n = max(len(e["input_ids"]) for e in examples)
    ids = torch.full((len(examples), n), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), n), IGNORE, dtype=torch.long)
    att = torch.zeros((len(examples), n), dtype=torch.long)
    for i, e in enumerate(examples):
        k = len(e["input_ids"])
        ids[i, :k] = torch.tensor(e["input_ids"])
        labels[i, :k] = torch.tensor(e["labels"])
        att[i, :k] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": att}


def encode_all(tokenizer, conversations: list[Conversation], max_length: int) -> list[dict]:
    """Token ids and labels of every conversation that keeps an assistant token."""
    out = []
    for conv in conversations:
        ex = encode(tokenizer, conv.messages, max_length)
        if any(t != IGNORE for t in ex["labels"][1:]):
            out.append(ex)
    if not out:
        raise InputError(
            f"no conversation keeps an assistant token within --max-length {max_length}; "
            "raise --max-length"
        )
    return out


def tune(
    model_dir: Path,
    tokenizer,
    examples: list[dict] | Callable[[Path, object], list[dict]],
    *,
    run,
    sched: engine.Schedule,
    lora: LoraSpec | None,
    merge: bool,
    precision: str,
    dtype: str,
    allow_pickle: bool,
    title: str,
    order: Literal["shuffled", "given"] = "shuffled",
) -> None:
    """Train on encoded `examples` and write the model (or adapter) through `run`.

    The optimizer groups take `sched.weight_decay` (full fine-tuning: matrices only).

    `examples` may be a function `(work_folder, accelerator) -> examples` that builds them
    inside the resumable work folder (calibrate's generated answers survive a crash there).
    `order` is the engine's data order: "given" keeps the examples' order (a curriculum's).
    """
    accelerator = engine.make_accelerator(precision, sched.grad_accum)
    if not callable(examples):
        engine.total_steps(len(examples), sched, accelerator.num_processes, "the instruction data")
    with engine.writing_all_ranks(run, accelerator) as tmp:
        if callable(examples):
            examples = examples(tmp, accelerator)
        # loaded after the examples, so a reference model used to build them is gone by now
        from accelerate.utils import set_seed

        set_seed(sched.seed)  # LoRA's initialisation
        lm = load_causal_lm(model_dir, dtype="float32", allow_pickle=allow_pickle)
        if lora is not None:
            lm = wrap(lm, lora)
            trainable = params.Trainable(
                [
                    {
                        "params": [p for p in lm.parameters() if p.requires_grad],
                        "weight_decay": sched.weight_decay,
                    }
                ]
            )
        else:
            trainable = params.select(lm, "all", weight_decay=sched.weight_decay)
        pad = (
            tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        )

        def collate_pad(batch: list[dict]) -> dict:
            return collate(batch, pad)

        results, lm = engine.train(
            lm,
            examples,
            collate_pad,
            trainable,
            sched,
            accelerator=accelerator,
            work=tmp,
            what=f"{len(examples)} conversations",
            order=order,
        )
        if accelerator.is_main_process:
            run.results.update(results, conversations=len(examples))
            plot_loss(tmp / engine.METRICS, tmp / "loss.png", title, run.results)
        # last: the checkpoint is deleted only once everything else is written
        engine.finish(accelerator, lm, tmp, save=engine.hf_folder(tokenizer, dtype, merge=merge))
