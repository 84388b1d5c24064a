"""Uncertainty of evaluation scores: standard errors, 95% intervals, baselines, paired tests.

Pure functions over lists of per-item (or per-unit) values; numpy only. An *estimate* is a dict
`{value, stderr, low, high, method, n}` (JSON-ready; `None` where a figure is undefined, e.g.
the stderr of one item). The conventions follow lm-evaluation-harness (Gao et al., 2021,
`lm_eval/api/metrics.py`), so our stderr columns read like theirs:

- a metric that is a mean over items (accuracy, exact match, ROUGE, ...): stderr = sample
  standard deviation (ddof 1) / sqrt(n) (the harness's `mean_stderr`);
- a corpus-level metric (macro-F1, MCC: the harness's "bootstrappable" ones): stderr = the
  sample standard deviation of the metric over bootstrap resamples of the items.

The 95% interval is Wilson's score interval when every per-item value is 0 or 1 (it stays
inside [0, 1] and keeps its coverage at small n, unlike mean ± 1.96·se), mean ± 1.96·se for
other means, and the 2.5/97.5 percentiles of the bootstrap for corpus-level metrics. Bootstraps
are seeded (`SEED`), so a run reports the same interval every time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence

import numpy as np

from langadapt.errors import InputError

Z95 = 1.959963984540054  # the 97.5% quantile of the standard normal
ITERS = 1000  # bootstrap resamples; the 2.5/97.5 percentiles move by ~0.005 at n = 50
SEED = 0
CONSTANT_SHARE = 0.8  # one option above this share of the answers is flagged "constant"


def _values(values: Sequence[float], what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(f"{what}: needs a non-empty list of numbers, got {len(values)} values")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{what}: every value must be a finite number (got NaN or infinity)")
    return arr


def mean_stderr(values: Sequence[float]) -> float | None:
    """Sample stdev / sqrt(n), as lm-evaluation-harness's `mean_stderr`; None for one value."""
    arr = _values(values, "mean_stderr")
    if arr.size < 2:
        return None
    return float(arr.std(ddof=1) / math.sqrt(arr.size))


def wilson(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for k successes in n trials (Wilson, 1927).

    center = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
    """
    if n < 1 or not 0 <= k <= n:
        raise InputError(f"wilson: needs 0 <= k <= n and n >= 1, got k={k}, n={n}")
    p = k / n
    den = 1 + z * z / n
    center = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # at k = 0 (k = n) the bound is exactly 0 (1); the formula leaves a rounding residue
    low = 0.0 if k == 0 else max(0.0, center - half)
    high = 1.0 if k == n else min(1.0, center + half)
    return low, high


def _t_within(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer df (Abramowitz & Stegun 26.7.3-4, exact)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2:  # odd: (2/pi) (theta + sin cos (1 + 2/3 cos² + 2·4/(3·5) cos⁴ + ...))
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return 2 / math.pi * (theta + math.sin(theta) * math.cos(theta) * total)
    term, total = 1.0, 1.0  # even: sin (1 + 1/2 cos² + 1·3/(2·4) cos⁴ + ...)
    for k in range(1, df // 2):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return math.sin(theta) * total


def t95(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom (two-sided 95%).

    Bisection on the exact distribution function (no scipy): t(1) = 12.706, t(9) = 2.262,
    t(inf) = 1.960.
    """
    if df < 1:
        raise InputError(f"t95: degrees of freedom must be at least 1, got {df}")
    if df > 10_000:  # the normal limit; the sums above would grow with df for nothing
        return Z95
    lo, hi = Z95, 13.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _t_within(mid, df) < 0.95 else (lo, mid)
    return (lo + hi) / 2


def mean_estimate(values: Sequence[float], value: float | None = None) -> dict:
    """Estimate of a mean over items: harness stderr; Wilson interval for 0/1 values, else normal.

    `value` is the figure the report shows (default: the mean of `values`); it differs from the
    mean only by rounding when the metric is computed elsewhere from the same items.
    """
    arr = _values(values, "mean_estimate")
    mean = float(arr.mean()) if value is None else float(value)
    se = mean_stderr(arr)
    if np.all((arr == 0) | (arr == 1)):
        low, high = wilson(float(arr.sum()), arr.size)
        method = "wilson"
    else:
        low, high = (None, None) if se is None else (mean - Z95 * se, mean + Z95 * se)
        method = "normal"
    return {"value": mean, "stderr": se, "low": low, "high": high, "method": method, "n": arr.size}


def bootstrap(
    stat: Callable[[np.ndarray], float], n: int, *, iters: int = ITERS, seed: int = SEED
) -> np.ndarray:
    """`stat` of `iters` resamples (with replacement) of n units: stat(indices) -> float.

    The indices are drawn from one seeded generator, so the same call gives the same replicates.
    """
    if n < 1 or iters < 2:
        raise InputError(f"bootstrap: needs at least 1 unit and 2 resamples, got {n} and {iters}")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(iters, n))
    return np.array([float(stat(idx)) for idx in draws])


def bootstrap_estimate(
    stat: Callable[[np.ndarray], float],
    n: int,
    value: float,
    *,
    iters: int = ITERS,
    seed: int = SEED,
) -> dict:
    """Estimate of a corpus-level statistic: bootstrap stderr and percentile 95% interval."""
    reps = bootstrap(stat, n, iters=iters, seed=seed)
    low, high = np.percentile(reps, [2.5, 97.5])
    se = float(reps.std(ddof=1)) if n > 1 else None
    return {
        "value": float(value),
        "stderr": se,
        "low": float(low),
        "high": float(high),
        "method": "bootstrap",
        "n": n,
    }


