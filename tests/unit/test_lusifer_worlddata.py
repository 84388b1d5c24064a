"""`lusifer world-data` on a hand-made world folder, and `lusifer eval`'s summary.md."""

from __future__ import annotations

import json

import pytest

from langadapt.errors import ConfigError, InputError
from langadapt.lusifer import worlddata
from langadapt.lusifer.evalsummary import summary


def _jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def _qa(person, relation, question, answer):
    msgs = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return {"messages": msgs, "task_type": "fact_qa", "person": person, "relation": relation}


def _fact(subject, relation, question, sentence):
    return {"question": question, "answers": ["x", "y", sentence], "subject": subject,
            "relation": relation}  # fmt: skip


@pytest.fixture()
def world(tmp_path):
    w = tmp_path / "world"
    _jsonl(w / "pretrain/en.jsonl", [
        {"text": "Anna Petrova lives in Omsk. Anna Petrova's cat is 3 years old."},
        {"text": "Ivan Orlov lives in Rome. In 2003 Ivan Orlov travelled to Kazan."},
    ])  # fmt: skip
    _jsonl(w / "instruct/train.en.jsonl", [
        _qa("Anna Petrova", "lives_in", "Where does Anna Petrova live?", "She lives in Omsk."),
        _qa("Anna Petrova", "pet_age", "How old is Anna Petrova's cat?", "Her cat is 3 years old."),
        _qa("Ivan Orlov", "lives_in", "Where does Ivan Orlov live?", "He lives in Rome."),
        _qa("Ivan Orlov", "trip_town", "Where did he go?", "In 2003 he travelled to Kazan."),
        _qa("Ivan Orlov", "age", "How old is Ivan Orlov?", "He is 40 years old."),  # not stated
        {"messages": [], "task_type": "copy"},
    ])  # fmt: skip
    _jsonl(w / "eval/facts.en.jsonl", [
        _fact("Olga Belova", "lives_in", "Where does Olga Belova live?", "Olga Belova lives in Paris."),
        _fact("Olga Belova", "age", "How old is Olga Belova?", "Olga Belova is 30 years old."),
    ])  # fmt: skip
    _jsonl(w / "eval/facts.ru.jsonl", [
        _fact("Olga Belova", "lives_in", "Где живёт Ольга Белова?", "Ольга Белова живёт в Париже."),
        _fact("Olga Belova", "age", "Сколько лет Ольге Беловой?", "Ольге Беловой 30 лет."),
    ])  # fmt: skip
    return w


def test_world_data_rows(world, tmp_path):
    out = worlddata.run(world=world, out=tmp_path / "data")
    results = json.loads((out / "manifest.json").read_text())["results"]
    assert results["train_rows"] == 4 and results["dropped_questions"] == 1
    rows = [json.loads(line) for line in (out / "train.en.jsonl").read_text().splitlines()]
    first = rows[0]
    assert first["positive"] == "Anna Petrova lives in Omsk."
    # hard negatives: the relation for the other person, then the person's other facts
    assert set(first["negatives"]) == {
        "Ivan Orlov lives in Rome.",
        "Anna Petrova's cat is 3 years old.",
    }
    assert rows[3]["positive"] == "In 2003 Ivan Orlov travelled to Kazan."
    assert all(r["instruction"] == worlddata.INSTRUCTION for r in rows)
    ru_en = [json.loads(x) for x in (out / "world_ru_en.retrieval.jsonl").read_text().splitlines()]
    assert ru_en[0] == {
        "query": "Где живёт Ольга Белова?",
        "positive": "Olga Belova lives in Paris.",
        "lang": "ru",
        "doc_lang": "en",
        "instruction": worlddata.INSTRUCTION,
    }


def test_world_data_bad_input(world, tmp_path):
    with pytest.raises(InputError, match="world generate"):
        worlddata.run(world=tmp_path / "nowhere", out=tmp_path / "o")
    _jsonl(world / "eval/facts.en.jsonl", [
        _fact("Olga Belova", "lives_in", "Where?", "Anna Petrova lives in Omsk."),
    ])  # fmt: skip
    with pytest.raises(InputError, match="held out"):
        worlddata.run(world=world, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def _entry(task, a, b, diff, low, high):
    est = lambda v: {"value": v, "low": v - 0.05, "high": v + 0.05}  # noqa: E731
    return {
        "task": task, "kind": "retrieval", "subset": "all", "n": 10, "main": "ndcg_at_10",
        "scores": {"A": {"ndcg_at_10": est(a)}, "B": {"ndcg_at_10": est(b)}},
        "paired": {"B": {"ndcg_at_10": {"diff": diff, "low": low, "high": high,
                                        "significant": low > 0 or high < 0}}},
    }  # fmt: skip


def test_summary_says_who_wins_and_what_is_significant():
    results = {"models": [{"name": "A"}, {"name": "B"}], "tasks": [
        _entry("ru", 0.2, 0.5, 0.3, 0.1, 0.5), _entry("en", 0.4, 0.42, 0.02, -0.1, 0.12)]}  # fmt: skip
    text = summary(results, "T")
    assert text.startswith("## T\n")
    assert "B is ahead, +0.300 [+0.100, +0.500], significant" in text
    assert "the difference +0.020 [-0.100, +0.120] is not significant" in text
    assert (
        "better on 1, worse on 0 and not significantly different on 1 of 2 task(s): B wins" in text
    )
    assert "| ru | ndcg_at_10 | 0.200 [0.150, 0.250] | 0.500 [0.450, 0.550] |" in text
    results["tasks"] = [_entry("ru", 0.5, 0.2, -0.3, -0.5, -0.1)]
    assert "B is behind" in summary(results, "T") and "A wins" in summary(results, "T")


def test_eval_names_must_fit_the_models():
    from langadapt.lusifer.evaluation import names_of

    assert names_of(["x/a", "y/a"]) == ["a", "a#1"]
    assert names_of(["x/a", "y/a"], ["one", "two"]) == ["one", "two"]
    with pytest.raises(ConfigError, match="one distinct name per --model"):
        names_of(["x/a", "y/b"], ["one"])
