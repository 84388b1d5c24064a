"""`langadapt lusifer finetune`: LUSIFER stage 2, contrastive tuning of an aligned model.

LUSIFER (Man et al., arXiv 2501.00874, 3.3) tunes the aligned model on English retrieval data
only: (query, positive, up to 7 hard negatives) rows, every other document of the global
batch an in-batch negative, InfoNCE at temperature 0.05 on the projection head's outputs.
LoRA adapters (rank 16, alpha 32, dropout 0.1) train on the encoder and the LLM, with the
connector and the head; the LLM reads bidirectionally. The loss is in `contrastive.py`,
GradCache (a large batch in small passes, the same gradient) in `gradcache.py`.

`--model` may also be a plain HF decoder folder (Llama, Mistral, Qwen2): then the LLM alone is
tuned the same way as an embedding model (`decoder_embedder.py`, the LLM2Vec-style baseline
LUSIFER is compared with), reading its own tokens, bidirectionally, mean-pooled.
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
from langadapt.lusifer import contrastive, training
from langadapt.lusifer import data as rows
from langadapt.lusifer.adapters import LoraSettings
from langadapt.lusifer.decoder_embedder import DecoderEmbedder
from langadapt.lusifer.embedders import kind_of
from langadapt.lusifer.folder import load
from langadapt.lusifer.model import Settings

# LUSIFER 4.1: lr 5e-5, cosine with 10% warm-up; the authors' configs: global batch 32, clip 1
PAPER_SCHEDULE = Schedule(lr=5e-5, batch_size=32, epochs=1.0, max_grad_norm=1.0)


def run(
    *,
    model: Path,
    data: list[Path],
    out: Path,
    instruction: str | None = None,
    max_negatives: int = 7,
    temperature: float = 0.05,
    lora_rank: int = 16,
    lora_alpha: float = 32.0,
    lora_dropout: float = 0.1,
    train_llm: bool = True,
    grad_cache_chunk: int = 0,
    schedule: Schedule = PAPER_SCHEDULE,
    warmup_ratio: float | None = 0.1,
    precision: Literal["auto", "bf16", "fp16", "no"] = "auto",
    force: bool = False,
) -> Path:
    """LUSIFER stage 2: contrastive fine-tuning with in-batch and hard negatives.

    Each process's documents are gathered from every process, so the in-batch negatives are
    those of the global batch. Writes a LUSIFER folder (also a sentence-transformers model).
    Runs on one CPU or under `accelerate launch` (DDP); a killed run resumes.

    Args:
        model: a LUSIFER folder (the output of `lusifer align`), or a plain HF decoder folder
            (Llama, Mistral, Qwen2) to tune the LLM alone as an embedding model (mean-pooled,
            bidirectional, a fresh projection head), or a folder this stage wrote.
        data: JSONL files of rows with 'query', 'positive' (a text or list) and optional
            'negatives' and 'instruction' (the row's data-set instruction).
        out: output folder: the LUSIFER model, metrics.jsonl, manifest.json.
        instruction: instruction of rows without one; default the model's.
        max_negatives: hard negatives per row at most (paper: 7).
        temperature: InfoNCE temperature (paper: 0.05).
        lora_rank: LoRA rank on the encoder and the LLM (paper: 16).
        lora_alpha: LoRA alpha (paper: 32).
        lora_dropout: LoRA dropout (paper: 0.1).
        train_llm: also train LoRA adapters on the LLM (paper: yes; the LLM alone always does).
        grad_cache_chunk: GradCache (Gao et al. 2021): embed the batch this many texts
            (queries and documents) at a time and backpropagate through cached embedding
            gradients: the full batch's in-batch negatives and gradient in a chunk's memory,
            for about 1.5x the time. 0 = off (one pass over the whole batch).
        schedule: optimisation (engine/schedule.py); a batch is of rows (queries). Default:
            lr 5e-5, batch 32, 1 epoch.
        warmup_ratio: warm-up as a share of the run (paper: 0.1); replaces
            schedule.warmup_steps unless set to null.
        precision: 'auto' = bf16 on a GPU that supports it, else full precision.
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items() if k not in ("model", "data")}
    options["schedule"] = asdict(schedule.check())
    if temperature <= 0:
        raise ConfigError(f"--temperature must be positive, not {temperature}")
    if max_negatives < 0:
        raise ConfigError(f"--max-negatives must be 0 or more, not {max_negatives}")
    if grad_cache_chunk < 0:
        raise ConfigError(f"--grad-cache-chunk must be 0 (off) or more, not {grad_cache_chunk}")
    kind = kind_of(model)
    if kind == "encoder":
        raise ConfigError(
            f"--model {model} is a plain encoder; `lusifer finetune` tunes a LUSIFER folder "
            "(`lusifer align`) or a plain Llama/Mistral/Qwen2 decoder folder"
        )
    examples = list(enumerate(rows.contrastive_rows(data)))
    run = StageRun(
        "lusifer.finetune",
        out,
        inputs={"model": model, "data": list(data)},
        options=options,
        force=force,
        resumable=True,
    )
    if run.up_to_date():
        return out
    accelerator = engine.make_accelerator(precision, schedule.grad_accum)
    training.refuse_sharding(accelerator)
    what = f"lusifer finetune on {len(examples)} rows"
    sched = training.warmup(schedule, warmup_ratio, len(examples), accelerator.num_processes, what)
    torch.manual_seed(sched.seed)  # a fresh head's and LoRA's initial weights: from the seed
    if kind == "decoder":  # the LLM alone: a fresh head, no added tokens (no connector)
        lus = DecoderEmbedder.build(model, Settings(added_tokens=0))
    else:
        lus = load(model)
    lora = LoraSettings(lora_rank, lora_alpha, lora_dropout)
    alone = isinstance(lus, DecoderEmbedder)
    llm_lora = lora if train_llm or alone else None
    targets = training.adapt(lus, encoder_lora=lora, llm_lora=llm_lora)
    trainable = training.groups([lus], sched.weight_decay)
    collate = contrastive.ContrastiveCollate(
        lus,
        instruction=lus.settings.instruction if instruction is None else instruction,
        max_negatives=max_negatives,
        seed=sched.seed,
    )
    with engine.writing_all_ranks(run, accelerator) as tmp:
        results, prepared = engine.train(
            lus,
            examples,
            collate,
            trainable,
            sched,
            accelerator=accelerator,
            work=tmp,
            what=what,
            loss_fn=contrastive.loss_fn(temperature, grad_cache_chunk, accelerator),
        )
        if accelerator.is_main_process:
            negatives = [min(len(r.negatives), max_negatives) for _, r in examples]
            run.results.update(
                results,
                rows=len(examples),
                hard_negatives_per_row=round(sum(negatives) / len(negatives), 3),
                global_batch=sched.batch_size * sched.grad_accum * accelerator.num_processes,
                lora_targets=targets,
                architecture="decoder" if alone else "lusifer",
                warmup_steps=sched.warmup_steps,
                padding=lus.notes,
                encoder_truncation=lus.truncations.as_dict(),
            )
        engine.finish(accelerator, prepared, tmp, save=training.save_folder)
    return out
