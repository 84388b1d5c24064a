"""Facts as sentences, questions and short answers, in English and Russian, parallel by construction.

Every function takes a language ("en" or "ru") and renders the same fact in it, so a pair of
calls with "en" and "ru" is a translation pair. `pron=True` names the person by a pronoun
("she", "она") instead of the full name, for stories and the rewriting task.
"""

from __future__ import annotations

from langadapt.world.entities import (
    AGE_RANGE,
    COLOUR,
    COUNTRY,
    PET_AGE_RANGE,
    TOWN,
    TRIP_YEARS,
    Person,
)
from langadapt.world.grammar import (
    agree,
    agree_acc,
    capitalise,
    en_article,
    en_years,
    plural_class,
    ru_in,
    ru_years,
)
from langadapt.world.lexicon import (
    ANIMALS,
    CLASSES,
    FOODS,
    LEG_NOUN,
    LEG_NUMERALS,
    OBJECT_COLOURS,
    PAST,
    PET_COLOURS,
    PET_NAMES,
    PROFESSIONS,
    PRONOUNS,
    TOWNS,
    Animal,
)

# The person relations in the order an encyclopedic paragraph states them.
PERSON_RELATIONS = (
    "age",
    "profession",
    "lives_in",
    "pet",
    "pet_colour",
    "pet_age",
    "object",
    "favourite_colour",
    "likes_food",
    "trip",
)
# Relations a fact question can ask, and the sentence that states each one.
QUESTION_RELATIONS = {
    "age": "age",
    "profession": "profession",
    "lives_in": "lives_in",
    "pet_kind": "pet",
    "pet_name": "pet",
    "pet_age": "pet_age",
    "pet_colour": "pet_colour",
    "object_colour": "object",
    "favourite_colour": "favourite_colour",
    "likes_food": "likes_food",
    "trip_town": "trip",
    "trip_year": "trip",
}
# Relations whose sentence starts with the person as nominative subject (rewritable by pronoun).
SUBJECT_RELATIONS = ("profession", "lives_in", "likes_food")
TOPIC_OF = {
    "profession": "work",
    "lives_in": "places",
    "pet": "animals",
    "pet_colour": "animals",
    "pet_age": "animals",
    "object": "things",
    "likes_food": "food",
    "trip": "travel",
}


def _subj(p: Person, lang: str, pron: bool) -> dict[str, str]:
    """The forms of the person reference that templates need."""
    pr = PRONOUNS[p.gender]
    if lang == "en":
        if pron:
            return {"n": capitalise(pr["en"]), "poss": capitalise(pr["en_poss"])}
        return {"n": p.en, "poss": f"{p.en}'s"}
    if pron:
        return {"nom": capitalise(pr["nom"]), "gen_p": pr["gen_p"], "dat": capitalise(pr["dat"]),
                "poss": capitalise(pr["gen"])}  # fmt: skip
    return {"nom": p.ru("nom"), "gen_p": p.ru("gen"), "dat": p.ru("dat"), "gen": p.ru("gen")}


def _owned(s: dict[str, str], noun: str) -> str:
    """Russian "кошка Анны" / "Её кошка" (possessor after a noun, or a possessive pronoun)."""
    return f"{s['poss']} {noun}" if "poss" in s else f"{capitalise(noun)} {s['gen']}"


def fact_sentence(p: Person, rel: str, lang: str, pron: bool = False) -> str:
    """One sentence stating the person relation `rel` (one of PERSON_RELATIONS)."""
    s = _subj(p, lang, pron)
    kind = p.pet.noun
    if lang == "en":
        return {
            "age": lambda: f"{s['n']} is {en_years(p.age)} old.",
            "profession": lambda: f"{s['n']} works as {en_article(p.profession[0])}.",
            "lives_in": lambda: f"{s['n']} lives in {p.town.en}.",
            "pet": lambda: f"{s['n']} has {en_article(kind.en)} named {p.pet_name[0]}.",
            "pet_colour": lambda: f"{s['poss']} {kind.en} is {p.pet_colour.en}.",
            "pet_age": lambda: f"{s['poss']} {kind.en} is {en_years(p.pet_age)} old.",
            "object": lambda: f"{s['n']} has {en_article(p.obj_colour.en + ' ' + p.obj[0])}.",
            "favourite_colour": lambda: f"{s['poss']} favourite colour is {p.fav_colour.en}.",
            "likes_food": lambda: f"{s['n']} likes {p.food[0]}.",
            "trip": lambda: (
                f"In {p.trip_year} {s['n'] if not pron else s['n'].lower()} "
                f"{PAST['travel']['en']} to {p.trip_town.en}."
            ),
        }[rel]()
    g = p.gender
    return {
        "age": lambda: f"{s['dat']} {ru_years(p.age)}.",
        "profession": lambda: f"{s['nom']} работает {p.profession[2]}.",
        "lives_in": lambda: f"{s['nom']} живёт {ru_in(p.town.prep)}.",
        "pet": lambda: f"У {s['gen_p']} есть {kind.nom} по кличке {p.pet_name[1]}.",
        "pet_colour": lambda: f"{_owned(s, kind.nom)} {agree(p.pet_colour, kind.gender)}.",
        "pet_age": lambda: f"{_owned(s, kind.dat)} {ru_years(p.pet_age)}.",
        "object": lambda: f"У {s['gen_p']} есть {agree(p.obj_colour, p.obj[1])} {p.obj[2]}.",
        "favourite_colour": lambda: (
            f"{s['poss']} любимый цвет — {p.fav_colour.m}."
            if pron
            else f"Любимый цвет {s['gen']} — {p.fav_colour.m}."
        ),
        "likes_food": lambda: f"{s['nom']} любит {p.food[2]}.",
        "trip": lambda: (
            f"В {p.trip_year} году {s['nom'] if not pron else s['nom'].lower()} "
            f"{PAST['travel'][g]} {ru_in(p.trip_town.acc)}."
        ),
    }[rel]()


