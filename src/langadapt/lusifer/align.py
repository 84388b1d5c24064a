"""`langadapt lusifer align`: LUSIFER stage 1, aligning the encoder's space with the LLM's.

LUSIFER (Man et al., arXiv 2501.00874, 3.2) first teaches the connector (and LoRA adapters on
the multilingual encoder) to produce LLM input vectors the frozen LLM understands: given the
connector's output as a prefix, the LLM reconstructs the encoder's text and completes a query
with its passage. The loss and batches are in `alignment.py`.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Literal

import torch

from langadapt import engine
from langadapt.artifacts import StageRun
from langadapt.engine.schedule import Schedule
from langadapt.errors import ConfigError
from langadapt.lusifer import data as rows
from langadapt.lusifer import training
from langadapt.lusifer.adapters import LoraSettings
from langadapt.lusifer.alignment import RECONSTRUCT_INSTRUCTION, AlignCollate
from langadapt.lusifer.model import DEFAULT_INSTRUCTION, LusiferModel, Settings

# LUSIFER 4.1: batch 256, lr 1.5e-4, 2 epochs, weight decay 0.01, clip 1.0, cosine, 10% warm-up
PAPER_SCHEDULE = Schedule(
    lr=1.5e-4, batch_size=8, grad_accum=32, epochs=2.0, weight_decay=0.01, max_grad_norm=1.0
)


def run(
    *,
    encoder: Path,
    llm: Path,
    data: list[Path],
    out: Path,
    task: Literal["both", "reconstruction", "completion"] = "both",
    attention: Literal["autoregressive", "bidirectional"] = "autoregressive",
    mask_ratio: float = 0.5,
    instruction: str = DEFAULT_INSTRUCTION,
    reconstruct_instruction: str = RECONSTRUCT_INSTRUCTION,
    added_tokens: int = 1,
    max_length: int = 512,
    max_target_length: int = 512,
    lora_rank: int = 16,
    lora_alpha: float = 32.0,
    lora_dropout: float = 0.1,
    schedule: Schedule = PAPER_SCHEDULE,
    warmup_ratio: float | None = 0.1,
    precision: Literal["auto", "bf16", "fp16", "no"] = "auto",
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """LUSIFER stage 1: train the connector and encoder LoRA so a frozen LLM reads the encoder.

    The LLM reconstructs each text (and completes each query with its passage) from the
    connector's output alone; its weights are not touched. Writes a LUSIFER folder that
    `lusifer finetune` continues from. Runs on one CPU or under `accelerate launch` (DDP); a
    killed run resumes from its last checkpoint.

    Args:
        encoder: HF encoder folder (XLM-R family) with its tokenizer.
        llm: HF decoder folder (Llama, Mistral, Qwen2) with its tokenizer; stays frozen.
        data: JSONL files: rows with 'text' (reconstruction) and/or 'query' and
            'positive' (completion and reconstruction); see docs/lusifer.md.
        out: output folder: the LUSIFER model, metrics.jsonl, manifest.json.
        task: 'both' (paper), 'reconstruction' or 'completion'.
        attention: the LLM's attention in this loss: 'autoregressive' (causal; the paper) or
            'bidirectional' (the authors' code: bidirectional, target positions also hidden
            from attention at --mask-ratio).
        mask_ratio: share of target input tokens replaced by a mask token (paper: 0.5).
        instruction: instruction of completion rows that bring none.
        reconstruct_instruction: instruction of reconstruction examples.
        added_tokens: trainable tokens appended by the connector (paper: 1).
        max_length: encoder tokens per text; longer texts are truncated and counted.
        max_target_length: LLM target tokens per example (incl. eos); longer are truncated.
        lora_rank: encoder LoRA rank (paper: 16), on every linear layer.
        lora_alpha: encoder LoRA alpha (paper: 32).
        lora_dropout: encoder LoRA dropout (paper: 0.1).
        schedule: optimisation (engine/schedule.py); a batch is of examples. Default the
            paper's: lr 1.5e-4, 8 x 32 accumulation = 256, 2 epochs, weight decay 0.01.
        warmup_ratio: warm-up as a share of the run (paper: 0.1); replaces
            schedule.warmup_steps unless set to null.
        precision: 'auto' = bf16 on a GPU that supports it, else full precision.
        allow_pickle: accept .bin/.pt weights (they can run code when loaded).
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items() if k not in ("encoder", "llm", "data")}
    options["schedule"] = asdict(schedule.check())
    if not 0 <= mask_ratio < 1:
        raise ConfigError(f"--mask-ratio must be in [0, 1), not {mask_ratio}")
    if max_target_length < 2:
        raise ConfigError(f"--max-target-length must be at least 2, not {max_target_length}")
    examples = rows.alignment_pairs(data, task, instruction, reconstruct_instruction)
    examples = [(i, *e) for i, e in enumerate(examples)]
    run = StageRun(
        "lusifer.align",
        out,
        inputs={"encoder": encoder, "llm": llm, "data": list(data)},
        options=options,
        force=force,
        resumable=True,
    )
    if run.up_to_date():
        return out
    accelerator = engine.make_accelerator(precision, schedule.grad_accum)
    training.refuse_sharding(accelerator)
    what = f"lusifer align ({task}) on {len(examples)} examples"
    sched = training.warmup(schedule, warmup_ratio, len(examples), accelerator.num_processes, what)
    settings = Settings(added_tokens=added_tokens, max_length=max_length, instruction=instruction)
    torch.manual_seed(sched.seed)  # the connector's and LoRA's initial weights: from the seed
    model = LusiferModel.build(encoder, llm, settings, allow_pickle=allow_pickle)
    lora = LoraSettings(lora_rank, lora_alpha, lora_dropout)
    targets = training.adapt(model, encoder_lora=lora, llm_lora=None)
    for p in model.head.parameters():  # the head belongs to the contrastive loss (stage 2)
        p.requires_grad_(False)
    trainable = training.groups([model], sched.weight_decay)
    collate = AlignCollate(
        model,
        mask_ratio=mask_ratio,
        bidirectional=attention == "bidirectional",
        max_target=max_target_length,
        seed=sched.seed,
    )

    def loss_fn(m, batch):
        return m(mode="lm", bidirectional=attention == "bidirectional", **batch)

    with engine.writing_all_ranks(run, accelerator) as tmp:
        results, prepared = engine.train(
            model,
            examples,
            collate,
            trainable,
            sched,
            accelerator=accelerator,
            work=tmp,
            what=what,
            loss_fn=loss_fn,
        )
        if accelerator.is_main_process:
            run.results.update(
                results,
                examples=len(examples),
                lora_targets=targets,
                warmup_steps=sched.warmup_steps,
                mask_token=collate.mask_what,
                padding=[n for n in (*model.notes, collate.note) if n],
                encoder_truncation=model.truncations.as_dict(),
                targets_truncated=collate.target_truncated,
                llm_frozen=True,
            )
        engine.finish(accelerator, prepared, tmp, save=training.save_folder)
    return out
