"""Evaluation statistics (stats.py, evaluate/taskstats.py): hand-computed intervals and tests."""

from __future__ import annotations

import math

import numpy as np
import pytest

from langadapt import stats
from langadapt.errors import InputError, LangAdaptError
from langadapt.evaluate import taskstats


def test_wilson_and_harness_stderr_seven_of_ten_by_hand():
    # 7 of 10 correct, z = 1.959964, z² = 3.841459:
    #   den = 1 + z²/n = 1.3841459; center = (0.7 + z²/20) / den = 0.8920729 / 1.3841459 = 0.644493
    #   half = z * sqrt(0.7 * 0.3 / 10 + z² / 400) / den = 1.959964 * sqrt(0.0306036) / den
    #        = 0.342874 / 1.3841459 = 0.247715  ->  [0.396778, 0.892208]
    # harness stderr: sample stdev (ddof 1) / sqrt(n) = sqrt(0.21 * 10 / 9) / sqrt(10) = 0.152753
    est = stats.mean_estimate([1] * 7 + [0] * 3)
    assert est["method"] == "wilson" and est["value"] == pytest.approx(0.7)
    assert est["low"] == pytest.approx(0.396778, abs=1e-6)
    assert est["high"] == pytest.approx(0.892208, abs=1e-6)
    assert est["stderr"] == pytest.approx(0.152753, abs=1e-6)
    assert stats.wilson(0, 5) == pytest.approx((0.0, 0.434482), abs=1e-6)  # z²/(n+z²)


def test_normal_interval_of_a_non_binary_mean_by_hand():
    # values 0.5, 1, 0, 0.5: mean 0.5; squared deviations 0, .25, .25, 0 -> var = 0.5/3
    # se = sqrt(1/6) / 2 = 0.204124; half = 1.959964 * 0.204124 = 0.400076
    est = stats.mean_estimate([0.5, 1.0, 0.0, 0.5])
    assert est["method"] == "normal" and est["stderr"] == pytest.approx(0.204124, abs=1e-6)
    assert (est["low"], est["high"]) == pytest.approx((0.099924, 0.900076), abs=1e-6)
    one = stats.mean_estimate([0.5])  # one item: no spread, no interval
    assert one["stderr"] is None and one["low"] is None


def test_t_quantiles_against_tables():
    table = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 9: 2.2622, 30: 2.0423, 120: 1.9799}
    for df, t in table.items():
        assert stats.t95(df) == pytest.approx(t, abs=1e-4), df


def test_paired_difference_by_hand():
    # d = 1,0,0,1,0: mean 0.4, sd = sqrt((2 * 0.36 + 3 * 0.16) / 4) = sqrt(0.3) = 0.547723,
    # se = 0.244949, t(4) = 2.776445 -> 0.4 -+ 0.680081: [-0.280081, 1.080081], includes 0
    d = stats.paired_t([1, 1, 0, 1, 0], [0, 1, 0, 0, 0])
    assert d["diff"] == pytest.approx(0.4) and d["stderr"] == pytest.approx(0.244949, abs=1e-6)
    assert (d["low"], d["high"]) == pytest.approx((-0.280081, 1.080081), abs=1e-5)
    assert d["significant"] is False and d["method"] == "paired-t"
    # d = nine 1s and one 0: mean 0.9, sd = sqrt((9 * 0.01 + 0.81) / 9) = sqrt(0.1), se = 0.1,
    # t(9) = 2.262157 -> [0.673784, 1.126216], excludes 0
    d = stats.paired_t([1] * 9 + [0], [0] * 10)
    assert (d["low"], d["high"]) == pytest.approx((0.673784, 1.126216), abs=1e-4)
    assert d["significant"] is True


def test_seeded_bootstrap_is_reproducible():
    values = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 1], dtype=float)
    a = stats.bootstrap(lambda idx: values[idx].mean(), len(values))
    b = stats.bootstrap(lambda idx: values[idx].mean(), len(values))
    c = stats.bootstrap(lambda idx: values[idx].mean(), len(values), seed=1)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    est = stats.bootstrap_estimate(lambda idx: values[idx].mean(), 10, 0.7, iters=4000)
    # the bootstrap stderr of a mean approaches the population-variance one, sqrt(p(1-p)/n)
    assert est["stderr"] == pytest.approx(math.sqrt(0.21 / 10), rel=0.05)
    assert est["method"] == "bootstrap" and est["low"] < 0.7 < est["high"]