def mean_of_estimates(estimates: Sequence[dict]) -> dict:
    """Estimate of the plain mean of independent estimates (a group's mean, Micro-Avg).

    Tasks are scored on different items, so their sampling errors are independent and
    Var(mean) = sum(se_i²) / k²; the set of tasks is fixed (the uncertainty is over items, as
    for each task), hence no term for task-to-task spread. The interval is normal: a mean of
    several independent estimates is close to normal even when each is a proportion.
    """
    if not estimates:
        raise InputError("mean_of_estimates: needs at least one estimate")
    k = len(estimates)
    value = sum(e["value"] for e in estimates) / k
    ses = [e.get("stderr") for e in estimates]
    se = None if any(s is None for s in ses) else math.sqrt(sum(s * s for s in ses)) / k
    low, high = (None, None) if se is None else (value - Z95 * se, value + Z95 * se)
    n = sum(e.get("n") or 0 for e in estimates)
    return {"value": value, "stderr": se, "low": low, "high": high, "method": "normal", "n": n}


def _paired(diff: float, se: float | None, low, high, method: str, n: int) -> dict:
    sig = None if low is None else bool(low > 0 or high < 0)
    return {
        "diff": float(diff),
        "stderr": se,
        "low": low,
        "high": high,
        "method": method,
        "n": n,
        "significant": sig,
    }


def paired_t(a: Sequence[float], b: Sequence[float]) -> dict:
    """Mean of a_i - b_i with the paired-t 95% interval; `significant` when it excludes 0."""
    x, y = _values(a, "paired_t (first)"), _values(b, "paired_t (second)")
    if x.size != y.size:
        raise InputError(f"paired_t: the two lists must pair up, got {x.size} and {y.size} values")
    d = x - y
    if d.size < 2:
        return _paired(d.mean(), None, None, None, "paired-t", d.size)
    se = float(d.std(ddof=1) / math.sqrt(d.size))
    half = t95(d.size - 1) * se
    return _paired(d.mean(), se, d.mean() - half, d.mean() + half, "paired-t", d.size)


def paired_bootstrap(
    stat_diff: Callable[[np.ndarray], float],
    n: int,
    diff: float,
    *,
    iters: int = ITERS,
    seed: int = SEED,
) -> dict:
    """Paired bootstrap of a difference: stat_diff(indices) = metric(A[idx]) - metric(B[idx]).

    Both models are resampled with the same indices, so what varies is only which items were
    asked; the percentile interval excluding 0 marks the difference significant.
    """
    est = bootstrap_estimate(stat_diff, n, diff, iters=iters, seed=seed)
    return _paired(diff, est["stderr"], est["low"], est["high"], "paired-bootstrap", n)


def paired_of_estimates(diffs: Sequence[dict]) -> dict:
    """The paired difference of two plain means of tasks, from each task's paired difference."""
    est = mean_of_estimates([{"value": d["diff"], **d} for d in diffs])
    return _paired(est["value"], est["stderr"], est["low"], est["high"], "normal", est["n"])


def mcnemar_p(wins: int, losses: int) -> float:
    """McNemar's exact two-sided p-value: the items where two models differ, as a sign test.

    The paired-t interval of 0/1 differences collapses to a point when every differing item
    differs the same way (12 of 12: [+100, +100]); the exact test stays valid at any count.
    """
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_flags(a: Sequence[bool], b: Sequence[bool]) -> dict:
    """a minus b for two models' right/wrong flags on the same items: the paired-t 95%
    interval (clipped to [-1, 1], where a difference of two shares lies), McNemar's exact
    p-value (`mcnemar_p`), and `significant` by McNemar at 0.05."""
    d = paired_t([float(x) for x in a], [float(y) for y in b])
    if d["low"] is not None:
        d["low"], d["high"] = max(d["low"], -1.0), min(d["high"], 1.0)
    wins = sum(bool(x) and not y for x, y in zip(a, b))
    losses = sum(bool(y) and not x for x, y in zip(a, b))
    d["mcnemar_p"] = mcnemar_p(wins, losses)
    d["significant"] = d["mcnemar_p"] < 0.05
    return d


def baselines(
    n_choices: Sequence[int],
    golds: Sequence[Hashable],
    weights: Sequence[float] | None = None,
) -> dict:
    """Chance (mean of 1/options over items) and majority (share of the most frequent gold).

    `weights` (default 1 each) weigh the items: permutation scoring asks an item once per
    option and gives each of its copies 1/options, so that every original item counts once.
    """
    w = [1.0] * len(golds) if weights is None else list(weights)
    if not n_choices or not len(n_choices) == len(golds) == len(w):
        raise InputError(
            f"baselines: needs one option count and weight per gold answer, got "
            f"{len(n_choices)}, {len(w)} and {len(golds)}"
        )
    if min(n_choices) < 1 or min(w) < 0 or sum(w) <= 0:
        raise InputError("baselines: every item needs an option and a non-negative weight")
    total = sum(w)
    share: dict = {}
    for g, wi in zip(golds, w):
        share[g] = share.get(g, 0.0) + wi / total
    top = max(share, key=lambda g: share[g])  # first seen on ties
    return {
        "chance": sum(wi / k for k, wi in zip(n_choices, w)) / total,
        "majority": share[top],
        "majority_answer": top,
    }


def answer_distribution(answers: Sequence[Hashable], threshold: float = CONSTANT_SHARE) -> dict:
    """How often each answer was given; `constant` when one takes more than `threshold`."""
    if not answers:
        raise InputError("answer_distribution: needs at least one answer")
    counts = Counter(answers)
    top, count = counts.most_common(1)[0]
    share = count / len(answers)
    return {
        "counts": dict(counts),
        "top": top,
        "top_share": share,
        "constant": share > threshold,
    }
