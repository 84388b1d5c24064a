"""Statistics of scored rows: intervals per metric, baselines, answer counts, paired differences.

The rows are those of items/<model>/<task>.jsonl. They are grouped into *units*, the things
sampled independently: an item; a question asked in both option orders (rows sharing `pair`);
a document whose sentences are ranked (rows sharing `group`); an item asked in every rotation
of its options (rows sharing `perm_of`). A metric's `mean_over` trait (registry) says whether
it is a mean over units (then its stderr is analytic) or corpus-level (then it is
bootstrapped over units); the arithmetic is in stats.py.

`add_statistics` writes the figures into the results dict that report.py summarises:

- tasks[name]: `baselines` {chance, majority, majority_answer} for choice tasks, `permuted`;
- scores[model]: `intervals` {task: {metric: estimate}}, `predictions` {task: answer and
  position counts, `constant`}, `group_intervals`, `micro_avg_interval`;
- comparisons: each model against the baseline model, per task (primary metric), group and
  Micro-Avg, as paired differences.
"""

from __future__ import annotations

from langadapt import registry, stats
from langadapt.errors import InputError
from langadapt.evaluate.taskfile import BPB_METRICS, Task


def _key(rows: list[dict], mean_over: str | None) -> str:
    permuted = any("perm_of" in r for r in rows)
    if mean_over in ("pair", "group"):
        return mean_over
    if mean_over == "item":
        return "perm_of" if permuted else "id"
    # corpus-level: resample the largest units present, so correlated rows move together
    for k in ("perm_of", "pair", "group"):
        if any(k in r for r in rows):
            return k
    return "id"


def units(rows: list[dict], mean_over: str | None = None) -> dict[str, list[dict]]:
    """Rows grouped into units (see the module docstring), keyed and ordered by first row."""
    key = _key(rows, mean_over)
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(str(r.get(key, r["id"])), []).append(r)
    return out


def _unit_value(func, rows: list[dict]) -> float | None:
    try:
        return float(func(rows))
    except ValueError:  # undefined for this unit (r_precision: no relevant sentence); the
        return None  # metric itself skips such units, so the statistics skip them too


def metric_value(name: str, rows: list[dict]) -> float:
    """The score of metric `name` over `rows` as the report shows it.

    metric(rows), except for permuted rows of a per-item mean: the mean over original items
    of each item's mean over its rotations, so an item with more options does not weigh more.
    """
    m = registry.get("metric", name)
    if m.traits["mean_over"] == "item" and any("perm_of" in r for r in rows):
        vals = [_unit_value(m.func, u) for u in units(rows, "item").values()]
        vals = [v for v in vals if v is not None]
        return sum(vals) / len(vals)
    return float(m.func(rows))


def estimate(name: str, rows: list[dict], value: float) -> dict:
    """Stderr and 95% interval of metric `name` (reported as `value`) over `rows`."""
    m = registry.get("metric", name)
    mean_over = m.traits["mean_over"]
    us = list(units(rows, mean_over).values())
    if mean_over is not None:
        vals = [v for v in (_unit_value(m.func, u) for u in us) if v is not None]
        return stats.mean_estimate(vals, value)
    return stats.bootstrap_estimate(
        lambda idx: m.func([r for i in idx for r in us[i]]), len(us), value
    )


def _choice_rows(rows: list[dict]) -> bool:
    return bool(rows) and all(
        isinstance(r.get("choices"), list) and isinstance(r.get("gold"), int) for r in rows
    )


def _weights(rows: list[dict]) -> list[float]:
    """1 per row, or 1/rotations per row of a permuted item (each original item counts once)."""
    size: dict = {}
    for r in rows:
        size[r.get("perm_of", r["id"])] = size.get(r.get("perm_of", r["id"]), 0) + 1
    return [1.0 / size[r.get("perm_of", r["id"])] for r in rows]


def baselines(rows: list[dict]) -> dict | None:
    """Chance and majority accuracy of a choice task (None for other tasks)."""
    if not _choice_rows(rows):
        return None
    golds = [r["choices"][r["gold"]] for r in rows]
    return stats.baselines([len(r["choices"]) for r in rows], golds, _weights(rows))


def predictions(rows: list[dict]) -> dict | None:
    """Counts of the answers given (option text) and of their positions; None for non-choice."""
    if not _choice_rows(rows) or not all(isinstance(r.get("pred"), int) for r in rows):
        return None
    answers = stats.answer_distribution([r["choices"][r["pred"]] for r in rows])
    positions = stats.answer_distribution([r["pred"] for r in rows])
    return {
        "answers": answers,
        "positions": positions,
        "constant": answers["constant"] or positions["constant"],
    }