def test_paired_bootstrap_of_a_corpus_metric():
    # d = +1 on 18 items, -1 on 2: mean 0.8; population sd = 0.6 -> bootstrap se ~ 0.6/sqrt(20)
    a = np.array([1.0] * 18 + [0.0] * 2)
    b = np.array([0.0] * 18 + [1.0] * 2)
    d = stats.paired_bootstrap(lambda idx: a[idx].mean() - b[idx].mean(), 20, 0.8, iters=4000)
    assert d["method"] == "paired-bootstrap" and d["significant"] is True and d["low"] > 0
    assert d["diff"] == 0.8 and d["stderr"] == pytest.approx(0.6 / math.sqrt(20), rel=0.05)


def test_mean_of_estimates_by_hand():
    # two tasks, se 0.03 and 0.04: se of their mean = sqrt(0.0009 + 0.0016) / 2 = 0.025
    est = stats.mean_of_estimates(
        [{"value": 0.6, "stderr": 0.03, "n": 10}, {"value": 0.4, "stderr": 0.04, "n": 20}]
    )
    assert est["value"] == pytest.approx(0.5) and est["stderr"] == pytest.approx(0.025)
    assert est["low"] == pytest.approx(0.5 - 1.959964 * 0.025, abs=1e-6) and est["n"] == 30


def test_chance_and_majority_baselines_by_hand():
    # chance = (1/4 + 1/4 + 1/2 + 1/2) / 4 = 0.375; majority: A is gold 3 times in 4
    b = stats.baselines([4, 4, 2, 2], ["A", "A", "B", "A"])
    assert b == {"chance": 0.375, "majority": 0.75, "majority_answer": "A"}


def test_constant_answer_flag():
    assert stats.answer_distribution(["A"] * 9 + ["B"])["constant"] is True  # 90% > 80%
    d = stats.answer_distribution(["A"] * 8 + ["B", "C"])  # exactly 80% is not "over"
    assert d["constant"] is False and d["top"] == "A" and d["top_share"] == 0.8
    rows = [{"id": str(i), "choices": ["x", "y"], "gold": i % 2, "pred": 0} for i in range(10)]
    p = taskstats.predictions(rows)
    assert p["constant"] and p["answers"]["counts"] == {"x": 10}


@pytest.mark.parametrize(
    "call",
    [
        lambda: stats.mean_estimate([]),
        lambda: stats.mean_estimate([0.1, float("nan")]),
        lambda: stats.wilson(11, 10),
        lambda: stats.t95(0),
        lambda: stats.paired_t([1, 0], [1]),
        lambda: stats.bootstrap(lambda idx: 0.0, 0),
        lambda: stats.mean_of_estimates([]),
        lambda: stats.baselines([4], ["A", "B"]),
        lambda: stats.answer_distribution([]),
    ],
)
def test_bad_input_is_an_input_error(call):
    with pytest.raises(InputError):
        call()
    assert issubclass(InputError, LangAdaptError)


def test_units_keep_correlated_rows_together():
    rows = [
        {"id": "0", "pair": "0", "gold": 0, "pred": 0},
        {"id": "0#swapped", "pair": "0", "gold": 1, "pred": 0},
        {"id": "1", "pair": "1", "gold": 0, "pred": 0},
        {"id": "1#swapped", "pair": "1", "gold": 1, "pred": 1},
    ]
    assert list(taskstats.units(rows, "pair")) == ["0", "1"]
    assert len(taskstats.units(rows, "item")) == 4  # accuracy: every order is an item
    assert len(taskstats.units(rows, None)) == 2  # a corpus metric resamples whole pairs
    est = taskstats.estimate("confident_accuracy", rows, 0.5)
    assert est["method"] == "wilson" and est["n"] == 2
    assert taskstats.estimate("macro_f1", rows, 0.0)["method"] == "bootstrap"


def test_permuted_rows_average_per_item_first():
    # item a has 2 options (right in 1 of 2 rotations), item b 4 options (right in all 4):
    # per item 0.5 and 1.0 -> 0.75, where the plain mean over the 6 rows would be 5/6
    rows = [{"id": "a", "perm_of": "a", "gold": 0, "pred": 0}]
    rows += [{"id": "a#p1", "perm_of": "a", "gold": 1, "pred": 0}]
    rows += [{"id": f"b#p{s}", "perm_of": "b", "gold": s, "pred": s} for s in range(4)]
    assert taskstats.metric_value("accuracy", rows) == pytest.approx(0.75)
    assert taskstats.estimate("accuracy", rows, 0.75)["n"] == 2


def test_wilson_bounds_are_exactly_zero_and_one_at_the_ends():
    from langadapt.stats import wilson

    for n in (1, 7, 48, 358):
        assert wilson(0, n)[0] == 0.0 and wilson(n, n)[1] == 1.0
        assert 0.0 < wilson(0, n)[1] < 1.0 and 0.0 < wilson(n, n)[0] < 1.0