def purchase_sentence(p: Person, lang: str, pron: bool = False) -> str:
    """A story sentence: the person bought their object (restates the "object" fact)."""
    s = _subj(p, lang, pron)
    if lang == "en":
        return f"{s['n']} {PAST['buy']['en']} {en_article(p.obj_colour.en + ' ' + p.obj[0])}."
    return f"{s['nom']} {PAST['buy'][p.gender]} {agree_acc(p.obj_colour, p.obj[1])} {p.obj[3]}."


def paragraph(p: Person, lang: str) -> str:
    """The encyclopedic paragraph: every fact about the person, each sentence naming them."""
    return " ".join(fact_sentence(p, r, lang) for r in PERSON_RELATIONS)


def key_facts(p: Person, lang: str) -> str:
    """The two-sentence summary of a paragraph: who, age, profession, town, pet."""
    pr = PRONOUNS[p.gender]
    kind = p.pet.noun
    if lang == "en":
        return (
            f"{p.en}, {p.age}, is {en_article(p.profession[0])} from {p.town.en}. "
            f"{capitalise(pr['en'])} has {en_article(kind.en)} named {p.pet_name[0]}."
        )
    return (
        f"{p.ru('nom')} — {p.profession[1]} из {p.town.gen}, {pr['dat']} {ru_years(p.age)}. "
        f"У {pr['gen_p']} есть {kind.nom} по кличке {p.pet_name[1]}."
    )


def town_sentences(lang: str) -> list[tuple[str, str]]:
    """(topic, sentence) for every town: its country, and capitals."""
    out = []
    for town, country, capital in TOWNS:
        c = COUNTRY[country]
        if lang == "en":
            out.append(("places", f"{town.en} is a city in {c.en}."))
            if capital:
                out.append(("places", f"{town.en} is the capital of {c.en}."))
        else:
            out.append(("places", f"{town.nom} — город {ru_in(c.prep)}."))
            if capital:
                out.append(("places", f"{town.nom} — столица {c.gen}."))
    return out


def animal_sentences(a: Animal, lang: str) -> list[str]:
    """General facts about an animal kind: its class and number of legs."""
    cls_en, cls_ru = CLASSES[a.animal_class]
    num_en, num_ru = LEG_NUMERALS[a.legs]
    if lang == "en":
        return [
            f"{capitalise(en_article(a.noun.en))} is {en_article(cls_en)}.",
            f"{capitalise(en_article(a.noun.en))} has {num_en} legs.",
        ]
    return [
        f"{capitalise(a.noun.nom)} — {cls_ru}.",
        f"У {a.noun.gen} {num_ru} {LEG_NOUN[plural_class(a.legs)]}.",
    ]


def question(p: Person, rel: str, lang: str) -> str:
    """A question asking for the person relation `rel` (a key of QUESTION_RELATIONS)."""
    kind = p.pet.noun
    if lang == "en":
        n, poss = p.en, f"{p.en}'s"
        return {
            "age": f"How old is {n}?",
            "profession": f"What does {n} work as?",
            "lives_in": f"Where does {n} live?",
            "pet_kind": f"What animal does {n} have?",
            "pet_name": f"What is the name of {poss} {kind.en}?",
            "pet_age": f"How old is {poss} {kind.en}?",
            "pet_colour": f"What colour is {poss} {kind.en}?",
            "object_colour": f"What colour is {poss} {p.obj[0]}?",
            "favourite_colour": f"What is {poss} favourite colour?",
            "likes_food": f"What food does {n} like?",
            "trip_town": f"Where did {n} travel in {p.trip_year}?",
            "trip_year": f"In which year did {n} travel to {p.trip_town.en}?",
        }[rel]
    nom, gen, verb = p.ru("nom"), p.ru("gen"), PAST["travel"][p.gender]
    return {
        "age": f"Сколько лет {p.ru('dat')}?",
        "profession": f"Кем работает {nom}?",
        "lives_in": f"Где живёт {nom}?",
        "pet_kind": f"Какое животное есть у {gen}?",
        "pet_name": f"Как зовут {kind.acc} {gen}?",
        "pet_age": f"Сколько лет {kind.dat} {gen}?",
        "pet_colour": f"Какого цвета {kind.nom} {gen}?",
        "object_colour": f"Какого цвета {p.obj[2]} {gen}?",
        "favourite_colour": f"Какой любимый цвет у {gen}?",
        "likes_food": f"Какую еду любит {nom}?",
        "trip_town": f"Куда {verb} {nom} в {p.trip_year} году?",
        "trip_year": f"В каком году {nom} {verb} {ru_in(p.trip_town.acc)}?",
    }[rel]


