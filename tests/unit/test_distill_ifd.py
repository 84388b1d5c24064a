"""IFD in `distill difficulty --score ifd`: the student's mean answer-token losses equal the
model's own loss on the same labels, batching does not change them, and the stage splits hard
from easy at the median (or a given threshold) with no judge."""

from __future__ import annotations

import json

import pytest

from langadapt.corpus import read_json_lines, write_json_lines
from langadapt.distill import difficulty, ifd
from langadapt.errors import ConfigError, InputError

ROWS = [
    {"id": str(i), "prompt": p, "teacher": a}
    for i, (p, a) in enumerate(
        [
            ("Name a colour.", "Blue."),
            ("What is 2 plus 2?", "Four, because two and two make four."),
            ("Say hello.", "Hello there, friend."),
            ("Write one word.", "Word"),
            ("Count to three.", "One, two, three."),
        ]
    )
]


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    from langadapt.tiny import tiny_model_folder

    return tiny_model_folder(tmp_path_factory.mktemp("stu") / "m", arch="llama", seed=3)


def test_losses_are_the_models_own_loss_and_batch_free(student):
    import torch

    from langadapt.engine.sft import encode

    lm, tok = ifd.load_student(str(student))
    pairs = [(r["prompt"], r["teacher"]) for r in ROWS]
    one = ifd.mean_losses(lm, tok, pairs, max_length=512, batch_size=1)
    many = ifd.mean_losses(lm, tok, pairs, max_length=512, batch_size=4)
    for (g1, a1), (g4, a4) in zip(one, many):
        assert g1 == pytest.approx(g4, rel=1e-4) and a1 == pytest.approx(a4, rel=1e-4)
    for (p, a), (given, alone) in zip(pairs, one):
        for user, got in ((p, given), ("", alone)):
            ex = encode(tok, [{"role": "user", "content": user},
                              {"role": "assistant", "content": a}], 512)  # fmt: skip
            with torch.no_grad():
                ref = lm(input_ids=torch.tensor([ex["input_ids"]]),
                         labels=torch.tensor([ex["labels"]])).loss.item()  # fmt: skip
            assert got == pytest.approx(ref, rel=1e-4)
    assert ifd.score(2.0, 4.0) == 0.5 and ifd.score(1.0, 0.0) is None and ifd.score(None, 1) is None


def test_stage_ifd_median_split_and_threshold(student, tmp_path):
    src = tmp_path / "seed.jsonl"
    write_json_lines(src, ROWS)
    d = difficulty.run(data=src, out=tmp_path / "dif", student=str(student), score="ifd",
                       progress=False)  # fmt: skip
    rows = read_json_lines(d / "difficulty.jsonl")
    summary = json.loads((d / "summary.json").read_text())
    vals = sorted(r["ifd"] for r in rows)
    assert summary["threshold"] == pytest.approx(vals[2]) and summary["threshold_from"] == "median"
    assert summary["hard"] == 2 and summary["easy"] == 3  # strictly above the median of 5
    assert all(r["hard"] == (r["ifd"] > vals[2]) for r in rows)
    assert all(r["ifd"] == pytest.approx(r["loss_given"] / r["loss_alone"]) for r in rows)
    assert len(read_json_lines(d / "hard.jsonl")) == 2
    d2 = difficulty.run(data=src, out=tmp_path / "dif2", student=str(student), score="ifd",
                        ifd_threshold=0.0, progress=False)  # fmt: skip
    assert json.loads((d2 / "summary.json").read_text())["hard"] == 5


def test_ifd_bad_inputs(student, tmp_path):
    src = tmp_path / "seed.jsonl"
    write_json_lines(src, ROWS)
    with pytest.raises(InputError, match="token losses"):
        difficulty.run(data=src, out=tmp_path / "x", student="http://127.0.0.1:9/v1",
                       score="ifd", progress=False)  # fmt: skip
    with pytest.raises(ConfigError, match="--judge-model"):
        difficulty.run(data=src, out=tmp_path / "y", student=str(student), progress=False)
