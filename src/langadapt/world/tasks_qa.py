"""Knowledge and reasoning task types: fact questions, yes/no, multiple choice, arithmetic,
comparison and multi-step questions.

Each task function is `task(p, pool, rng, lang) -> {"user", "assistant", "answer", ...} | None`:
`p` is the person asked about, `pool` the people of the same split (other people a question may
involve come only from it, so held-out people never leak into training items), `rng` the
generator's `random.Random`, and `lang` the language of the whole item.
"""

from __future__ import annotations

import random

from langadapt.world.entities import Person
from langadapt.world.grammar import en_article, en_count, en_years, ru_count, ru_in, ru_years
from langadapt.world.lexicon import COUNTABLES, PAST, PRONOUNS, YEAR_NOUN
from langadapt.world.sentences import (
    QUESTION_RELATIONS,
    answer,
    answer_form,
    domain,
    fact_sentence,
    question,
    value_of,
)

Item = dict
LETTERS = "ABCD"
YES_NO_RELATIONS = ("lives_in", "profession", "pet_kind", "likes_food", "favourite_colour")


def fact_qa(p: Person, pool: list[Person], rng: random.Random, lang: str) -> Item:
    rel = rng.choice(sorted(QUESTION_RELATIONS))
    return {
        "user": question(p, rel, lang),
        # a pronoun, as people answer ("She lives in Milan."); eval/facts accepts this form too
        "assistant": fact_sentence(p, QUESTION_RELATIONS[rel], lang, pron=True),
        "answer": answer(p, rel, lang),
        "relation": rel,
    }


def _yes_no_question(p: Person, rel: str, value: str, lang: str) -> str:
    form = answer_form(p, rel, value, lang)
    if lang == "en":
        return {
            "lives_in": f"Does {p.en} live in {value}?",
            "profession": f"Does {p.en} work as {en_article(value)}?",
            "pet_kind": f"Does {p.en} have {en_article(value)}?",
            "likes_food": f"Does {p.en} like {value}?",
            "favourite_colour": f"Is {p.en}'s favourite colour {value}?",
        }[rel]
    return {
        "lives_in": f"Живёт ли {p.ru()} {form}?",
        "profession": f"Работает ли {p.ru()} {form}?",
        "pet_kind": f"Есть ли у {p.ru('gen')} {form}?",
        "likes_food": f"Любит ли {p.ru()} {form}?",
        "favourite_colour": f"Любимый цвет {p.ru('gen')} — {form}?",
    }[rel]


def yes_no(p: Person, pool: list[Person], rng: random.Random, lang: str) -> Item:
    rel = rng.choice(YES_NO_RELATIONS)
    true = value_of(p, rel)
    truth = rng.random() < 0.5
    value = true if truth else rng.choice([v for v in domain(rel) if v != true])
    word = {("en", True): "Yes", ("en", False): "No", ("ru", True): "Да", ("ru", False): "Нет"}[
        (lang, truth)
    ]
    sentence = fact_sentence(p, {"pet_kind": "pet"}.get(rel, rel), lang)
    return {
        "user": _yes_no_question(p, rel, value, lang),
        "assistant": f"{word}. {sentence}",
        "answer": word.lower(),
        "relation": rel,
        "asked": value,
    }


def mc_values(p: Person, rel: str, rng: random.Random) -> tuple[list[str], int]:
    """Four canonical values (the true one and three others of the relation's domain), shuffled,
    and the true one's position."""
    true = value_of(p, rel)
    others = rng.sample([v for v in domain(rel) if v != true], 3)
    values = [true, *others]
    rng.shuffle(values)
    return values, values.index(true)


def mc_choices(p: Person, rel: str, rng: random.Random, lang: str) -> tuple[list[str], int]:
    """Four answer choices (the true one and three others of the relation's domain), shuffled."""
    values, idx = mc_values(p, rel, rng)
    return [answer_form(p, rel, v, lang) for v in values], idx


def multiple_choice(p: Person, pool: list[Person], rng: random.Random, lang: str) -> Item:
    rel = rng.choice(sorted(QUESTION_RELATIONS))
    choices, idx = mc_choices(p, rel, rng, lang)
    lines = [question(p, rel, lang)] + [f"{LETTERS[i]}) {c}" for i, c in enumerate(choices)]
    lines.append(
        "Answer with the letter of the correct option."
        if lang == "en"
        else "Ответьте буквой правильного варианта."
    )
    return {
        "user": "\n".join(lines),
        "assistant": f"{LETTERS[idx]}) {choices[idx]}",
        "answer": LETTERS[idx],
        "relation": rel,
    }


