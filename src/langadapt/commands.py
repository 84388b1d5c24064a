"""The command table: every `langadapt` subcommand and the stage function behind it.

Kept apart from `cli.py` so that `pipeline.py` (which runs these commands from a YAML file) can
read it without importing the CLI that dispatches to it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

# subcommand -> ("module:function", one-line summary for `langadapt --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "langadapt.demo.command:run",
        "LEP end to end on the embedded default world, with LUSIFER, xling and TAPIR sections; writes report/report.html",
    ),
    "demo report": (
        "langadapt.demo.stage:run",
        "the demo's report from its run's folders (the last stage of configs/demo.yaml)",
    ),
    "run": (
        "langadapt.pipeline:run",
        "run a pipeline YAML; stages that are up to date are skipped",
    ),
    "validate": (
        "langadapt.pipeline:validate",
        "check a pipeline YAML (commands, options, ${stage} references) without running it",
    ),
    "ls": ("langadapt.registry:ls", "list every method with the paper it implements"),
    # LEP: vocabulary
    "vocab train": (
        "langadapt.vocab.train:run",
        "train a new BPE or Unigram tokenizer for the target language (LEP 2.1.1)",
    ),
    "vocab extend": (
        "langadapt.vocab.extend:run",
        "add tokens learned on a corpus to a BPE tokenizer, keeping every base id (LEP)",
    ),
    "vocab optimize": (
        "langadapt.vocab.optimize:run",
        "keep a BPE tokenizer's most used tokens, then add tokens learned on a corpus (LEP)",
    ),
    "vocab stats": (
        "langadapt.vocab.stats:run",
        "compare tokenizers on corpora: symbols per token, byte fallback, round trip",
    ),
    # LEP: embeddings
    "init": (
        "langadapt.init.stage:run",
        "resize a model to a new tokenizer and initialise the new embeddings (LEP mean, ...)",
    ),
    "propagate": (
        "langadapt.propagate.stage:run",
        "LEP: carry trained embeddings into instruct models (swap, overlap, conversion)",
    ),
    # training (LEP, cross-lingual instruction tuning, calibration)
    "pretrain": (
        "langadapt.train.pretrain:run",
        "continued pretraining: embeddings only (LEP), new token rows, or all weights",
    ),
    "sft": ("langadapt.train.sft:run", "instruction tuning, full or LoRA, response-only loss"),
    "calibrate": (
        "langadapt.train.calibrate:run",
        "LEP self-calibration: LoRA-tune a LEP model on its reference model's answers",
    ),
    # LUSIFER: multilingual embeddings from an encoder, a connector and an LLM
    "lusifer align": (
        "langadapt.lusifer.align:run",
        "LUSIFER stage 1: align a multilingual encoder to a frozen LLM through a connector",
    ),
    "lusifer finetune": (
        "langadapt.lusifer.finetune:run",
        "LUSIFER stage 2: contrastive tuning with in-batch and hard negatives",
    ),
    "lusifer world-data": (
        "langadapt.lusifer.worlddata:run",
        "LUSIFER's English training rows and Russian / ru->en retrieval sets from a world folder",
    ),
    "lusifer eval": (
        "langadapt.lusifer.evaluation:run",
        "embedding models on local retrieval/STS/classification/clustering/reranking files, "
        "with 95% intervals",
    ),
    # evaluation
    "eval": (
        "langadapt.evaluate.runner:run",
        "evaluate models on Darumeru-style task files; scores, groups, Micro-Avg",
    ),
    # teachers and judges: an OpenAI-compatible endpoint over a local model, judges
    "serve": (
        "langadapt.llm.serve:run",
        "serve a local model folder as an OpenAI-compatible endpoint (chat, completions, models)",
    ),
    "judge": (
        "langadapt.llm.judge_stage:run",
        "score answers with judges (an LLM via a prompt template, the world's exact rules)",
    ),
    # cross-lingual instruction tuning (Chirkova & Nikoulina)
    "xling eval": (
        "langadapt.xling.eval:run",
        "answers in several languages: language correctness, modifier compliance, judged aspects",
    ),
    "xling data": (
        "langadapt.xling.data:run",
        "the paper's instruction files (LIMA, Dolly and translations) as one sft chat file",
    ),
    "xling compare": (
        "langadapt.xling.compare:run",
        "several models' answers side by side: correct language, modifiers, paired differences",
    ),
    "xling select": (
        "langadapt.xling.select:run",
        "choose a sweep's model by its correct-language share on non-English prompts",
    ),
    # TAPIR: distil instruction following from a teacher (docs/distill.md)
    "distill seed": (
        "langadapt.distill.seed:run",
        "distillation: read a seed set (Alpaca JSON, chat JSONL, Parquet); a teacher answers it",
    ),
    "distill classify": (
        "langadapt.distill.classify:run",
        "distillation: a task label per instruction from a taxonomy, by a prompted model",
    ),
    "distill balance": (
        "langadapt.distill.rebalance:run",
        "distillation: resample labelled instructions to target task ratios, exact counts",
    ),
    "distill difficulty": (
        "langadapt.distill.difficulty:run",
        "distillation: Model Fitting Difficulty of each instruction (pairwise judge, both orders)",
    ),
    "distill expand": (
        "langadapt.distill.expand:run",
        "distillation: the teacher writes new instructions like the hard ones, per-label quotas",
    ),
    "distill warmup": (
        "langadapt.distill.warmup:run",
        "distillation: fine-tune the student on records' teacher answers (a seed set, a sample)",
    ),
    "distill curriculum": (
        "langadapt.distill.rounds:run",
        "distillation: R rounds of fine-tuning with a rising share of hard instructions",
    ),
    "distill refine": (
        "langadapt.distill.refine:run",
        "distillation: the teacher re-answers each instruction in its task's style (prompt files)",
    ),
    "distill evaluate": (
        "langadapt.distill.evaluate:run",
        "distillation: students against a reference: win rates, world exact accuracy, MT-Bench",
    ),
    "distill run": (
        "langadapt.pipeline:run",
        "distillation: run a distill pipeline YAML (checked whole first), like `langadapt run`",
    ),
    # the embedded default
    "world generate": (
        "langadapt.world.generate:run",
        "write the synthetic bilingual world: pretraining text, instructions, eval sets",
    ),
    "zoo build": (
        "langadapt.zoo.build:run",
        "train the zoo of tiny models (base, instruct, teacher, encoder) on a synthetic world",
    ),
}

# commands that are not stages (they write no run folder of their own, or run other stages):
# a pipeline refuses them
NOT_STAGES = frozenset({"demo", "run", "distill run", "validate", "ls", "serve"})
STAGES = frozenset(COMMANDS) - NOT_STAGES


def load(target: str) -> Callable:
    """The function named by a "module:function" string of the table (imports its module)."""
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def positional_names(func: Callable) -> list[str]:
    """The names of `func`'s positional-only parameters (before `/`), in order."""
    return [
        k
        for k, p in inspect.signature(func).parameters.items()
        if p.kind is inspect.Parameter.POSITIONAL_ONLY
    ]
