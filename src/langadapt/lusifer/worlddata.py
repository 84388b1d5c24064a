"""`langadapt lusifer world-data`: LUSIFER's training and evaluation files from a world folder.

The acceptance comparison of LUSIFER (both models tuned on English only, tested on Russian and
ru -> en retrieval) needs English (query, positive, hard negatives) rows about some people and
Russian retrieval sets about others. A world (`langadapt world generate`) has both halves:

- training, TRAIN people, English only: every `fact_qa` question of `instruct/train.en.jsonl`
  ("What animal does Igor Petrov have?"); its positive is the fact stated with the person's
  name ("Igor Petrov has a cat named Kesha.": the answer's pronoun replaced by the name, kept
  only when the world's own English pretraining text holds that sentence, so a template the
  rule does not know is dropped and counted, never guessed); its hard negatives are the same
  relation's sentences about the other train people and the person's other facts;
- evaluation, EVAL people only (held out: no eval person occurs in any training row): every
  question of `eval/facts.{ru,en}.jsonl` with the fact sentence naming the person (the last of
  its `answers`) as the one relevant document among all such sentences of the file's language:
  `world_ru` (ru -> ru), `world_ru_en` (Russian questions, English sentences, matched by
  subject and relation) and `world_en` (en -> en, the language both models were tuned in).

Every row carries the same instruction (`INSTRUCTION`), as the data-set instruction the stage
reads from the file. Outputs: `train.en.jsonl` (for `lusifer align` and `lusifer finetune`),
`world_ru.retrieval.jsonl`, `world_ru_en.retrieval.jsonl`, `world_en.retrieval.jsonl` (for
`lusifer eval`), `manifest.json` with the counts.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from pathlib import Path

from langadapt.artifacts import StageRun
from langadapt.corpus import iter_json_lines, write_json_lines
from langadapt.errors import InputError

INSTRUCTION = "Find the answering fact"  # short: every text carries it, and CPU time is per token
EVAL_SETS = {"world_ru": ("ru", "ru"), "world_ru_en": ("ru", "en"), "world_en": ("en", "en")}


def _need(world: Path, name: str) -> Path:
    path = world / name
    if not path.is_file():
        raise InputError(
            f"{path} is missing: --world must be a folder written by `langadapt world generate`"
        )
    return path


def named_sentence(answer: str, person: str) -> str:
    """An English fact answer with its pronoun replaced by the person's name.

    "He has a cat." -> "Igor Petrov has a cat."; "Her cat is 3 years old." -> "Anna Petrova's
    cat is 3 years old."; "In 2003 she travelled to Kazan." -> "In 2003 Anna Petrova ...".
    """
    out = re.sub(r"^(He|She)\b", person, answer)
    out = re.sub(r"^(His|Her)\b", person + "'s", out)
    return re.sub(r"\b(he|she)\b", person, out, count=1)


def _sentences(world: Path) -> set[str]:
    """Every sentence of the English pretraining text (the world states each fact there)."""
    out = set()
    for _, row in iter_json_lines(_need(world, "pretrain/en.jsonl")):
        out.update(re.split(r"(?<=[.!?])\s+", row["text"].strip()))
    return out


def train_rows(world: Path, seed: int) -> tuple[list[dict], int]:
    """(English contrastive rows about train people, questions dropped for want of a sentence)."""
    known = _sentences(world)
    facts, dropped = [], 0
    for where, row in iter_json_lines(_need(world, "instruct/train.en.jsonl")):
        if row.get("task_type") != "fact_qa":
            continue
        try:
            question, answer = row["messages"][0]["content"], row["messages"][1]["content"]
            person, relation = row["person"], row["relation"]
        except (KeyError, IndexError, TypeError):
            raise InputError(
                f"{where}: a fact_qa row needs messages [user, assistant], person and relation"
            ) from None
        sentence = named_sentence(answer, person)
        if sentence not in known:
            dropped += 1
            continue
        facts.append((question, sentence, person, relation))
    by_relation, by_person = defaultdict(list), defaultdict(list)
    for _, s, p, r in facts:
        by_relation[r].append((p, s))
        by_person[p].append(s)
    rng = random.Random(f"{seed}/lusifer-world-data")
    rows = []
    for question, sentence, person, relation in facts:
        others = sorted({s for p, s in by_relation[relation] if p != person})
        own = sorted({s for s in by_person[person] if s != sentence})
        negatives = others + own
        rng.shuffle(negatives)
        row = {"query": question, "positive": sentence, "negatives": negatives}
        rows.append({**row, "instruction": INSTRUCTION, "person": person, "relation": relation})
    return rows, dropped


def _eval_facts(world: Path, lang: str) -> dict[tuple[str, str], tuple[str, str]]:
    """{(subject, relation): (question, named fact sentence)} of `eval/facts.{lang}.jsonl`."""
    out = {}
    for where, row in iter_json_lines(_need(world, f"eval/facts.{lang}.jsonl")):
        answers = row.get("answers") or []
        if not answers or not str(answers[-1]).endswith("."):
            raise InputError(
                f"{where}: 'answers' must end with the fact sentence naming the person"
            )
        out[(row["subject"], row["relation"])] = (row["question"], answers[-1])
    return out


def eval_rows(world: Path) -> dict[str, list[dict]]:
    """{set name: retrieval rows} (see the module docstring), questions in corpus order."""
    facts = {lang: _eval_facts(world, lang) for lang in ("en", "ru")}
    out = {}
    for name, (q_lang, d_lang) in EVAL_SETS.items():
        rows = []
        for key, (question, _) in facts[q_lang].items():
            if key not in facts[d_lang]:
                continue  # no sentence in the document language: not askable across
            doc = facts[d_lang][key][1]
            rows.append(
                {
                    "query": question,
                    "positive": doc,
                    "lang": q_lang,
                    "doc_lang": d_lang,
                    "instruction": INSTRUCTION,
                }
            )
        out[name] = rows
    return out


def run(*, world: Path, out: Path, seed: int = 0, force: bool = False) -> Path:
    """LUSIFER's data from a world: English training rows, Russian and ru->en retrieval sets.

    Training rows ask about the world's TRAIN people in English only (question -> the sentence
    stating the fact, hard negatives the same relation's sentences about other people and the
    person's other facts); the retrieval sets ask about its held-out EVAL people: ru -> ru,
    ru -> en and en -> en. Files: docs/lusifer.md.

    Args:
        world: a world folder (`langadapt world generate`).
        out: output folder: train.en.jsonl and world_{ru,ru_en,en}.retrieval.jsonl.
        seed: seed of the order of each row's hard negatives.
        force: replace an existing output folder.
    """
    world = Path(world)
    train, dropped = train_rows(world, seed)
    if not train:
        raise InputError(
            f"{world}/instruct/train.en.jsonl gives no training row (no fact_qa question whose "
            "fact sentence is in pretrain/en.jsonl); is it a world folder?"
        )
    sets = eval_rows(world)
    train_people = {r["person"] for r in train}
    asked = {r["positive"] for rows in sets.values() for r in rows}
    leaked = sorted(p for p in train_people if any(p in s for s in asked))
    if leaked:
        raise InputError(
            f"{world}: train people {leaked[:3]} occur in the eval facts; the world's eval "
            "people must be held out (regenerate it with `langadapt world generate`)"
        )
    run = StageRun(
        "lusifer.world-data",
        out,
        inputs={"world": world},
        options={"seed": seed, "force": force},
        force=force,
    )
    if run.up_to_date():
        return out
    with run.writing() as tmp:
        write_json_lines(tmp / "train.en.jsonl", train)
        for name, rows in sets.items():
            write_json_lines(tmp / f"{name}.retrieval.jsonl", rows)
        run.results.update(
            train_rows=len(train),
            train_people=len(train_people),
            dropped_questions=dropped,
            eval_queries={name: len(rows) for name, rows in sets.items()},
            mean_hard_negatives=round(sum(len(r["negatives"]) for r in train) / len(train), 2),
        )
    return out
