"""Task re-balancing: target label ratios, exact counts, seeded resampling.

TAPIR (arXiv 2405.13448, section 3.2) resamples the seed pool so that reasoning-heavy tasks
weigh more than their natural share. The default ratios are the authors' code's: Math and
Reasoning 1/6 each, Code Generation and Code Debug 1/12 each, Others 0.041, every other label
1/60; they do not sum to one over an arbitrary taxonomy, so they are renormalised.

Counts: `quotas` turns ratios into integer counts that sum to exactly N by the largest
remainder method (floor every share, then hand the leftover rows to the largest fractional
parts, ties to the label listed first). Labels the data does not hold cannot be sampled; their
share is spread over the present labels by renormalising (a choice, reported as `missing`).

Rows: `resample` downsamples a label without replacement, and upsamples it by repeating all its
rows as often as they fit and then a sample without replacement of the rest; one
`random.Random(seed)` drives it, so a seed gives the same rows.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence

from langadapt.errors import ConfigError

# the TAPIR authors' code's weights; labels not named here get OTHER_LABEL
DEFAULT_WEIGHTS = {
    "Math": 1 / 6,
    "Reasoning": 1 / 6,
    "Code Generation": 1 / 12,
    "Code Debug": 1 / 12,
    "Others": 0.041,
}
OTHER_LABEL = 1 / 60


def default_ratios(labels: Sequence[str]) -> dict[str, float]:
    """TAPIR's weights for `labels`, renormalised to sum to 1."""
    return normalise({x: DEFAULT_WEIGHTS.get(x, OTHER_LABEL) for x in labels})


def normalise(weights: Mapping[str, float], *, where: str = "ratios") -> dict[str, float]:
    """`weights` divided by their sum. Raises ConfigError for a negative, non-finite or
    all-zero table (there is nothing to sample by)."""
    bad = {k: v for k, v in weights.items() if not math.isfinite(v) or v < 0}
    if bad:
        raise ConfigError(
            f"{where}: ratios must be finite and not negative; {bad} are not. Give a weight >= 0 "
            "per label (they are renormalised to sum to 1)"
        )
    total = sum(weights.values())
    if total <= 0:
        raise ConfigError(
            f"{where}: every ratio is zero, so no label can be sampled; give at least one "
            "label a positive weight"
        )
    return {k: v / total for k, v in weights.items()}


def quotas(ratios: Mapping[str, float], n: int) -> dict[str, int]:
    """Integer counts per label summing to exactly `n` (largest remainder rounding).

    `ratios` are renormalised first; a label with ratio 0 gets 0.
    """
    if n < 0:
        raise ConfigError(f"the number of rows must be >= 0, not {n}")
    shares = normalise(ratios)
    exact = {k: v * n for k, v in shares.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    left = n - sum(counts.values())
    order = sorted(shares, key=lambda k: (-(exact[k] - counts[k]), list(shares).index(k)))
    for k in order[:left]:
        counts[k] += 1
    return counts


def resample(
    rows: Sequence[dict], ratios: Mapping[str, float], n: int, *, seed: int = 0, key: str = "label"
) -> tuple[list[dict], dict[str, int], list[str]]:
    """`n` rows drawn from `rows` so that each label's count is its quota.

    Returns (rows, quotas, missing): the resampled rows grouped by label in ratio order (the
    caller shuffles if it wants), the counts used, and the labels with a positive ratio that no
    row has (their share went to the others).
    """
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r[key], []).append(r)
    unknown = sorted(set(by) - set(ratios))
    if unknown:
        raise ConfigError(
            f"labels {unknown} are in the data but not in the ratio table; give them a ratio "
            "(0 drops them)"
        )
    missing = [k for k, v in ratios.items() if v > 0 and k not in by]
    present = {k: v for k, v in ratios.items() if k in by}
    if n and not any(v > 0 for v in present.values()):
        raise ConfigError(
            f"no row has a label with a positive ratio (data labels: {sorted(by)}); nothing "
            "can be sampled"
        )
    counts = quotas(present, n) if n else {k: 0 for k in present}
    rng = random.Random(seed)
    out: list[dict] = []
    for label, want in counts.items():
        pool = by[label]
        if want <= len(pool):
            out += rng.sample(pool, want)
        else:
            times, rest = divmod(want, len(pool))
            out += pool * times + rng.sample(pool, rest)
    return out, counts, missing


def table(before: Sequence[str], after: Sequence[str], labels: Sequence[str]) -> list[list]:
    """Rows [label, count before, share before, count after, share after] over `labels`
    (then any other label met), with a final total row."""
    b, a = Counter(before), Counter(after)
    names = list(labels) + sorted((set(b) | set(a)) - set(labels))
    nb, na = max(len(before), 1), max(len(after), 1)
    rows = [[x, b[x], b[x] / nb, a[x], a[x] / na] for x in names]
    return rows + [["total", len(before), 1.0, len(after), 1.0]]
