"""`langadapt pretrain`: continued pretraining, by default of the embeddings only (LEP).

LEP (Tikhomirov & Chernyshev, arXiv 2412.21140, 2.4.1) adapts a base model to a new
vocabulary by training only its input embeddings and output head on target-language text,
with every transformer layer and norm frozen; the trained embeddings are later propagated into
the instruct model of the same family.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Literal

from langadapt import engine
from langadapt.artifacts import StageRun
from langadapt.corpus import Corpus
from langadapt.engine import params
from langadapt.engine.curves import plot_loss
from langadapt.engine.schedule import Schedule
from langadapt.errors import ConfigError
from langadapt.models import (
    checkpoint_dtype,
    load_causal_lm,
    load_tokenizer,
    read_config,
    weight_files,
)
from langadapt.train.packing import describe, pack_blocks


def run(
    *,
    model: Path,
    corpus: list[Path],
    out: Path,
    train: Literal["embeddings", "new-rows", "all"] = "embeddings",
    new_rows_from: Path | None = None,
    first_new_id: int | None = None,
    text_field: str = "text",
    block_size: int = 1024,
    align_blocks: bool = True,
    schedule: Schedule = Schedule(lr=None, weight_decay=0.1),  # noqa: B008 (frozen)
    precision: Literal["auto", "bf16", "fp16", "no"] = "auto",
    save_dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto",
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """Continue pretraining a causal LM on a corpus: embeddings only (LEP), new rows, or all.

    Documents are packed into blocks that start at a document or paragraph start (LEP 2.4.1).
    Runs on one CPU or under `accelerate launch` (DDP, FSDP, DeepSpeed); a killed run resumes
    from its last checkpoint when started again with the same command.

    Args:
        model: Hugging Face model folder (a base model with its tokenizer).
        corpus: text, JSONL or Parquet files (or folders of them); one document per line/record.
        out: output folder: the trained model, metrics.jsonl, loss.png, manifest.json.
        train: what moves: 'embeddings' = input embeddings and lm_head only (LEP), 'new-rows' =
            only the rows of new tokens, 'all' = every parameter.
        new_rows_from: vocab_map.json naming the new token ids (for --train new-rows).
        first_new_id: or the first new token id; every id from it on is new (for new-rows).
        text_field: the text field of JSONL records / Parquet column.
        block_size: tokens per training block (LEP 2.4.1: 1024).
        align_blocks: start blocks right after a bos, eos or newline token (LEP 2.4.1).
        schedule: optimisation (engine/schedule.py; a batch is of blocks): lr is required (it
            depends on the model size and what is trained); LEP 2.4.1's weight decay 0.1.
        precision: 'auto' = bf16 on a GPU that supports it, else full precision.
        save_dtype: dtype of the saved weights; 'auto' = the dtype of the input checkpoint.
        allow_pickle: accept .bin/.pt weights (they can run code when loaded).
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items() if k not in ("model", "corpus", "out", "force")}
    options["schedule"] = asdict(schedule.check())
    read_config(model)
    weight_files(model, allow_pickle)
    tokenizer = load_tokenizer(model)
    texts = Corpus(corpus, field=text_field)
    if block_size <= 0:
        raise ConfigError(f"--block-size must be positive, not {block_size}")
    new_ids = None
    if train == "new-rows":
        spec = new_rows_from if new_rows_from is not None else first_new_id
        new_ids = params.new_row_ids(spec, len(tokenizer))
    dtype = checkpoint_dtype(model, save_dtype)
    run = StageRun(
        "train.pretrain",
        out,
        inputs={"model": model, "corpus": list(corpus), "new_rows_from": new_rows_from},
        options=options,
        force=force,
        resumable=True,
    )
    if run.up_to_date():
        return out
    blocks, n_tokens = pack_blocks(
        tokenizer, texts, block_size, align=align_blocks, source=f"corpus {describe(texts.files)}"
    )
    accelerator = engine.make_accelerator(precision, schedule.grad_accum)
    if train == "new-rows" and accelerator.distributed_type.value in ("FSDP", "DEEPSPEED"):
        raise ConfigError(
            "--train new-rows masks gradients row by row, which FSDP and DeepSpeed flatten "
            "away; use DDP (or one process) for it, or --train embeddings"
        )
    engine.total_steps(len(blocks), schedule, accelerator.num_processes, "the packed corpus")
    lm = load_causal_lm(model, dtype="float32", allow_pickle=allow_pickle)
    trainable = params.select(lm, train, weight_decay=schedule.weight_decay, new_ids=new_ids)

    def collate(batch: list):
        import torch

        ids = torch.stack(batch)
        return {"input_ids": ids, "labels": ids}

    with engine.writing_all_ranks(run, accelerator) as tmp:
        results, lm = engine.train(
            lm,
            blocks,
            collate,
            trainable,
            schedule,
            accelerator=accelerator,
            work=tmp,
            what=f"{train} on {len(blocks)} blocks of {block_size} tokens",
        )
        if accelerator.is_main_process:
            run.results.update(results, corpus_tokens=n_tokens, blocks=len(blocks))
            title = f"pretrain --train {train}"
            plot_loss(tmp / engine.METRICS, tmp / "loss.png", title, run.results)
        # last: the checkpoint is deleted only once everything else is written
        engine.finish(accelerator, lm, tmp, save=engine.hf_folder(tokenizer, dtype))
    return out