def compare(name: str, rows_a: list[dict], rows_b: list[dict]) -> dict:
    """Paired difference A - B of metric `name` on the same items.

    A mean over units: paired-t over the per-unit differences; a corpus-level metric: paired
    bootstrap (both models resampled with the same units).
    """
    m = registry.get("metric", name)
    mean_over = m.traits["mean_over"]
    ua, ub = units(rows_a, mean_over), units(rows_b, mean_over)
    if set(ua) != set(ub):
        raise InputError(
            f"metric {name}: the two models were scored on different items "
            f"({len(set(ua) ^ set(ub))} units differ); compare runs of the same tasks and --limit"
        )
    keys = list(ua)
    if mean_over is not None:
        pairs = [(_unit_value(m.func, ua[k]), _unit_value(m.func, ub[k])) for k in keys]
        pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
        return stats.paired_t([a for a, _ in pairs], [b for _, b in pairs])

    def diff(idx) -> float:
        return m.func([r for i in idx for r in ua[keys[i]]]) - m.func(
            [r for i in idx for r in ub[keys[i]]]
        )

    return stats.paired_bootstrap(diff, len(keys), m.func(rows_a) - m.func(rows_b))


def _scored(task: Task) -> list[str]:
    return [m for m in task.metrics if m not in BPB_METRICS]


def add_statistics(
    results: dict, tasks: list[Task], rows: dict[str, dict[str, list[dict]]], baseline: str
) -> None:
    """Add intervals, baselines, answer counts and comparisons to `results` (in place).

    `rows` maps model label -> task name -> scored rows; `baseline` is the label every other
    model is compared with.
    """
    scores = results["scores"]
    first = next(iter(rows.values()))
    for t in tasks:
        info = results["tasks"][t.name]
        info["permuted"] = t.permute_choices
        info["baselines"] = baselines(first[t.name])
    for label, by_task in rows.items():
        sc = scores[label]
        sc["intervals"] = {
            t.name: {m: estimate(m, by_task[t.name], sc["tasks"][t.name][m]) for m in _scored(t)}
            for t in tasks
        }
        sc["predictions"] = {
            t.name: p for t in tasks if (p := predictions(by_task[t.name])) is not None
        }
        # a group and Micro-Avg are plain means of task scores: their stderr is that of a mean
        # of independent estimates (tasks have disjoint items), see stats.mean_of_estimates
        primary = {t.name: sc["intervals"][t.name][t.primary] for t in tasks if t.aggregate}
        sc["group_intervals"] = {
            g: stats.mean_of_estimates(
                [primary[t.name] for t in tasks if t.name in primary and t.group == g]
            )
            for g in sc["groups"]
        }
        sc["micro_avg_interval"] = (
            stats.mean_of_estimates(list(primary.values())) if primary else None
        )
    results["comparisons"] = _comparisons(tasks, rows, baseline)
    results["statistics"] = {
        "confidence": 0.95,
        "task_interval": "wilson for a mean of 0/1 values, normal (mean +- 1.96 se) for other "
        "means, bootstrap percentile for corpus-level metrics",
        "stderr": "mean metrics: sample stdev / sqrt(n); corpus-level metrics: stdev of the "
        "bootstrap (as lm-evaluation-harness)",
        "bootstrap_iters": stats.ITERS,
        "seed": stats.SEED,
        "group_and_micro_avg": "se = sqrt(sum of task se^2) / tasks; normal interval",
        "paired": "paired-t for mean metrics, paired bootstrap for corpus-level ones; "
        "group and Micro-Avg differences combine the task differences as above",
        "constant_share": stats.CONSTANT_SHARE,
    }


def _comparisons(tasks: list[Task], rows: dict, baseline: str) -> dict:
    out: dict = {"baseline": baseline, "models": {}}
    base = rows[baseline]
    for label, by_task in rows.items():
        if label == baseline:
            continue
        per_task = {
            t.name: compare(t.primary, by_task[t.name], base[t.name])
            for t in tasks
            if t.primary not in BPB_METRICS
        }
        agg = [t for t in tasks if t.aggregate and t.name in per_task]
        groups = {
            g: stats.paired_of_estimates([per_task[t.name] for t in agg if t.group == g])
            for g in dict.fromkeys(t.group for t in agg)
        }
        micro = stats.paired_of_estimates([per_task[t.name] for t in agg]) if agg else None
        out["models"][label] = {"tasks": per_task, "groups": groups, "micro_avg": micro}
    return out