def value_of(p: Person, rel: str) -> str:
    """The English canonical object of the person's fact `rel` (as in the knowledge base)."""
    return {
        "age": str(p.age),
        "profession": p.profession[0],
        "lives_in": p.town.en,
        "pet_kind": p.pet.noun.en,
        "pet_name": p.pet_name[0],
        "pet_age": str(p.pet_age),
        "pet_colour": p.pet_colour.en,
        "object_colour": p.obj_colour.en,
        "favourite_colour": p.fav_colour.en,
        "likes_food": p.food[0],
        "trip_town": p.trip_town.en,
        "trip_year": str(p.trip_year),
    }[rel]


def domain(rel: str) -> list[str]:
    """Every canonical value a relation can take (choices of multiple-choice questions)."""
    towns = [t.en for t, _, _ in TOWNS]
    return {
        "age": [str(a) for a in range(AGE_RANGE[0], AGE_RANGE[1] + 1)],
        "profession": [x[0] for x in PROFESSIONS],
        "lives_in": towns,
        "pet_kind": [a.noun.en for a in ANIMALS],
        "pet_name": [x[0] for x in PET_NAMES],
        "pet_age": [str(a) for a in range(PET_AGE_RANGE[0], PET_AGE_RANGE[1] + 1)],
        "pet_colour": list(PET_COLOURS),
        "object_colour": list(OBJECT_COLOURS),
        "favourite_colour": list(COLOUR),
        "likes_food": [x[0] for x in FOODS],
        "trip_town": towns,
        "trip_year": [str(y) for y in range(TRIP_YEARS[0], TRIP_YEARS[1] + 1)],
    }[rel]


def answer_form(p: Person, rel: str, value: str, lang: str) -> str:
    """The short answer `value` to the person question `rel`, as a reply in `lang`.

    Russian answers take the case the question asks for ("Где?" -> "в Париже", "Кем?" ->
    "врачом") and colours agree with the pet's or object's gender.
    """
    if lang == "en" or rel in ("age", "pet_age", "trip_year"):
        return value
    if rel == "profession":
        return {x[0]: x[2] for x in PROFESSIONS}[value]
    if rel == "lives_in":
        return ru_in(TOWN[value].prep)
    if rel == "trip_town":
        return ru_in(TOWN[value].acc)
    if rel == "pet_kind":
        return {a.noun.en: a.noun.nom for a in ANIMALS}[value]
    if rel == "pet_name":
        return {x[0]: x[1] for x in PET_NAMES}[value]
    if rel == "pet_colour":
        return agree(COLOUR[value], p.pet.noun.gender)
    if rel == "object_colour":
        return agree(COLOUR[value], p.obj[1])
    if rel == "favourite_colour":
        return COLOUR[value].m
    if rel == "likes_food":
        return {x[0]: x[2] for x in FOODS}[value]
    raise KeyError(rel)


def with_value(p: Person, rel: str, value: str) -> Person:
    """`p` with the fact `rel` (a key of QUESTION_RELATIONS) set to the canonical `value`: what
    a wrong option of a multiple-choice question claims, so that it can be said as a sentence."""
    from dataclasses import replace

    field, new = {
        "age": ("age", lambda: int(value)),
        "profession": ("profession", lambda: {x[0]: x for x in PROFESSIONS}[value]),
        "lives_in": ("town", lambda: TOWN[value]),
        "pet_kind": ("pet", lambda: {a.noun.en: a for a in ANIMALS}[value]),
        "pet_name": ("pet_name", lambda: {x[0]: x for x in PET_NAMES}[value]),
        "pet_age": ("pet_age", lambda: int(value)),
        "pet_colour": ("pet_colour", lambda: COLOUR[value]),
        "object_colour": ("obj_colour", lambda: COLOUR[value]),
        "favourite_colour": ("fav_colour", lambda: COLOUR[value]),
        "likes_food": ("food", lambda: {x[0]: x for x in FOODS}[value]),
        "trip_town": ("trip_town", lambda: TOWN[value]),
        "trip_year": ("trip_year", lambda: int(value)),
    }[rel]
    return replace(p, **{field: new()})


def answer(p: Person, rel: str, lang: str) -> str:
    """The person's true short answer to question `rel` in `lang`."""
    return answer_form(p, rel, value_of(p, rel), lang)
