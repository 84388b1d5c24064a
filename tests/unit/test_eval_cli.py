"""`langadapt eval` through the CLI: shipped task files, bad input, resume, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from langadapt.cli import main
from langadapt.evaluate import runner
from langadapt.evaluate.taskfile import load_task, shipped_files
from langadapt.llm.local import LocalBackend
from langadapt.tiny import builtin_corpus, tiny_model_folder

LETTERS = ["Answer: A", "Answer: B", "Answer: C", "Answer: D"] * 40


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    out = tmp_path_factory.mktemp("evalcli") / "m"
    return tiny_model_folder(
        out, arch="llama", family="byte-level-bpe", texts=builtin_corpus() + LETTERS
    )


def _dump(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def world(tmp_path) -> Path:
    """A world folder in the layout of the world generator's eval/ files (English half)."""
    text = builtin_corpus()
    root = tmp_path / "world"
    _dump(
        root / "eval/mc.en.jsonl",
        [
            {
                "id": f"mc{i}",
                "question": text[i],
                "choices": ["cat", "dog", "sun", "river"],
                "choice_sentences": [f"It is a {c}." for c in ("cat", "dog", "sun", "river")],
                "answer": i % 4,
            }
            for i in range(7)
        ],
    )
    _dump(
        root / "eval/facts.en.jsonl",
        [
            {"id": f"f{i}", "question": text[i], "answer": "the sun", "answers": ["the sun"]}
            for i in range(5)
        ],
    )
    _dump(
        root / "eval/copy_sentence.en.jsonl", [{"id": f"s{i}", "text": text[i]} for i in range(5)]
    )
    return root


def _task(tmp_path: Path, **overrides) -> Path:
    body = {
        "name": "mine",
        "group": "custom",
        "dataset": {"path": "data.jsonl"},
        "template": {"user": "Q: {question}", "assistant": "Answer:"},
        "method": "next-token-choice",
        "options": {"choices": ["A", "B"], "answer_field": "answer"},
        "metrics": ["accuracy"],
    }
    body.update(overrides)
    _dump(tmp_path / "data.jsonl", [{"question": "x", "answer": 0}, {"question": "y", "answer": 1}])
    path = tmp_path / "task.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True), "utf-8")
    return path