def arithmetic(p: Person, pool: list[Person], rng: random.Random, lang: str) -> Item:
    pr = PRONOUNS[p.gender]
    if rng.random() < 0.4:  # needs a fact: the person's age
        k = rng.randint(1, 20)
        total = p.age + k
        if lang == "en":
            user = f"How old will {p.en} be in {en_years(k)}?"
            text = f"{p.en} is {en_years(p.age)} old now, so in {en_years(k)} {pr['en']} will be {total}."
        else:
            user = f"Сколько лет будет {p.ru('dat')} через {ru_years(k)}?"
            text = f"Сейчас {p.ru('dat')} {ru_years(p.age)}, через {ru_years(k)} {pr['dat']} будет {ru_count(total, YEAR_NOUN)}."
        return {"user": user, "assistant": text, "answer": str(total), "relation": "age",
                "operands": [p.age, k]}  # fmt: skip
    giver = rng.choice([q for q in pool if q is not p] or [p])
    sing, plur, ru_forms = rng.choice(COUNTABLES)
    a, b = rng.randint(1, 12), rng.randint(1, 12)
    c = rng.randint(0, a + b - 1)
    total = a + b - c
    if lang == "en":
        user = (
            f"{p.en} has {en_count(a, sing, plur)}. {giver.en} {PAST['give']['en']} {pr['en_obj']} "
            f"{b} more {sing if b == 1 else plur}. "
            + (f"Then {p.en} {PAST['give_away']['en']} {en_count(c, sing, plur)}. " if c else "")
            + f"How many {plur} does {p.en} have now?"
        )
        text = f"{p.en} has {en_count(total, sing, plur)} now."
    else:
        user = (
            f"У {p.ru('gen')} {ru_count(a, ru_forms)}. {giver.ru()} {PAST['give'][giver.gender]} "
            f"{pr['dat']} ещё {ru_count(b, ru_forms, acc=True)}. "
            + (
                f"Потом {p.ru()} {PAST['give_away'][p.gender]} {ru_count(c, ru_forms, acc=True)}. "
                if c
                else ""
            )
            + f"Сколько {ru_forms['many']} теперь у {p.ru('gen')}?"
        )
        text = f"Теперь у {p.ru('gen')} {ru_count(total, ru_forms)}."
    return {"user": user, "assistant": text, "answer": str(total), "operands": [a, b, -c]}


def comparison(p: Person, pool: list[Person], rng: random.Random, lang: str) -> Item | None:
    others = [q for q in pool if q.age != p.age]
    if not others:
        return None
    q = rng.choice(others)
    a, b = (p, q) if rng.random() < 0.5 else (q, p)
    older = rng.random() < 0.5
    win, lose = (a, b) if (a.age > b.age) == older else (b, a)
    extra = {"compared": [a.en, b.en], "ask": "older" if older else "younger"}
    if lang == "en":
        word = "older" if older else "younger"
        user = f"Who is {word}, {a.en} or {b.en}?"
        text = f"{win.en} is {word} than {lose.en}: {win.en} is {en_years(win.age)} old, and {lose.en} is {lose.age}."
        return {"user": user, "assistant": text, "answer": win.en, **extra}
    word = "старше" if older else "моложе"
    user = f"Кто {word}: {a.ru()} или {b.ru()}?"
    text = f"{win.ru()} {word} {lose.ru('gen')}: {win.ru('dat')} {ru_years(win.age)}, а {lose.ru('dat')} {ru_years(lose.age)}."
    return {"user": user, "assistant": text, "answer": win.ru(), **extra}


def multi_step(p: Person, pool: list[Person], rng: random.Random, lang: str) -> Item | None:
    """Two hops: town -> country, or pet name -> owner -> age -> comparison."""
    owners = [q for q in pool if q.unique_pet and q.age != p.age]
    if rng.random() < 0.5 or not p.unique_pet or not owners:
        c = p.country
        if lang == "en":
            user = f"In which country does {p.en} live?"
            text = f"{p.en} lives in {p.town.en}, a city in {c.en}."
            return {"user": user, "assistant": text, "answer": c.en, "relation": "country"}
        user = f"В какой стране живёт {p.ru()}?"
        text = f"{p.ru()} живёт {ru_in(p.town.prep)}, а это город {ru_in(c.prep)}."
        return {"user": user, "assistant": text, "answer": ru_in(c.prep), "relation": "country"}
    q = rng.choice(owners)
    a, b = (p, q) if rng.random() < 0.5 else (q, p)
    win = a if a.age > b.age else b
    extra = {"relation": "older_pet_owner", "compared": [a.en, b.en], "ask": "older"}
    if lang == "en":
        user = (
            f"Who is older: the owner of the {a.pet.noun.en} {a.pet_name[0]} "
            f"or the owner of the {b.pet.noun.en} {b.pet_name[0]}?"
        )
        text = (
            f"The owner of the {a.pet.noun.en} {a.pet_name[0]} is {a.en}, who is {en_years(a.age)} old. "
            f"The owner of the {b.pet.noun.en} {b.pet_name[0]} is {b.en}, who is {en_years(b.age)} old. "
            f"So {win.en} is older."
        )
        return {"user": user, "assistant": text, "answer": win.en, **extra}
    user = (
        f"Кто старше: владелец {a.pet.noun.gen} {a.pet_name[2]} "
        f"или владелец {b.pet.noun.gen} {b.pet_name[2]}?"
    )
    text = (
        f"Владелец {a.pet.noun.gen} {a.pet_name[2]} — {a.ru()}, "
        f"{PRONOUNS[a.gender]['dat']} {ru_years(a.age)}. "
        f"Владелец {b.pet.noun.gen} {b.pet_name[2]} — {b.ru()}, "
        f"{PRONOUNS[b.gender]['dat']} {ru_years(b.age)}. "
        f"Значит, старше {win.ru()}."
    )
    return {"user": user, "assistant": text, "answer": win.ru(), **extra}
