"""Evaluation files, all about eval people only (whose facts are in the pretraining text but
in no training instruction).

Each function returns the rows of one file; ids are "<file>-<lang>-<n>".
"""

from __future__ import annotations

import random

from langadapt.world.entities import Person
from langadapt.world.lexicon import TOPICS
from langadapt.world.sentences import (
    PERSON_RELATIONS,
    QUESTION_RELATIONS,
    TOPIC_OF,
    answer,
    answer_form,
    fact_sentence,
    key_facts,
    paragraph,
    question,
    value_of,
    with_value,
)
from langadapt.world.tasks_qa import mc_values
from langadapt.world.tasks_text import first_facts, ru_about, topic_labels


def _ids(rows: list[dict], name: str, lang: str | None = None) -> list[dict]:
    tag = f"{name}-{lang}" if lang else name
    return [{"id": f"{tag}-{i:05d}", **r} for i, r in enumerate(rows)]


def mc(people: list[Person], rng: random.Random, lang: str, per_person: int) -> list[dict]:
    """Four-option questions. `choices` are the short answers (for a lettered prompt);
    `choice_sentences` say each option as the answer sentence the facts task accepts ("She
    lives in Milan."), for the cloze formulation, which models too small to have learnt
    lettered multiple choice can still answer from what they know (Gu et al., OLMES,
    arXiv 2406.08446)."""
    rows = []
    for p in people:
        rels = sorted(QUESTION_RELATIONS)
        for rel in rng.sample(rels, min(per_person, len(rels))):
            values, idx = mc_values(p, rel, rng)
            said = [
                fact_sentence(with_value(p, rel, v), QUESTION_RELATIONS[rel], lang, True)
                for v in values
            ]
            rows.append(
                {"question": question(p, rel, lang),
                 "choices": [answer_form(p, rel, v, lang) for v in values],
                 "choice_sentences": said, "answer": idx,
                 "subject": p.en, "relation": rel, "object": value_of(p, rel)}
            )  # fmt: skip
    return _ids(rows, "mc", lang)


def facts(people: list[Person], lang: str) -> list[dict]:
    """Fact questions with every exact answer: `answers` = [the short answer, the sentence with a
    pronoun ("She lives in Milan."), the sentence with the name ("Anna Petrova lives in
    Milan.")]. A reply counts if it is one of them; `answer` is the short one alone."""
    rows = []
    for p in people:
        for rel in sorted(QUESTION_RELATIONS):
            short = answer(p, rel, lang)
            said = [fact_sentence(p, QUESTION_RELATIONS[rel], lang, pron) for pron in (True, False)]
            rows.append(
                {"question": question(p, rel, lang), "answer": short, "answers": [short, *said],
                 "subject": p.en, "relation": rel, "object": value_of(p, rel)}
            )  # fmt: skip
    return _ids(rows, "facts", lang)


def copy_sentence(people: list[Person], lang: str) -> list[dict]:
    rows = [{"text": fact_sentence(p, r, lang)} for p in people for r in PERSON_RELATIONS]
    return _ids(rows, "copy_sentence", lang)


def copy_paragraph(people: list[Person], lang: str) -> list[dict]:
    return _ids([{"text": paragraph(p, lang)} for p in people], "copy_paragraph", lang)


def summarise(people: list[Person], lang: str) -> list[dict]:
    rows = [{"text": paragraph(p, lang), "reference": key_facts(p, lang)} for p in people]
    return _ids(rows, "summarise", lang)


def _modifier(p: Person, kind: str, rng: random.Random, lang: str) -> dict:
    """One instruction with a response modifier (Chirkova & Nikoulina, 2402.14778, Sec. 3)."""
    base = f"Tell me about {p.en}." if lang == "en" else f"Расскажите {ru_about(p)}."
    n = rng.randint(2, 4)
    facts = first_facts(p, n, lang)
    other = "ru" if lang == "en" else "en"
    spec = {
        "length": ({"max_words": 12}, "Answer in at most 12 words.", "Ответьте не более чем 12 словами.", facts[0]),
        "list_n": ({"n": n}, f"Give exactly {n} facts as a bulleted list.", f"Приведите ровно {n} факта в виде маркированного списка.", "\n".join(f"- {s}" for s in facts)),
        "numbered": ({"n": n}, f"Give exactly {n} facts as a numbered list.", f"Приведите ровно {n} факта в виде нумерованного списка.", "\n".join(f"{i}. {s}" for i, s in enumerate(facts, 1))),
        "language": ({"lang": other}, "Answer in Russian.", "Ответьте на английском языке.", " ".join(first_facts(p, n, other))),
        "markdown": ({"style": "bold_name"}, "Write the name in bold with Markdown.", "Выделите имя жирным шрифтом в Markdown.", None),
        "html": ({"tag": "ul"}, "Format the answer as an HTML list.", "Оформите ответ как список HTML.", "<ul>\n" + "".join(f"<li>{s}</li>\n" for s in facts) + "</ul>"),
        "uppercase": ({}, "Write the answer in capital letters.", "Напишите ответ заглавными буквами.", " ".join(facts).upper()),
    }  # fmt: skip
    params, text_en, text_ru, reference = spec[kind]
    if kind == "markdown":
        name = p.en if lang == "en" else p.ru()
        reference = " ".join(facts).replace(name, f"**{name}**", 1)
    text = text_en if lang == "en" else text_ru
    return {"prompt": f"{base} {text}", "modifier": {"type": kind, **params},
            "reference": reference, "subject": p.en}  # fmt: skip


MODIFIERS = ("length", "list_n", "numbered", "language", "markdown", "html", "uppercase")


def modifiers(people: list[Person], rng: random.Random, lang: str) -> list[dict]:
    rows = [_modifier(p, kind, rng, lang) for p in people for kind in MODIFIERS]
    return _ids(rows, "modifiers", lang)


def parallel(people: list[Person]) -> list[dict]:
    rows = [
        {"en": fact_sentence(p, r, "en"), "ru": fact_sentence(p, r, "ru")}
        for p in people
        for r in PERSON_RELATIONS
    ]
    rows += [{"en": key_facts(p, "en"), "ru": key_facts(p, "ru")} for p in people]
    return _ids(rows, "parallel")


def retrieval(people: list[Person], rng: random.Random, per_person: int) -> list[dict]:
    """Question -> the paragraph that answers it, in all four language pairings."""
    rows = []
    for p in people:
        for rel in rng.sample(sorted(QUESTION_RELATIONS), per_person):
            for ql in ("en", "ru"):
                for pl in ("en", "ru"):
                    rows.append(
                        {"query": question(p, rel, ql), "passage": paragraph(p, pl),
                         "query_lang": ql, "passage_lang": pl, "subject": p.en}
                    )  # fmt: skip
    return _ids(rows, "retrieval")


def _topic_rows(people: list[Person], lang: str) -> list[tuple[str, str]]:
    return [(fact_sentence(p, r, lang), TOPIC_OF[r]) for p in people for r in sorted(TOPIC_OF)]


def classification(people: list[Person], lang: str) -> list[dict]:
    idx = 0 if lang == "en" else 1
    rows = [
        {"text": t, "label": TOPICS[k][idx], "labels": topic_labels(lang)}
        for t, k in _topic_rows(people, lang)
    ]
    return _ids(rows, "classification", lang)


def clustering(people: list[Person]) -> list[dict]:
    rows = [
        {"text": t, "lang": lang, "cluster": k}
        for lang in ("en", "ru")
        for t, k in _topic_rows(people, lang)
    ]
    return _ids(rows, "clustering")
