"""`langadapt calibrate`: LEP self-calibration (Tikhomirov & Chernyshev, arXiv 2412.21140, 2.4.2).

After LEP propagates new embeddings into an instruct model, the model still answers well but
its answers drift slightly from the original instruct model's. Self-calibration closes the gap
cheaply: the original (reference) instruct model answers a set of prompts greedily, those
answers plus copy-task conversations (2.4.3) become the training mix, and a small LoRA
(rank 8, alpha 1, lr 2.5e-5 on the first and last layers, with the embeddings and lm_head
trained in full) tunes the LEP model on them. The result is merged into a plain HF folder.

The paper also filters the reference answers with an LLM judge; langadapt has no judge backend
yet, so every answer is kept (the manifest records `judge_filter: none`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun
from langadapt.corpus import Corpus, iter_json_lines, read_json_lines
from langadapt.engine.lora import DEFAULT_TARGETS, LoraSpec, check_names_on_folder
from langadapt.engine.schedule import Schedule
from langadapt.engine.sft import encode_all, tune
from langadapt.errors import InputError
from langadapt.itemlog import ItemLog
from langadapt.models import checkpoint_dtype, load_tokenizer, read_config, weight_files
from langadapt.train.chat import Conversation, set_chat_template
from langadapt.train.copytask import copy_conversations, copy_plan

ANSWERS = "reference_answers.jsonl"


def read_prompts(paths: list[Path]) -> list[list[dict[str, str]]]:
    """Prompts as chats ending in a user turn, from .txt (one per line) or JSON/JSONL records.

    A record is a chat (`messages`, or a bare list; a trailing assistant turn is dropped), an
    Alpaca record (`instruction` + `input`) or `{"prompt": ...}`.
    """
    out = []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"prompt file {path} does not exist")
        if path.suffix in (".txt", ".text"):
            out += [[{"role": "user", "content": t}] for t in Corpus([path])]
            continue
        for where, rec in iter_json_lines(path):
            if isinstance(rec, dict) and "messages" in rec:
                rec = rec["messages"]
            if isinstance(rec, list):
                while rec and rec[-1].get("role") == "assistant":
                    rec = rec[:-1]
                chat = [{"role": m["role"], "content": m["content"]} for m in rec]
            elif isinstance(rec, dict) and ("instruction" in rec or "prompt" in rec):
                text = rec.get("prompt") or rec["instruction"]
                if str(rec.get("input") or "").strip():
                    text += "\n\n" + rec["input"]
                chat = [{"role": "user", "content": text}]
            else:
                raise InputError(
                    f"{where} is not a prompt: give 'messages', 'instruction' or 'prompt'"
                )
            if not chat or chat[-1]["role"] != "user":
                raise InputError(f"{where} does not end with a user turn to answer")
            out.append(chat)
    if not out:
        raise InputError(f"no prompts in {', '.join(map(str, paths))}")
    return out


def run(
    *,
    model: Path,
    reference: Path,
    prompts: list[Path],
    out: Path,
    copy_corpus: list[Path] | None = None,
    copy_task_mix: float = 0.0,
    max_new_tokens: int = 512,
    generation_batch_size: int = 8,
    lora_rank: int = 8,
    lora_alpha: float = 1.0,
    lora_layers: tuple[int, ...] = (0, -1),
    target_modules: tuple[str, ...] = DEFAULT_TARGETS,
    modules_to_save: tuple[str, ...] = ("embed_tokens", "lm_head"),
    max_length: int = 2048,
    schedule: Schedule = Schedule(lr=2.5e-5),  # noqa: B008 (frozen)
    precision: Literal["auto", "bf16", "fp16", "no"] = "auto",
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """LEP self-calibration: LoRA-tune a LEP model on its reference instruct model's answers.

    Args:
        model: the LEP model folder (instruct model with propagated embeddings).
        reference: the original instruct model that answers the prompts.
        prompts: .txt (one prompt per line) or JSON/JSONL files of chats or Alpaca records.
        out: output folder: the calibrated model (merged, plain HF), the reference answers.
        copy_corpus: target-language text files for copy-task conversations (LEP 2.4.3).
        copy_task_mix: fraction of the training mix made of copy-task conversations.
        max_new_tokens: longest reference answer, in tokens.
        generation_batch_size: prompts per generation batch.
        lora_rank: LoRA rank (LEP 2.4.2: 8).
        lora_alpha: LoRA alpha (LEP 2.4.2: 1).
        lora_layers: layers with adapters (LEP 2.4.2: the first and the last).
        target_modules: module names that get LoRA adapters.
        modules_to_save: modules trained in full (LEP 2.4.2: embeddings and lm_head).
        max_length: truncate conversations to this many tokens.
        schedule: optimisation (engine/schedule.py; a batch is of conversations): LEP 2.4.2's
            lr 2.5e-5; its seed also draws the copy-task sample and LoRA's initialisation.
        precision: 'auto' = bf16 on a GPU that supports it, else full precision.
        allow_pickle: accept .bin/.pt weights (they can run code when loaded).
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items() if k not in ("model", "reference", "out", "force")}
    options["schedule"] = asdict(schedule.check())
    seed = schedule.seed  # also of the copy-task sample
    for folder in (model, reference):
        read_config(folder)
        weight_files(folder, allow_pickle)
    tokenizer = load_tokenizer(model)
    set_chat_template(tokenizer, model, None)
    set_chat_template(load_tokenizer(reference), reference, None)
    chats = read_prompts(prompts)
    n_copy = copy_plan(len(chats), copy_task_mix, copy_corpus)
    copy_texts = Corpus(copy_corpus) if n_copy else None
    spec = LoraSpec(
        lora_rank,
        lora_alpha,
        0.0,
        tuple(target_modules),
        tuple(lora_layers) or None,
        tuple(modules_to_save),
    )

    check_names_on_folder(model, spec)
    run = StageRun(
        "train.calibrate",
        out,
        inputs={"model": model, "reference": reference, "prompts": list(prompts),
                "copy_corpus": copy_corpus},
        options=options,
        force=force,
        resumable=True,
    )  # fmt: skip
    if run.up_to_date():
        return out

    def build(work: Path, accelerator) -> list[dict]:
        answers = work / ANSWERS
        if accelerator.is_main_process and not answers.is_file():
            _answer(reference, chats, answers, max_new_tokens, generation_batch_size)
        accelerator.wait_for_everyone()
        rows = read_json_lines(answers)
        convs = [Conversation(r["messages"], f"{ANSWERS} line {i}") for i, r in enumerate(rows, 1)]
        convs = [c for c in convs if c.messages[-1]["content"].strip()]
        run.results.update(reference_answers=len(convs), judge_filter="none")
        if copy_texts is not None:
            convs += copy_conversations(copy_texts, n_copy, seed=seed)
        return encode_all(tokenizer, convs, max_length)

    tune(
        model,
        tokenizer,
        build,
        run=run,
        sched=schedule,
        lora=spec,
        merge=True,
        precision=precision,
        dtype=checkpoint_dtype(model, "auto"),
        allow_pickle=allow_pickle,
        title="calibrate (LoRA)",
    )
    return out


def _answer(reference: Path, chats: list, path: Path, max_new_tokens: int, batch: int) -> None:
    """Greedy reference answers, logged chunk by chunk so that a restart redoes only the rest.

    Each row is `{"id": prompt index, "messages": chat + answer}`, in prompt order. The log is
    `path.part` (an `ItemLog`: a line torn by a kill is dropped on restart); `path` appears,
    by rename, once every prompt is answered. Runs on the main process only.
    """
    from tqdm.auto import tqdm

    from langadapt.llm.local import LocalBackend

    part = path.with_name(path.name + ".part")
    log = ItemLog(part)
    todo = [i for i in range(len(chats)) if str(i) not in log.done]
    backend = LocalBackend(reference, batch_size=batch)
    chunk = batch * 4
    for lo in tqdm(range(0, len(todo), chunk), desc="reference answers"):
        ids = todo[lo : lo + chunk]
        answers = backend.generate(
            [chats[i] for i in ids], max_new_tokens=max_new_tokens, temperature=0.0
        )
        log.extend(
            {"id": str(i), "messages": chats[i] + [{"role": "assistant", "content": a.strip()}]}
            for i, a in zip(ids, answers)
        )
    part.replace(path)
