"""The zoo is real: measured held-out fact accuracy of `instruct` and `teacher`.

`fast` (the CI zoo, about a minute): its world has only 2 English documents per person, too
little for a tiny model to memorise held-out facts (measured: `instruct` 5.6% on held-out
English facts, below the 9.7% of always giving the most common answer), so the fast thresholds
are ones a model that learned nothing cannot pass: `instruct` must answer the fact questions of
its TRAINING people (in its instruction data) at twice the rate of the best answer-blind
guesser (the most common training answer of each relation; measured 44% vs 10%), and `teacher`
must beat `instruct` on held-out Russian facts (measured 6.9% vs 0%).

`small` (the demo's zoo, about 6 minutes on two cores, too long for CI: set
LANGADAPT_TEST_SMALL_ZOO=1) is held to what it robustly reaches. Its base reads all of the
world's Russian text with an English-centric tokenizer, so `instruct` (English-only SFT) has
Russian ability for LEP to propagate. Measured over zoo seeds 0, 1, 2 (2026-12-02): held-out
English facts 57-71% (answer-blind guesser 5.6%), Russian 17-22% (guesser 8.3%; teacher
16-21%), docs/zoo.md. So: English at least 50% and three times its guesser; Russian, for
instruct and teacher, one and a half times its guesser.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict

import pytest

from langadapt.cli import main

pytestmark = pytest.mark.slow


def _guess_baseline(world, lang: str) -> float:
    """Exact-match share of always answering the most common train answer of each relation."""
    from langadapt.corpus import read_json_lines
    from langadapt.zoo.data import train_qa

    common: dict[str, Counter] = defaultdict(Counter)
    for row in train_qa(world, lang):
        common[row["relation"]][row["answer"]] += 1
    rows = read_json_lines(world / f"eval/facts.{lang}.jsonl")
    hits = [common[r["relation"]].most_common(1)[0][0] == r["answer"] for r in rows]
    return sum(hits) / len(rows)


def _build(tmp_path, monkeypatch, size: str):
    from langadapt.world import generate

    monkeypatch.setenv("LANGADAPT_CACHE", str(tmp_path / "cache"))
    world = generate.run(seed=0, size=size, out=tmp_path / "world")
    out = tmp_path / "zoo"
    assert main(["zoo", "build", "--world", str(world), "--out", str(out), "--size", size]) == 0
    members = json.loads((out / "manifest.json").read_text())["results"]["members"]
    return world, out, members


def test_fast_zoo_learns(tmp_path, monkeypatch):
    world, out, members = _build(tmp_path, monkeypatch, "fast")
    from langadapt.zoo.data import train_qa
    from langadapt.zoo.score import fact_accuracy

    ins, tea = members["instruct"]["scores"], members["teacher"]["scores"]
    seen = fact_accuracy(out / "instruct", train_qa(world, "en"), "en")["exact"]
    assert seen > 2 * _guess_baseline(world, "en")
    assert tea["facts.ru"]["exact"] > ins["facts.ru"]["exact"]
    for name in ("base", "instruct", "teacher", "encoder"):
        for stage in members[name]["stages"]:
            # causal stages memorise a closed world (measured: 6.2 -> 0.03 nats); MLM on 76
            # documents only learns the frequent words in 100 steps (6.2 -> 4.9 nats)
            drop = 1.0 if name == "encoder" else 0.5 * stage["first_loss"]
            assert stage["final_loss"] < stage["first_loss"] - drop, (name, stage)
        card = (out / name / "README.md").read_text()
        assert f"| final_loss | {members[name]['stages'][-1]['final_loss']} |" in card


@pytest.mark.skipif(
    os.environ.get("LANGADAPT_TEST_SMALL_ZOO") != "1",
    reason="the small zoo trains for several CPU minutes; set LANGADAPT_TEST_SMALL_ZOO=1",
)
def test_small_zoo_meets_the_issue(tmp_path, monkeypatch):
    world, out, members = _build(tmp_path, monkeypatch, "small")
    ins, tea = members["instruct"]["scores"], members["teacher"]["scores"]
    assert ins["facts.en"]["exact"] >= max(0.50, 3 * _guess_baseline(world, "en"))
    assert ins["facts.ru"]["exact"] > 1.5 * _guess_baseline(world, "ru")
    assert tea["facts.ru"]["exact"] > 1.5 * _guess_baseline(world, "ru")
