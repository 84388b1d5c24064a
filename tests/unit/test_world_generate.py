"""`langadapt world generate`: files, fields, determinism, split disjointness, answers vs the KB."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from world_kb import ru_name, surface, v_or_vo

from langadapt.cli import COMMANDS, main
from langadapt.errors import ConfigError
from langadapt.world import lexicon as L
from langadapt.world.generate import run

ROOT = Path(__file__).resolve().parents[2]
LANG_FILES = [
    "pretrain/{l}.jsonl",
    "instruct/train.{l}.jsonl",
    "instruct/test.{l}.jsonl",
    "eval/mc.{l}.jsonl",
    "eval/facts.{l}.jsonl",
    "eval/copy_sentence.{l}.jsonl",
    "eval/copy_paragraph.{l}.jsonl",
    "eval/summarise.{l}.jsonl",
    "eval/modifiers.{l}.jsonl",
    "eval/classification.{l}.jsonl",
]
FILES = sorted(
    [f.format(l=lang) for f in LANG_FILES for lang in ("en", "ru")]
    + ["eval/parallel.jsonl", "eval/retrieval.jsonl", "eval/clustering.jsonl", "kb.jsonl"]
)
FIELDS = {
    "pretrain": {"text"},
    "instruct": {"id", "messages", "task_type", "answer"},
    "eval/mc": {"id", "question", "choices", "answer"},
    "eval/facts": {"id", "question", "answer"},
    "eval/copy_sentence": {"id", "text"},
    "eval/copy_paragraph": {"id", "text"},
    "eval/summarise": {"id", "text", "reference"},
    "eval/modifiers": {"id", "prompt", "modifier"},
    "eval/parallel": {"id", "en", "ru"},
    "eval/retrieval": {"id", "query", "passage", "query_lang", "passage_lang"},
    "eval/classification": {"id", "text", "label", "labels"},
    "eval/clustering": {"id", "text", "lang", "cluster"},
    "kb": {"subject", "relation", "object", "split"},
}
REQUIRED_TASKS = {
    "fact_qa", "yes_no", "multiple_choice", "arithmetic", "comparison", "multi_step",
    "format_bullets", "format_numbered", "format_html", "format_uppercase", "translation",
    "copy", "summarisation", "classification", "rewriting",
}  # fmt: skip


def read(folder: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (folder / name).read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world") / "w"
    assert main(["world", "generate", "--seed", "3", "--out", str(out), "--size", "fast"]) == 0
    return out


@pytest.fixture(scope="module")
def kb(world):
    rows = read(world, "kb.jsonl")
    return {(r["subject"], r["relation"]): r["object"] for r in rows}, rows


def people(kb_rows, split: str) -> list[str]:
    return sorted({r["subject"] for r in kb_rows if r["split"] == split})


def test_registered_in_cli():
    assert COMMANDS["world generate"][0] == "langadapt.world.generate:run"


def test_every_file_exists_parses_and_has_fields(world):
    found = sorted(p.relative_to(world).as_posix() for p in world.rglob("*.jsonl"))
    assert found == FILES
    for name in FILES:
        rows = read(world, name)
        assert rows, name
        key = name.split(".")[0] if name.startswith("eval/") else name.split("/")[0].split(".")[0]
        for row in rows:
            assert FIELDS[key] <= set(row), (name, row)
        ids = [r["id"] for r in rows if "id" in r]
        assert len(ids) == len(set(ids)), name
    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["stage"] == "world.generate"
    counts = manifest["results"]["counts"]
    assert counts == {n: len(read(world, n)) for n in FILES}
    assert "pretrain" in manifest["results"]["splits"]
    assert manifest["results"]["people"]["eval"]


def test_instruct_items_well_formed_and_cover_task_types(world):
    for lang in ("en", "ru"):
        for split in ("train", "test"):
            rows = read(world, f"instruct/{split}.{lang}.jsonl")
            assert {r["task_type"] for r in rows} == REQUIRED_TASKS
            for r in rows:
                assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
                assert all(m["content"].strip() for m in r["messages"])
                assert r["answer"]


def test_modifier_and_retrieval_and_label_values(world):
    kinds = {"length", "list_n", "language", "markdown", "html", "uppercase", "numbered"}
    for lang in ("en", "ru"):
        assert {r["modifier"]["type"] for r in read(world, f"eval/modifiers.{lang}.jsonl")} == kinds
        for r in read(world, f"eval/classification.{lang}.jsonl"):
            assert r["label"] in r["labels"]
    pairs = {(r["query_lang"], r["passage_lang"]) for r in read(world, "eval/retrieval.jsonl")}
    assert pairs == {("en", "en"), ("en", "ru"), ("ru", "en"), ("ru", "ru")}
    clusters = {r["cluster"] for r in read(world, "eval/clustering.jsonl")}
    assert clusters == set(L.TOPICS)


def test_mc_answers_match_the_knowledge_base(world, kb):
    facts, rows = kb
    eval_people = set(people(rows, "eval"))
    for lang in ("en", "ru"):
        for r in read(world, f"eval/mc.{lang}.jsonl"):
            assert len(r["choices"]) == 4 and len(set(r["choices"])) == 4
            assert r["answer"] in range(4)
            assert r["subject"] in eval_people
            obj = facts[(r["subject"], r["relation"])]
            assert r["object"] == obj
            assert r["choices"][r["answer"]] == surface(
                facts, r["subject"], r["relation"], obj, lang
            )


def test_mc_cloze_sentences_state_each_option_and_the_gold_one_is_the_facts_answer(world):
    for lang in ("en", "ru"):
        facts = {r["question"]: r["answers"] for r in read(world, f"eval/facts.{lang}.jsonl")}
        for r in read(world, f"eval/mc.{lang}.jsonl"):
            said = r["choice_sentences"]
            assert len(set(said)) == 4
            # the gold option said as the facts task's pronoun sentence, word for word
            assert said[r["answer"]] == facts[r["question"]][1]
            for choice, sentence in zip(r["choices"], said):  # each option in its own sentence
                assert choice.split()[-1].casefold() in sentence.casefold()


def test_fact_answers_derivable_from_the_kb_and_learnable_from_pretraining(world, kb):
    facts, rows = kb
    for lang in ("en", "ru"):
        pretrain = [r["text"] for r in read(world, f"pretrain/{lang}.jsonl")]
        paragraphs = {r["text"] for r in read(world, f"eval/copy_paragraph.{lang}.jsonl")}
        assert paragraphs <= set(pretrain)  # every eval person's full description is pretrained
        for r in read(world, f"eval/facts.{lang}.jsonl"):
            obj = facts[(r["subject"], r["relation"])]
            assert r["answer"] == surface(facts, r["subject"], r["relation"], obj, lang)
            name = r["subject"] if lang == "en" else ru_name(r["subject"], "nom")
            mine = [p for p in paragraphs if name in p]
            assert len(mine) == 1 and r["answer"] in mine[0], r
            # the exact answers: the short one, then the pronoun and the named sentence, each of
            # them a sentence of the person's full description with the short answer in it
            short, pron, named = r["answers"]
            assert short == r["answer"] and pron != named
            first = r["subject"].split()[0] if lang == "en" else name.split()[0][:3]
            assert first in named and first not in pron, r
            for sentence in (pron, named):
                assert sentence.endswith(".") and r["answer"] in sentence, r


def test_instruct_answers_match_the_knowledge_base(world, kb):
    facts, rows = kb
    owners = sorted({r["subject"] for r in rows if r["relation"] == "pet_name"})
    pets = [(facts[(o, "pet_kind")], facts[(o, "pet_name")]) for o in owners]
    checked = 0
    for lang in ("en", "ru"):
        yes, no = ("yes", "no") if lang == "en" else ("да", "нет")
        name = (lambda en: en) if lang == "en" else ru_name
        for split in ("train", "test"):
            for r in read(world, f"instruct/{split}.{lang}.jsonl"):
                t, p = r["task_type"], r["person"]
                if t == "fact_qa":
                    obj = facts[(p, r["relation"])]
                    assert r["answer"] == surface(facts, p, r["relation"], obj, lang)
                elif t == "yes_no":
                    truth = facts[(p, r["relation"])] == r["asked"]
                    assert r["answer"] == (yes if truth else no)
                elif t == "multiple_choice":
                    obj = facts[(p, r["relation"])]
                    line = f"{r['answer']}) {surface(facts, p, r['relation'], obj, lang)}"
                    assert line in r["messages"][0]["content"].splitlines()
                elif t == "comparison" or r.get("relation") == "older_pet_owner":
                    a, b = r["compared"]
                    if t == "multi_step":  # "the owner of the cat Murka" is one person
                        for x in (a, b):
                            pet = (facts[(x, "pet_kind")], facts[(x, "pet_name")])
                            assert pets.count(pet) == 1
                    ages = {x: int(facts[(x, "age")]) for x in (a, b)}
                    pick = max if r["ask"] == "older" else min
                    assert r["answer"] == name(pick(ages, key=ages.get))
                elif r.get("relation") == "country":
                    country = facts[(facts[(p, "lives_in")], "country")]
                    c = next(c for c in L.COUNTRIES if c.en == country)
                    assert r["answer"] == (country if lang == "en" else v_or_vo(c.prep))
                elif t == "arithmetic":
                    nums = [int(x) for x in re.findall(r"\d+", r["messages"][0]["content"])]
                    if r.get("relation") == "age":  # "How old will X be in k years?"
                        assert r["operands"] == [int(facts[(p, "age")]), nums[0]]
                    else:  # "X has a. Y gave b more. Then X gave away c."
                        assert nums == [abs(x) for x in r["operands"] if x]
                    assert int(r["answer"]) == sum(r["operands"])
                else:
                    continue
                checked += 1
    assert checked > 200


def test_held_out_people_never_in_training_instructions(world, kb):
    _, rows = kb
    cases = ("nom", "gen", "dat", "acc", "ins", "prep")

    def names(ps):
        return list(ps) + [ru_name(p, c) for p in ps for c in cases]

    def pattern(ps):
        return re.compile(r"\b(" + "|".join(map(re.escape, names(ps))) + r")\b")

    held, train = people(rows, "eval"), people(rows, "train")
    assert held and train and not set(held) & set(train)
    held_re, train_re = pattern(held), pattern(train)
    for lang in ("en", "ru"):
        train_text = (world / f"instruct/train.{lang}.jsonl").read_text("utf-8")
        assert not held_re.search(train_text)
        test_text = (world / f"instruct/test.{lang}.jsonl").read_text("utf-8")
        assert not train_re.search(test_text)
        pretrain = (world / f"pretrain/{lang}.jsonl").read_text("utf-8")
        wanted = held if lang == "en" else [ru_name(p) for p in held]
        assert all(n in pretrain for n in wanted)
        train_q = {r["messages"][0]["content"] for r in read(world, f"instruct/train.{lang}.jsonl")}
        test_q = {r["messages"][0]["content"] for r in read(world, f"instruct/test.{lang}.jsonl")}
        eval_q = {r["question"] for r in read(world, f"eval/facts.{lang}.jsonl")}
        assert not (test_q | eval_q) & train_q
    for name in FILES:
        if name.startswith("eval/"):
            assert not train_re.search((world / name).read_text("utf-8")), name


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def test_same_seed_byte_identical_other_seed_differs(world, tmp_path):
    again = tmp_path / "again"
    assert main(["world", "generate", "--seed", "3", "--out", str(again), "--size", "fast"]) == 0
    assert _files(again) == _files(world)
    m1 = json.loads((world / "manifest.json").read_text())
    m2 = json.loads((again / "manifest.json").read_text())
    for key in ("started", "finished", "seconds", "command"):
        m1.pop(key), m2.pop(key)
    assert m1 == m2
    other = tmp_path / "other"
    assert main(["world", "generate", "--seed", "4", "--out", str(other), "--size", "fast"]) == 0
    a, b = _files(other), _files(world)
    assert a.keys() == b.keys()
    assert a["pretrain/en.jsonl"] != b["pretrain/en.jsonl"]
    assert a["kb.jsonl"] != b["kb.jsonl"]


def test_independent_of_hash_randomisation(world, tmp_path):
    """A fresh interpreter with another PYTHONHASHSEED writes the same bytes (no set/dict-order
    or hash dependence)."""
    out = tmp_path / "hashed"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "langadapt", "world", "generate", "--seed", "3", "--out", str(out)]
    subprocess.run([*cmd, "--size", "fast"], env=env, check=True, capture_output=True)
    assert _files(out) == _files(world)


def test_negative_seed_is_refused(tmp_path, capsys):
    out = tmp_path / "w"
    assert main(["world", "generate", "--seed", "-1", "--out", str(out)]) == 2
    assert "--seed" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="non-negative"):
        run(seed=-5, out=out)


def test_unknown_size_is_refused(tmp_path, capsys):
    out = tmp_path / "w"
    assert main(["world", "generate", "--out", str(out), "size=huge"]) == 2
    assert "fast, small, medium" in capsys.readouterr().err
    assert not out.exists()


def test_existing_output_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "w"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert main(["world", "generate", "--seed", "0", "--out", str(out), "--size", "fast"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w"]


def test_rerun_with_same_options_reuses_the_folder(world, capsys):
    before = _files(world)
    assert main(["world", "generate", "--seed", "3", "--out", str(world), "--size", "fast"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert _files(world) == before
    # another seed into the same folder is refused, not silently mixed
    assert main(["world", "generate", "--seed", "9", "--out", str(world), "--size", "fast"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert _files(world) == before
