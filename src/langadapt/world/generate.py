"""`langadapt world generate`: write the synthetic bilingual world to a folder.

Split design (disjoint by construction):
- People are split into train people (75%) and eval people (25%), by the seed.
- pretrain/*.jsonl describe EVERY person (so the facts held-out questions ask about are
  learnable), plus towns, countries and animals; it contains statements only, no questions.
- instruct/train.*.jsonl are made from train people only: no eval person is named in them.
- instruct/test.*.jsonl and every eval/*.jsonl are made from eval people only.
So a model learns the facts from pretraining and the question formats from train people, and is
tested on questions about people it has only read about.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun
from langadapt.corpus import write_json_lines
from langadapt.errors import ConfigError
from langadapt.world import evalsets
from langadapt.world.entities import build_world, knowledge_base
from langadapt.world.instruct import TASKS, items
from langadapt.world.pretrain import documents

# people, pretrain docs per person (en, ru), instruct items per person and task (train, test),
# eval mc questions per person, retrieval queries per person
SIZES: dict[str, dict[str, int]] = {
    "fast": {"people": 24, "docs_en": 2, "docs_ru": 1, "train": 1, "test": 1, "mc": 4, "retrieval": 2},
    "small": {"people": 48, "docs_en": 16, "docs_ru": 8, "train": 3, "test": 1, "mc": 8, "retrieval": 3},
    "medium": {"people": 120, "docs_en": 24, "docs_ru": 8, "train": 5, "test": 2, "mc": 12, "retrieval": 4},
}  # fmt: skip

SPLIT_DESCRIPTION = (
    "People are split by the seed into train people and eval people. pretrain/ describes every "
    "person (statements only, no questions); instruct/train.* names train people only; "
    "instruct/test.* and eval/* are about eval people only. Held-out questions are therefore "
    "answerable from the pretraining text but never seen with their answers in instruction "
    "training. Towns, countries and animal facts are shared by all splits."
)


def build_files(seed: int, size: str) -> dict[str, list[dict]]:
    """Every file of the world as {relative path: rows}, from `Random(seed)` alone.

    Each file draws from its own generator seeded by (seed, file name), so adding a file never
    changes the others.
    """
    sz = SIZES[size]
    world = build_world(seed, sz["people"])
    train, test = world.split("train"), world.split("eval")

    def rng(name: str) -> random.Random:
        return random.Random(f"{seed}/{name}")

    files: dict[str, list[dict]] = {"kb.jsonl": knowledge_base(world)}
    for lang in ("en", "ru"):
        docs = documents(world, rng(f"pretrain.{lang}"), lang, sz[f"docs_{lang}"])
        files[f"pretrain/{lang}.jsonl"] = [{"text": d} for d in docs]
        files[f"instruct/train.{lang}.jsonl"] = items(
            train, rng(f"train.{lang}"), lang, sz["train"], "train"
        )
        files[f"instruct/test.{lang}.jsonl"] = items(
            test, rng(f"test.{lang}"), lang, sz["test"], "test"
        )
        files[f"eval/mc.{lang}.jsonl"] = evalsets.mc(test, rng(f"mc.{lang}"), lang, sz["mc"])
        files[f"eval/facts.{lang}.jsonl"] = evalsets.facts(test, lang)
        files[f"eval/copy_sentence.{lang}.jsonl"] = evalsets.copy_sentence(test, lang)
        files[f"eval/copy_paragraph.{lang}.jsonl"] = evalsets.copy_paragraph(test, lang)
        files[f"eval/summarise.{lang}.jsonl"] = evalsets.summarise(test, lang)
        files[f"eval/modifiers.{lang}.jsonl"] = evalsets.modifiers(
            test, rng(f"modifiers.{lang}"), lang
        )
        files[f"eval/classification.{lang}.jsonl"] = evalsets.classification(test, lang)
    files["eval/parallel.jsonl"] = evalsets.parallel(test)
    files["eval/retrieval.jsonl"] = evalsets.retrieval(test, rng("retrieval"), sz["retrieval"])
    files["eval/clustering.jsonl"] = evalsets.clustering(test)
    return dict(sorted(files.items()))


def run(
    *,
    seed: int = 0,
    size: Literal["fast", "small", "medium"] = "small",
    out: Path,
    force: bool = False,
) -> Path:
    """Generate the synthetic bilingual (English/Russian) world: pretraining text, instructions
    of 15 task types, and evaluation files, all with answers known exactly.

    The same seed and size give byte-identical files. Held-out people appear in the pretraining
    text only, never in training instructions (see docs/world.md).

    Args:
        seed: seed of the world (a non-negative integer, default 0); every draw comes from it.
        size: fast (a few hundred items, for tests), small (the demo default: enough text for
            tiny models to learn the facts in a few CPU minutes) or medium.
        out: output folder (must not exist, unless --force; a complete run with the same seed
            and size there is reused).
        force: replace an existing output folder.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"--seed is {seed!r}; give a non-negative integer, e.g. --seed 0")
    if size not in SIZES:
        raise ConfigError(f"--size is {size!r}; choose one of: {', '.join(SIZES)}")
    options = {"seed": seed, "size": size}
    stage = StageRun("world.generate", out, inputs={}, options=options, force=force)
    if stage.up_to_date():
        return stage.out
    files = build_files(seed, size)
    with stage.writing() as tmp:
        counts = {name: write_json_lines(tmp / name, rows) for name, rows in files.items()}
        people = files["kb.jsonl"]
        stage.results["counts"] = counts
        stage.results["people"] = {
            split: sorted({r["subject"] for r in people if r["split"] == split})
            for split in ("train", "eval")
        }
        stage.results["task_types"] = list(TASKS)
        stage.results["splits"] = SPLIT_DESCRIPTION
    return stage.out
