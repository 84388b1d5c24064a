"""Fine-tune a causal LM on conversations (full or LoRA); the core of `sft` and `calibrate`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langadapt import engine
from langadapt.engine import params
from langadapt.engine.lora import LoraSpec, wrap
from langadapt.errors import InputError
from langadapt.models import load_causal_lm
from langadapt.train import chat
from langadapt.train.curves import plot_loss


def encode_all(tokenizer, conversations: list[chat.Conversation], max_length: int) -> list[dict]:
    """Token ids and labels of every conversation that keeps an assistant token."""
    out = []
    for conv in conversations:
        ex = chat.encode(tokenizer, conv.messages, max_length)
        if any(t != chat.IGNORE for t in ex["labels"][1:]):
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
) -> None:
    """Train on encoded `examples` and write the model (or adapter) through `run`.

    The optimizer groups take `sched.weight_decay` (full fine-tuning: matrices only).

    `examples` may be a function `(work_folder, accelerator) -> examples` that builds them
    inside the resumable work folder (calibrate's generated answers survive a crash there).
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

        def collate(batch: list[dict]) -> dict:
            return chat.collate(batch, pad)

        results, lm = engine.train(
            lm,
            examples,
            collate,
            trainable,
            sched,
            accelerator=accelerator,
            work=tmp,
            what=f"{len(examples)} conversations",
        )
        if accelerator.is_main_process:
            run.results.update(results, conversations=len(examples))
            plot_loss(tmp / engine.METRICS, tmp / "loss.png", title, run.results)
        # last: the checkpoint is deleted only once everything else is written
        engine.finish(accelerator, lm, tmp, save=engine.hf_folder(tokenizer, dtype, merge=merge))
