"""The shipped Darumeru task files, end to end on a fixture in Darumeru's published layout.

The fixture mimics a local download of the Hugging Face datasets RefalMachine/darumeru
(`data/<config>/{test,prompt}.jsonl`, rows with `instruction`, `inputs`, `outputs`, `meta` and
`messages` whose contents hold `{input}` placeholders; MMLU as `mmlu_nlpcoreteam` with
`question_ru`, `choices_ru`, `answer`, `subject` and a `dev` split), dichspace/daru_treeway_eval
(`src_sents`, `summary_sents`, `extractive_summary`) and RussianNLP/rucola (`id`, `sentence`,
`label`), a few rows per config, written by the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langadapt.cli import main
from langadapt.tiny import builtin_corpus, tiny_model_folder

pytestmark = pytest.mark.slow

BOT = {"role": "bot", "content": "Ответ:"}


def _mc_row(i, inputs, outputs, user, **meta):
    return {
        "instruction": user,
        "inputs": inputs,
        "outputs": outputs,
        "meta": {"id": i, **meta},
        "messages": [{"role": "user", "content": user}, dict(BOT)],
    }


def _configs() -> dict[str, list[dict]]:
    text = builtin_corpus()
    rows: dict[str, list[dict]] = {}
    rows["parus"] = [
        _mc_row(
            i,
            {"premise": text[i], "choice1": text[i + 1], "choice2": text[i + 2]},
            "12"[i % 2],
            "{premise}\nЧто было причиной?\n1. {choice1}\n2. {choice2}",
            task="cause",
        )
        for i in range(3)
    ]
    rows["rcb"] = [
        _mc_row(
            i,
            {"premise": text[i], "hypothesis": text[i + 3]},
            "123"[i % 3],
            "Ситуация: {premise}\nГипотеза: {hypothesis}\n1 - следует, 2 - противоречит, 3 - нейтрально.",
        )
        for i in range(3)
    ]
    rows["rwsd"] = [
        _mc_row(
            i,
            {"text": text[i], "span1_text": "кот", "span2_text": "он"},
            ["Да", "Нет"][i % 2],
            "Текст: {text}\nОтносится ли «{span2_text}» к «{span1_text}»?",
        )
        for i in range(3)
    ]
    rows["rutie"] = [
        {
            "inputs": {"question": text[i], "choice1": text[i + 1], "choice2": text[i + 2]},
            "outputs": "12"[i % 2],
            "meta": {"dialog_id": 0, "question_id": i},
            "messages": [{"role": "user", "content": "{context}\n{question}"}, dict(BOT)],
        }
        for i in range(3)
    ]
    abcd = {"option_a": "кот", "option_b": "собака", "option_c": "дом", "option_d": "река"}
    for cfg in ("rummlu", "ruopenbookqa", "ruworldtree"):
        rows[cfg] = [
            _mc_row(
                i,
                {"text": text[i], **abcd, "subject": "biology"},
                "ABCD"[i % 4],
                "{text}\nA. {option_a}\nB. {option_b}\nC. {option_c}\nD. {option_d}",
            )
            for i in range(3)
        ]
    rows["multiq"] = [
        _mc_row(
            i,
            {"question": "Где живёт кот?", "support_text": text[i], "text": text[i + 1]},
            [{"label": "answer", "length": 3, "offset": 0, "segment": "дом"}],
            "Вопрос: {question}\nТекст 1: {support_text}\nТекст 2: {text}",
        )
        for i in range(3)
    ]
    rows["use"] = [
        _mc_row(
            i,
            {
                "task": "Укажите номер.",
                "text": text[i],
                "choices": "1. a\n2. b",
                "additional_text": "",
            },
            "12"[i % 2],
            "{task}\n{text}\n{choices}",
            id_task="1",
            variant=1,
            type="multiple_choice",
        )
        for i in range(3)
    ]
    for lang, src in (("ru", text[25:]), ("en", text[:25])):
        rows[f"cp_sent_{lang}"] = [
            _mc_row(i, {"text": src[i]}, "", "Скопируй текст: {text}") for i in range(3)
        ]
        rows[f"cp_para_{lang}"] = [
            _mc_row(i, {"text": " ".join(src[i : i + 3])}, "", "Скопируй абзац: {text}")
            for i in range(3)
        ]
    return rows


def write_darumeru(root: Path) -> Path:
    """A Darumeru-layout data folder with a few rows per config (see the module docstring)."""

    def dump(path: Path, rows: list[dict]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")

    for cfg, rows in _configs().items():
        dump(root / "darumeru" / "data" / cfg / "test.jsonl", rows)
        dump(root / "darumeru" / "data" / cfg / "prompt.jsonl", rows[::-1])
    text = builtin_corpus()
    mmlu = [
        {
            "question_ru": text[i],
            "choices_ru": ["кот", "собака", "дом", "река"],
            "question_en": text[i],
            "choices_en": ["cat", "dog", "house", "river"],
            "answer": i % 4,
            "subject": "anatomy",
        }
        for i in range(3)
    ]
    dump(root / "darumeru" / "data" / "mmlu_nlpcoreteam" / "test.jsonl", mmlu)
    dump(root / "darumeru" / "data" / "mmlu_nlpcoreteam" / "dev.jsonl", mmlu)
    tw = [
        {
            "src_sents": text[i : i + 4],
            "summary_sents": text[i : i + 1],
            "extractive_summary": [0, 2],
        }
        for i in range(3)
    ]
    dump(root / "daru_treeway_eval" / "test.jsonl", tw)
    dump(root / "daru_treeway_eval" / "prompt.jsonl", tw)
    cola = [
        {
            "id": i,
            "sentence": text[25 + i],
            "label": i % 2,
            "error_type": "0",
            "detailed_source": "x",
        }
        for i in range(4)
    ]
    dump(root / "rucola" / "validation.jsonl", cola)
    dump(root / "rucola" / "train.jsonl", cola)
    return root


ANSWER_LINES = [f"Ответ: {a}" for a in ("0", "1", "2", "3", "A", "B", "C", "D", "Да", "Нет")] * 30


@pytest.fixture(scope="module")
def daru_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("daru") / "model"
    return tiny_model_folder(
        out,
        arch="llama",
        family="byte-level-bpe",
        vocab_size=500,
        texts=builtin_corpus() + ANSWER_LINES,
        max_positions=2048,
    )


@pytest.mark.parametrize("chat,shots", [("auto", 0), ("off", 1)])
def test_darumeru_fixture_end_to_end(daru_model, tmp_path, monkeypatch, chat, shots):
    data = write_darumeru(tmp_path / "daru")
    monkeypatch.setenv("LANGADAPT_DARUMERU", str(data))
    out = tmp_path / "out"
    rc = main(
        [
            "eval",
            "--model",
            str(daru_model),
            "--tasks",
            "darumeru",
            "--out",
            str(out),
            "--limit",
            "2",
            "--chat",
            chat,
            "--shots",
            str(shots),
            "--no-progress",
            "--batch-size",
            "3",
        ]
    )
    assert rc == 0
    res = json.loads((out / "results.json").read_text())
    assert len(res["tasks"]) == 17
    assert {t["group"] for t in res["tasks"].values()} == {
        "darumeru-nlu",
        "darumeru-mmlu",
        "darumeru-qa",
        "darumeru-summarisation",
        "darumeru-copy",
    }
    sc = res["scores"]["model"]
    primaries = [sc["tasks"][n][t["primary"]] for n, t in res["tasks"].items()]
    assert all(0.0 <= v <= 1.0 for v in primaries)
    assert sc["micro_avg"] == pytest.approx(sum(primaries) / 17)
    nlu = [
        sc["tasks"][n][t["primary"]]
        for n, t in res["tasks"].items()
        if t["group"] == "darumeru-nlu"
    ]
    assert sc["groups"]["darumeru-nlu"] == pytest.approx(sum(nlu) / len(nlu))
    # PARus is asked in both option orders: 2 rows -> 4 items, paired
    parus = [json.loads(x) for x in (out / "items/model/parus.jsonl").read_text().splitlines()]
    assert len(parus) == 4 and {r["pair"] for r in parus} == {"0", "1"}
    assert sc["tasks"]["treeway_extractive"]["n"] == 8  # 2 texts x 4 sentences
    assert "Micro-Avg" in (out / "results.md").read_text()


def test_missing_darumeru_folder_names_download(daru_model, tmp_path, capsys):
    empty = tmp_path / "nothing"
    empty.mkdir()
    out = tmp_path / "out"
    rc = main(
        [
            "eval",
            "--model",
            str(daru_model),
            "--tasks",
            "parus",
            "--data-dir",
            str(empty),
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "darumeru/data/parus/test.jsonl" in err and "RefalMachine/darumeru" in err


def write_world(root: Path) -> Path:
    """The world generator's eval/ files in both languages, a few rows each."""
    text = builtin_corpus()

    def dump(name: str, rows: list[dict]) -> None:
        path = root / "eval" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")

    for lang, src in (("en", text[:25]), ("ru", text[25:])):
        dump(
            f"mc.{lang}.jsonl",
            [
                {
                    "id": f"m{i}",
                    "question": src[i],
                    "choices": src[i + 1 : i + 5],
                    "choice_sentences": src[i + 1 : i + 5],
                    "answer": i % 4,
                }
                for i in range(3)
            ],
        )
        dump(
            f"facts.{lang}.jsonl",
            [
                {
                    "id": f"f{i}",
                    "question": src[i],
                    "answer": src[i + 1].split()[0],
                    "answers": [src[i + 1].split()[0], src[i + 1]],
                }
                for i in range(3)
            ],
        )
        dump(f"copy_sentence.{lang}.jsonl", [{"id": f"s{i}", "text": src[i]} for i in range(3)])
        dump(
            f"copy_paragraph.{lang}.jsonl",
            [{"id": f"p{i}", "text": " ".join(src[i : i + 3])} for i in range(3)],
        )
        dump(
            f"summarise.{lang}.jsonl",
            [
                {"id": f"u{i}", "text": " ".join(src[i : i + 3]), "reference": src[i]}
                for i in range(3)
            ],
        )
        dump(
            f"classification.{lang}.jsonl",
            [
                {
                    "id": f"c{i}",
                    "text": src[i],
                    "label": ["people", "places"][i % 2],
                    "labels": ["people", "places"],
                }
                for i in range(3)
            ],
        )
    return root


def test_world_tasks_end_to_end(daru_model, tmp_path):
    world = write_world(tmp_path / "world")
    out = tmp_path / "out"
    rc = main(
        [
            "eval",
            "--model",
            str(daru_model),
            "--tasks",
            "world",
            "--data-dir",
            str(world),
            "--out",
            str(out),
            "--limit",
            "2",
            "--no-progress",
            "--shots",
            "1",
            "--chat",
            "off",
        ]
    )
    assert rc == 0
    res = json.loads((out / "results.json").read_text())
    assert len(res["tasks"]) == 14  # mc as cloze and lettered
    sc = res["scores"]["model"]
    assert set(sc["groups"]) == {"world-en", "world-ru"}
    assert all(sc["tasks"][n]["n"] == 2 for n in res["tasks"])
