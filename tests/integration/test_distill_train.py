"""`distill warmup` and `distill curriculum` on a tiny student: the warm-up trains on the
teacher's answers (a seeded sample), each curriculum round continues from the last with its
exact hard count and its data in the given order, IFD re-scoring re-splits the pool, and a
finished round is not trained again when the stage resumes."""

from __future__ import annotations

import json

import pytest

from langadapt.corpus import read_json_lines, write_json_lines
from langadapt.distill import rounds, warmup
from langadapt.engine.schedule import Schedule
from langadapt.errors import ConfigError

SCHED = Schedule(lr=1e-3, batch_size=2, epochs=1, warmup_steps=0, seed=0)


def rows(prefix: str, k: int, hard: bool) -> list[dict]:
    return [{"id": f"{prefix}{i}", "prompt": f"Question {prefix}{i}: what is {i} plus {i}?",
             "teacher": f"{2 * i}, since {i} and {i} make {2 * i}.", "hard": hard}
            for i in range(k)]  # fmt: skip


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    from langadapt.tiny import tiny_model_folder

    return tiny_model_folder(tmp_path_factory.mktemp("stu") / "m", arch="llama", seed=1)


def weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_warmup_sample(student, tmp_path):
    data = tmp_path / "seed.jsonl"
    write_json_lines(data, rows("s", 8, False))
    out = warmup.run(model=student, data=data, out=tmp_path / "w", sample=4, schedule=SCHED)
    man = json.loads((out / "manifest.json").read_text())
    assert man["results"]["conversations"] == 4 and man["results"]["steps"] == 2
    before, after = weights(student), weights(out)
    assert any(not (before[k] == after[k]).all() for k in before)
    with pytest.raises(ConfigError, match="--sample"):
        warmup.run(model=student, data=data, out=tmp_path / "w2", sample=9, schedule=SCHED)


def test_curriculum_rounds_continue_and_resume(student, tmp_path, monkeypatch):
    hard, easy = tmp_path / "hard.jsonl", tmp_path / "easy.jsonl"
    write_json_lines(hard, rows("h", 5, True))
    write_json_lines(easy, rows("e", 5, False))
    calls = []
    real = rounds.tune

    def dies_in_round_3(*a, **k):
        if k["title"].endswith("3"):
            raise KeyboardInterrupt  # a stop in the last round, after two rounds finished
        real(*a, **k)

    monkeypatch.setattr(rounds, "tune", dies_in_round_3)
    kw = dict(model=student, hard=hard, easy=easy, out=tmp_path / "c", n=10, schedule=SCHED)
    with pytest.raises(KeyboardInterrupt):
        rounds.run(**kw)
    monkeypatch.setattr(rounds, "tune", lambda *a, **k: calls.append(k["title"]) or real(*a, **k))
    out = rounds.run(**kw)
    assert calls == ["distill curriculum round 3"]  # rounds 1 and 2 are not trained again
    info = json.loads((out / "rounds.json").read_text())
    assert [r["hard_rows"] for r in info["rounds"]] == [3, 5, 7]
    assert info["student"] == "round-3"
    for r in (1, 2, 3):
        man = json.loads((out / f"round-{r}" / "manifest.json").read_text())
        src = next(i["path"] for i in man["inputs"] if i["name"] == "model")
        assert src.endswith(f"round-{r - 1}") if r > 1 else src == str(student)
        assert man["options"]["share"] == [0.3, 0.5, 0.7][r - 1]
    w = [weights(out / f"round-{r}") for r in (1, 2, 3)]
    assert all(any(not (a[k] == b[k]).all() for k in a) for a, b in zip(w, w[1:]))
    # each round's order is its mix's (seeded), which the engine keeps (order="given")
    from langadapt.distill import curriculum

    plan = curriculum.mix(read_json_lines(hard), read_json_lines(easy), 10, 0.5, seed=1)
    assert [r["id"] for r in read_json_lines(out / "round-2.jsonl")] == [r["id"] for r in plan]


def test_curriculum_rescore_ifd(student, tmp_path):
    hard, easy = tmp_path / "hard.jsonl", tmp_path / "easy.jsonl"
    write_json_lines(hard, rows("h", 4, True))
    write_json_lines(easy, rows("e", 4, False))
    out = rounds.run(model=student, hard=hard, easy=easy, out=tmp_path / "c", rounds=2,
                     rescore="ifd", schedule=SCHED)  # fmt: skip
    info = json.loads((out / "rounds.json").read_text())["rounds"]
    assert "ifd_threshold" not in info[0] and info[1]["ifd_threshold"] > 0
    assert info[1]["hard_pool"] + info[1]["easy_pool"] == 8
    assert info[1]["hard_pool"] == 4  # strictly above the median of 8 distinct scores
    with pytest.raises(ConfigError, match="hard shares"):
        rounds.run(model=student, hard=hard, easy=easy, out=tmp_path / "x", rounds=2,
                   shares=[0.5], schedule=SCHED)  # fmt: skip
