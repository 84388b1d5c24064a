"""TAPIR's pure cores by hand: MFD with position-bias averaging, label parsing, resampling with
exact counts, curriculum mixing, dedup, win rates with ties and the length-controlled variant."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from langadapt.distill import balance, curriculum, dedup, mfd, taxonomy, winrate
from langadapt.errors import ConfigError, InputError


# --- MFD ---------------------------------------------------------------------------------------
def test_position_bias_cancels_when_both_orders_are_averaged():
    true_t, true_s, bias = 8.0, 5.0, 1.5  # the judge adds `bias` to whatever it reads first
    ab = (true_t + bias, true_s)  # teacher shown first
    ba = (true_s + bias, true_t)  # student shown first
    v = mfd.combine(ab, ba, delta=1)
    assert (v.teacher, v.student, v.mfd, v.hard) == (8.75, 5.75, 3.0, True)
    assert v.mfd == true_t - true_s  # the bias is gone
    # one order alone would have said 4.5 (too hard) or 1.5


def test_hard_is_strictly_above_delta_and_unreadable_is_none():
    assert mfd.combine((6, 5), (5, 6), delta=1).hard is False  # MFD = 1, not > 1
    assert mfd.combine((7, 5), (5, 6), delta=1).mfd == 1.5
    v = mfd.combine((7, 5), None)
    assert (v.mfd, v.hard) == (None, None)


@pytest.mark.parametrize(
    "text, want",
    [
        ('{"score_1": 8, "score_2": 3}', (8.0, 3.0)),
        ("Reasons...\n[[7, 4.5]]", (7.0, 4.5)),
        ("9 2\nAssistant 1 was more helpful.", (9.0, 2.0)),
        ("Assistant 1: 6/10. Assistant 2: 7/10.", (6.0, 7.0)),
        ("Both are fine.", None),
        ('{"score_1": 11, "score_2": 3}', None),  # off the 1-10 scale
    ],
)
def test_parse_pair(text, want):
    assert mfd.parse_pair(text) == want


def test_ifd():
    assert mfd.ifd(1.5, 2.0) == 0.75
    with pytest.raises(ValueError):
        mfd.ifd(1.0, 0.0)


# --- taxonomy -------------------------------------------------------------------------------
LABELS = taxonomy.load_taxonomy()


def test_default_taxonomy_is_31_labels_plus_others():
    assert len(LABELS) == 32 and LABELS[-1] == "Others" and LABELS[:2] == ["Math", "Reasoning"]


@pytest.mark.parametrize(
    "reply, want",
    [
        ("<answer>Math</answer>", ("Math", "exact")),
        ("<answer> code  debug </answer>", ("Code Debug", "exact")),
        ("I think <answer>It is Code Generation.</answer>", ("Code Generation", "word")),
        ("<answer>Mathematics</answer>", ("Others", "none")),  # not a whole word
        ("<answer>Art</answer> but Music too", ("Art", "exact")),  # only the tag counts
        ("Common-Sense, clearly", ("Common-Sense", "word")),  # no tag: the whole reply
        ("<answer>Physics or Chemistry</answer>", ("Physics", "word")),  # the first named
        ("nonsense tokens", ("Others", "none")),
        ("<answer>Sports</answer>", ("Others", "none")),
    ],
)
def test_parse_label(reply, want):
    assert taxonomy.parse_label(reply, LABELS) == want


def test_empty_taxonomy_is_refused(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("# only a comment\n\nOthers\n")
    with pytest.raises(InputError, match="holds no label"):
        taxonomy.load_taxonomy(f)


# --- balance --------------------------------------------------------------------------------
def test_default_ratios_renormalised():
    r = balance.default_ratios(LABELS)
    raw = 2 / 6 + 2 / 12 + 0.041 + 27 / 60  # 27 labels at 1/60
    assert math.isclose(sum(r.values()), 1.0)
    assert math.isclose(r["Math"], (1 / 6) / raw) and math.isclose(r["Law"], (1 / 60) / raw)


def test_largest_remainder_quotas_sum_to_n():
    # 10 * (0.5, 0.3, 0.2) / 0.7 ... by hand: shares 1/3 each of 10 = 3.33 -> 4, 3, 3
    assert balance.quotas({"a": 1, "b": 1, "c": 1}, 10) == {"a": 4, "b": 3, "c": 3}
    # 7 rows at 0.45/0.35/0.2: 3.15, 2.45, 1.4 -> floors 3, 2, 1, the leftover 1 to b (0.45)
    assert balance.quotas({"a": 0.45, "b": 0.35, "c": 0.2}, 7) == {"a": 3, "b": 3, "c": 1}
    q = balance.quotas(balance.default_ratios(LABELS), 1000)
    assert sum(q.values()) == 1000


@pytest.mark.parametrize("bad", [{"a": -1, "b": 2}, {"a": 0, "b": 0}, {"a": float("nan")}])
def test_bad_ratios_are_refused(bad):
    with pytest.raises(ConfigError):
        balance.quotas(bad, 10)


def test_resample_exact_counts_and_seeded():
    rows = [{"id": f"m{i}", "label": "Math"} for i in range(2)]
    rows += [{"id": f"w{i}", "label": "Writing"} for i in range(20)]
    ratios = {"Math": 0.5, "Writing": 0.5, "Law": 0.2}
    out, counts, missing = balance.resample(rows, ratios, 11, seed=3)
    # Law has no row: its share goes to the others; 11 * 0.5 = 5.5 each -> 6 (first), 5
    assert counts == {"Math": 6, "Writing": 5} and missing == ["Law"]
    got = Counter(r["label"] for r in out)
    assert got == {"Math": 6, "Writing": 5}
    math_ids = Counter(r["id"] for r in out if r["label"] == "Math")
    assert math_ids == {"m0": 3, "m1": 3}  # 6 = 3 full repetitions of 2 rows
    w = [r["id"] for r in out if r["label"] == "Writing"]
    assert len(set(w)) == 5  # downsampled without replacement
    again, _, _ = balance.resample(rows, ratios, 11, seed=3)
    assert again == out
    other, _, _ = balance.resample(rows, ratios, 11, seed=4)
    assert [r["id"] for r in other] != [r["id"] for r in out]


def test_upsample_is_repetition_plus_a_sample_of_the_rest():
    rows = [{"id": str(i), "label": "a"} for i in range(3)]
    out, _, _ = balance.resample(rows, {"a": 1}, 8, seed=0)
    c = Counter(r["id"] for r in out)
    assert sorted(c.values()) == [2, 3, 3]  # 8 = 2 * 3 + 2 distinct extra


def test_table():
    rows = balance.table(["a", "a", "b"], ["a", "b"], ["a", "b", "c"])
    assert rows[0] == ["a", 2, 2 / 3, 1, 0.5] and rows[2] == ["c", 0, 0.0, 0, 0.0]
    assert rows[-1] == ["total", 3, 1.0, 2, 1.0]


# --- curriculum -----------------------------------------------------------------------------
def test_curriculum_mixing_exact_counts():
    hard = [{"id": f"h{i}", "hard": True} for i in range(4)]
    easy = [{"id": f"e{i}", "hard": False} for i in range(50)]
    rounds = curriculum.plan(hard, easy, 10, seed=0)
    assert [sum(r["hard"] for r in x) for x in rounds] == [3, 5, 7]
    assert all(len(x) == 10 for x in rounds)
    assert Counter(r["id"] for r in rounds[2] if r["hard"]).most_common(1)[0][1] == 2  # 7 of 4
    assert curriculum.plan(hard, easy, 10, seed=0) == rounds
    assert curriculum.hard_shares(5) == pytest.approx([0.3, 0.4, 0.5, 0.6, 0.7])
    with pytest.raises(ConfigError):
        curriculum.hard_shares(2, [0.3, 1.2])
    with pytest.raises(ConfigError):
        curriculum.mix([], easy, 10, 0.5)


# --- dedup ----------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["fuzz", "minhash"])
def test_dedup_exact_and_near(method):
    seeds = ["Write a short poem about the sea and the sky at night for a child."]
    cands = [
        "write a short poem about the sea and the sky at night, for a child!",  # exact (norm)
        "Explain how a bicycle gear works to a curious ten year old student.",
        "Explain how a bicycle gear works to a curious ten year old student please.",  # near
        "",
        "List three prime numbers larger than one hundred and explain why they are prime.",
    ]
    keep, dropped = dedup.dedup(cands, seeds, method=method)
    assert keep == [1, 4]
    assert dropped == {"exact": 1, "near": 1, "empty": 1}


# --- win rate -------------------------------------------------------------------------------
def test_win_rate_with_ties_and_both_orders():
    pairs = [("model", "model"), ("model", "tie"), ("tie", "tie"), ("model", "reference")]
    pairs += [("reference", "reference"), (None, "model")]
    prefs = [winrate.preference(a, b) for a, b in pairs]
    assert prefs == [1.0, 0.75, 0.5, 0.5, 0.0, None]
    w = winrate.win_rate(prefs)
    assert w["win_rate"] == pytest.approx(2.75 / 5)
    assert (w["wins"], w["ties"], w["losses"], w["unreadable"], w["n"]) == (2, 2, 1, 1, 5)
    assert w["low"] < w["win_rate"] < w["high"]


def test_length_controlled_equals_raw_when_lengths_do_not_vary():
    prefs = [1, 1, 0, 0.5, 1]
    lc = winrate.length_controlled(prefs, [10] * 5, [10] * 5)
    # the model reduces to logit p = a: a = logit(mean) = logit(0.7)
    assert lc["lc_win_rate"] == pytest.approx(0.7, abs=1e-5) and lc["b"] == pytest.approx(0)


def test_length_controlled_removes_a_length_advantage():
    # the model wins exactly when its answer is longer: raw 0.5 + ties... LC near 0.5
    prefs = [1, 1, 1, 0.5, 0, 0, 1, 0]
    mlen = [300, 280, 260, 100, 90, 80, 310, 100]
    rlen = [100] * 8
    lc = winrate.length_controlled(prefs, mlen, rlen)
    assert lc["win_rate"] == pytest.approx(4.5 / 8)
    assert lc["b"] > 0 and lc["lc_win_rate"] < lc["win_rate"]
    # the fit is a stationary point of the penalised likelihood (the score equations hold)
    import numpy as np

    d = np.array(mlen) - np.array(rlen)
    x = np.tanh(d / d.std())
    p = 1 / (1 + np.exp(-(lc["a"] + lc["b"] * x)))
    y = np.array(prefs, dtype=float)
    assert abs((y - p).sum() - 2e-6 * lc["a"]) < 1e-6
    assert abs(((y - p) * x).sum() - 2e-6 * lc["b"]) < 1e-6
