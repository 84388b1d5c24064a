"""`langadapt sft`: instruction tuning, full or LoRA, with the loss on assistant turns only."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun
from langadapt.corpus import Corpus
from langadapt.engine.lora import DEFAULT_TARGETS, LoraSpec, check_names_on_folder
from langadapt.engine.schedule import Schedule
from langadapt.engine.sft import encode_all, tune
from langadapt.errors import ConfigError
from langadapt.models import checkpoint_dtype, load_tokenizer, read_config, weight_files
from langadapt.train.chat import read_conversations, set_chat_template
from langadapt.train.copytask import copy_conversations, copy_plan


def run(
    *,
    model: Path,
    data: list[Path],
    out: Path,
    lora: bool = False,
    merge: bool = False,
    lora_rank: int = 8,
    lora_alpha: float = 16.0,
    lora_dropout: float = 0.0,
    target_modules: tuple[str, ...] = DEFAULT_TARGETS,
    lora_layers: list[int] | None = None,
    modules_to_save: list[str] | None = None,
    chat_template: Path | None = None,
    max_length: int = 2048,
    copy_task_mix: float = 0.0,
    copy_corpus: list[Path] | None = None,
    schedule: Schedule = Schedule(lr=None),  # noqa: B008 (frozen)
    precision: Literal["auto", "bf16", "fp16", "no"] = "auto",
    save_dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto",
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """Instruction-tune a causal LM on chat or Alpaca data; loss on assistant turns only.

    Conversations are rendered with the model's own chat template (or --chat-template FILE).
    Full fine-tuning by default; --lora trains LoRA adapters (peft), --merge folds them into
    the weights so the output is a plain HF folder that loads without peft.

    Args:
        model: Hugging Face model folder with its tokenizer.
        data: JSON list or JSONL files of chats ({"messages": [...]}) or Alpaca records
            (instruction, input, output).
        out: output folder: the model (or LoRA adapter), metrics.jsonl, loss.png.
        lora: train LoRA adapters instead of every weight.
        merge: with --lora, merge the adapters and write a plain HF model folder.
        lora_rank: LoRA rank r.
        lora_alpha: LoRA alpha (the update is scaled by alpha / r).
        lora_dropout: dropout on the LoRA input.
        target_modules: module names that get LoRA adapters.
        lora_layers: only these layer indices get adapters (negative counts from the end).
        modules_to_save: modules trained in full beside LoRA, e.g. embed_tokens lm_head.
        chat_template: a Jinja chat template file, for models without one.
        max_length: truncate conversations to this many tokens.
        copy_task_mix: fraction of the mix made of "repeat this text exactly" examples
            built from --copy-corpus (LEP 2.4.3); 0 = none.
        copy_corpus: text files for the copy task.
        schedule: optimisation (engine/schedule.py; a batch is of conversations): lr is
            required; its seed also draws the copy-task sample and LoRA's initialisation.
        precision: 'auto' = bf16 on a GPU that supports it, else full precision.
        save_dtype: dtype of the saved weights; 'auto' = the dtype of the input checkpoint.
        allow_pickle: accept .bin/.pt weights (they can run code when loaded).
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items() if k not in ("model", "data", "out", "force")}
    options["schedule"] = asdict(schedule.check())
    read_config(model)
    weight_files(model, allow_pickle)
    tokenizer = load_tokenizer(model)
    set_chat_template(tokenizer, model, chat_template)
    if max_length <= 1:
        raise ConfigError(f"--max-length must be at least 2, not {max_length}")
    if merge and not lora:
        raise ConfigError("--merge only applies to --lora (full fine-tuning writes a plain model)")
    conversations = read_conversations(data)
    n_copy = copy_plan(len(conversations), copy_task_mix, copy_corpus)
    copy_texts = Corpus(copy_corpus) if n_copy else None
    spec = None
    if lora:
        spec = LoraSpec(
            lora_rank,
            lora_alpha,
            lora_dropout,
            tuple(target_modules),
            tuple(lora_layers) if lora_layers else None,
            tuple(modules_to_save or ()),
        )
        check_names_on_folder(model, spec)
    run = StageRun(
        "train.sft",
        out,
        inputs={
            "model": model,
            "data": list(data),
            "copy_corpus": copy_corpus,
            "chat_template": chat_template,
        },
        options=options,
        force=force,
        resumable=True,
    )
    if run.up_to_date():
        return out
    if copy_texts is not None:
        conversations += copy_conversations(copy_texts, n_copy, seed=schedule.seed)
    examples = encode_all(tokenizer, conversations, max_length)
    tune(
        model,
        tokenizer,
        examples,
        run=run,
        sched=schedule,
        lora=spec,
        merge=merge,
        precision=precision,
        dtype=checkpoint_dtype(model, save_dtype),
        allow_pickle=allow_pickle,
        title="sft --lora" if lora else "sft",
    )
    return out