def _fails(capsys, args: list[str], out: Path, *fragments: str) -> None:
    rc = main(["eval", *args, "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert not out.exists()
    for f in fragments:
        assert f in err, err


def test_every_shipped_task_file_loads():
    files = shipped_files()
    assert len(files) == 17 + 14  # Darumeru, world (mc: cloze and lettered)
    groups = {}
    for f in files:
        assert f.read_text("utf-8").startswith("# ") and "Run: langadapt eval" in f.read_text(
            "utf-8"
        )
        t = load_task(f)
        groups.setdefault(t.group, []).append(t.name)
    assert sum(len(v) for k, v in groups.items() if k.startswith("darumeru-")) == 17
    assert len(groups["world-en"]) == len(groups["world-ru"]) == 7


def test_unknown_metric_lists_valid_ones(model, tmp_path, capsys):
    task = _task(tmp_path, metrics=["acc"])
    _fails(
        capsys,
        ["--model", str(model), "--tasks", str(task)],
        tmp_path / "o",
        "unknown metric method 'acc'",
        "accuracy, confident_accuracy",
    )


def test_unknown_method_lists_valid_ones(model, tmp_path, capsys):
    task = _task(tmp_path, method="loglik")
    _fails(
        capsys,
        ["--model", str(model), "--tasks", str(task)],
        tmp_path / "o",
        "'loglik'",
        "next-token-choice",
    )


def test_unknown_key_in_task_file(model, tmp_path, capsys):
    task = _task(tmp_path, shots=3)
    _fails(
        capsys,
        ["--model", str(model), "--tasks", str(task)],
        tmp_path / "o",
        "unknown key(s) shots",
        "valid keys",
    )
    task = _task(tmp_path, options={"choices": ["A", "B"], "stop": ["\n"]})
    _fails(
        capsys, ["--model", str(model), "--tasks", str(task)], tmp_path / "o", "unknown key(s) stop"
    )


def test_missing_template_field_names_field_and_line(model, tmp_path, capsys):
    task = _task(tmp_path)
    _dump(tmp_path / "data.jsonl", [{"question": "x", "answer": 0}, {"query": "y", "answer": 1}])
    _fails(
        capsys,
        ["--model", str(model), "--tasks", str(task)],
        tmp_path / "o",
        "data.jsonl line 2",
        "no field 'question'",
    )


def test_duplicate_ids_are_refused(model, tmp_path, capsys):
    task = _task(tmp_path, dataset={"path": "data.jsonl", "id_field": "question"})
    _dump(tmp_path / "data.jsonl", [{"question": "x", "answer": 0}, {"question": "x", "answer": 1}])
    _fails(
        capsys,
        ["--model", str(model), "--tasks", str(task)],
        tmp_path / "o",
        "line 2",
        "'x' repeats",
    )


def test_choice_that_is_not_one_next_token(model, tmp_path, capsys):
    task = _task(
        tmp_path, options={"choices": ["Copenhagen", "Reykjavik"], "answer_field": "answer"}
    )
    _fails(
        capsys,
        ["--model", str(model), "--tasks", str(task)],
        tmp_path / "o",
        "'Copenhagen'",
        "cannot be scored as one next token",
    )
    assert not (tmp_path / ".o.partial" / "items").exists()  # checked before any batch ran


def test_unknown_task_or_group_lists_available(model, tmp_path, capsys):
    _fails(
        capsys,
        ["--model", str(model), "--tasks", "wrold-en"],
        tmp_path / "o",
        "unknown task or group 'wrold-en'",
        "world_mc.en",
        "groups: darumeru-copy",
    )


def test_saved_dataset_folder_needs_the_extra(model, tmp_path, capsys):
    try:
        import datasets  # noqa: F401

        pytest.skip("datasets is installed here")
    except ImportError:
        pass
    (tmp_path / "saved").mkdir()
    task = _task(tmp_path, dataset={"path": "saved"})
    _fails(capsys, ["--model", str(model), "--tasks", str(task)], tmp_path / "o", "langadapt[hf]")


def test_resume_after_a_crash_equals_an_uninterrupted_run(model, world, tmp_path, monkeypatch):
    tasks = ["world_mc.en", "world_facts.en", "world_copy_sentence.en"]
    kw = dict(model=[model], tasks=tasks, data_dir=world, progress=False)
    full = runner.run(out=tmp_path / "full", batch_size=4, **kw)

    calls = {"generate": 0, "items": 0, "crash": True}
    real_generate = LocalBackend.generate

    def flaky(self, prompts, **k):
        calls["generate"] += 1
        calls["items"] += len(prompts)
        if calls["crash"] and calls["generate"] == 2:
            raise RuntimeError("simulated crash in the middle of world_facts.en")
        return real_generate(self, prompts, **k)

    monkeypatch.setattr(LocalBackend, "generate", flaky)
    out = tmp_path / "resumed"
    with pytest.raises(RuntimeError):
        runner.run(out=out, batch_size=2, **kw)
    assert not out.exists()
    partial = tmp_path / ".resumed.partial" / "items" / "m"
    assert len((partial / "world_mc.en.jsonl").read_text().splitlines()) == 7
    assert len((partial / "world_facts.en.jsonl").read_text().splitlines()) == 2  # 1st batch only
    with open(partial / "world_facts.en.jsonl", "a") as f:
        f.write('{"id": "f2", "pred"')  # a line torn by a kill
    calls.update(generate=0, items=0, crash=False)
    runner.run(out=out, batch_size=2, **kw)
    assert calls["items"] == 3 + 5  # the 3 unfinished facts and all copy items, nothing else
    a = json.loads((full / "results.json").read_text())["scores"]["m"]
    b = json.loads((out / "results.json").read_text())["scores"]["m"]
    for name, scores in a["tasks"].items():
        assert b["tasks"][name] == pytest.approx(scores, abs=1e-9)
    assert b["micro_avg"] == pytest.approx(a["micro_avg"])
    rows = (out / "items/m/world_facts.en.jsonl").read_text().splitlines()
    assert sorted(json.loads(r)["id"] for r in rows) == [f"f{i}" for i in range(5)]


def test_bits_per_byte_task_and_reports(model, tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("\n".join(builtin_corpus()[:5]) + "\n", "utf-8")
    task = tmp_path / "bpb.yaml"
    task.write_text(
        yaml.safe_dump(
            {
                "name": "bpb_text",
                "group": "lm",
                "dataset": {"path": "text.txt"},
                "template": {},
                "method": "bits-per-byte",
                "metrics": ["bpb", "bpc", "symbols_per_token"],
            }
        )
    )
    odd = tmp_path / "<b>model&"
    import shutil

    shutil.copytree(model, odd)
    out = tmp_path / "o"
    assert (
        main(
            [
                "eval",
                "--model",
                str(model),
                str(odd),
                "--tasks",
                str(task),
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    res = json.loads((out / "results.json").read_text())
    sc = res["scores"]["m"]["tasks"]["bpb_text"]
    assert sc["bpb"] == pytest.approx(sc["bits"] / sc["bytes"]) and sc["bytes"] > sc["chars"] - 1
    assert sc["symbols_per_token"] == pytest.approx(sc["chars"] / sc["tokens"])
    assert res["scores"]["m"]["micro_avg"] is None  # lower-is-better figures stay out
    assert res["scores"]["<b>model&"]["tasks"]["bpb_text"]["bpb"] == pytest.approx(sc["bpb"])
    page = (out / "results.html").read_text()
    assert "&lt;b&gt;model&amp;" in page and "<b>model" not in page
