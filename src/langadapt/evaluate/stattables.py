"""The statistics' part of results.md / results.html: interval cells, answer and paired tables.

report.tables() builds the tables a reader sees; the cells and tables here read the figures
taskstats.add_statistics put into results.json. A results dict without them (written by an
older version, or summarised without rows) gives "-" cells and no extra tables.
"""

from __future__ import annotations

_SHORT = {"wilson": "W", "normal": "N", "bootstrap": "B"}


def _num(v) -> str:
    return "-" if v is None else f"{v:.4f}"


def ci(est: dict | None, mark: bool = True) -> str:
    """'[low, high] W' of an estimate (the letter says which interval), '-' when undefined."""
    if not est or est.get("low") is None:
        return "-"
    letter = _SHORT.get(est["method"], "") if mark else ""
    return f"[{est['low']:.4f}, {est['high']:.4f}] {letter}".rstrip()


def task_interval(results: dict, model: str, task: str, metric: str) -> dict | None:
    return results["scores"][model].get("intervals", {}).get(task, {}).get(metric)


def baseline_cells(results: dict, task: str) -> list[str]:
    """[chance, majority] of a choice task, '-' for others."""
    b = results["tasks"][task].get("baselines")
    return ["-", "-"] if not b else [_num(b["chance"]), _num(b["majority"])]


def group_interval(results: dict, model: str, group: str) -> dict | None:
    return results["scores"][model].get("group_intervals", {}).get(group)


def micro_interval(results: dict, model: str) -> dict | None:
    return results["scores"][model].get("micro_avg_interval")


def model_cells(results: dict, model: str, task: str, metric: str) -> list[str]:
    """[stderr, 95% CI, interval method] of one metric of one model."""
    est = task_interval(results, model, task, metric)
    if not est:
        return ["-", "-", "-"]
    return [_num(est["stderr"]), ci(est), est["method"]]


def _counts(dist: dict, fmt) -> str:
    ranked = sorted(dist["counts"].items(), key=lambda kv: -kv[1])
    return ", ".join(f"{fmt(k)} {v}" for k, v in ranked)


def answers_table(results: dict) -> tuple[str, list[str], list[list[str]]] | None:
    """Which options each model chose, per choice task, with the constant-answer flag."""
    rows = []
    for task in results["tasks"]:
        for model, sc in results["scores"].items():
            p = sc.get("predictions", {}).get(task)
            if not p:
                continue
            share = max(p["answers"]["top_share"], p["positions"]["top_share"])
            rows.append(
                [
                    task,
                    model,
                    _counts(p["answers"], str),
                    _counts(p["positions"], lambda k: f"#{int(k) + 1}"),
                    f"{share:.4f}",
                    "CONSTANT" if p["constant"] else "",
                ]
            )
    if not rows:
        return None
    header = ["task", "model", "answers (count)", "positions (count)", "top share", "flag"]
    return "Answers given (choice tasks)", header, rows


def paired_table(results: dict) -> tuple[str, list[str], list[list[str]]] | None:
    """Each model minus the baseline model on the same items, with 95% intervals."""
    comp = results.get("comparisons")
    if not comp or not comp["models"]:
        return None
    base = comp["baseline"]
    rows = []

    def row(name: str, model: str, metric: str, d: dict | None) -> list[str]:
        if d is None:
            return [name, model, metric, "-", "-", "-", "-"]
        sig = "-" if d["significant"] is None else "yes" if d["significant"] else "no"
        return [name, model, metric, f"{d['diff']:+.4f}", ci(d, mark=False), d["method"], sig]

    for model, c in comp["models"].items():
        for name, d in c["tasks"].items():
            rows.append(row(name, model, results["tasks"][name]["primary"], d))
        for g, d in c["groups"].items():
            rows.append(row(f"group: {g}", model, "mean", d))
        rows.append(row("Micro-Avg", model, "mean of datasets", c["micro_avg"]))
    header = ["task", "model", "metric", f"minus {base}", "95% CI", "method", "excludes 0"]
    return f"Paired differences against {base} (same items)", header, rows


def legend(results: dict) -> list[str]:
    """Sentences that say how the intervals, baselines and permutations were computed."""
    st = results.get("statistics")
    if not st:
        return []
    out = [
        "Intervals are 95%: W = Wilson score interval (a share of 0/1 item scores), N = normal "
        "(mean ± 1.96·stderr), B = bootstrap percentiles over items "
        f"({st['bootstrap_iters']} resamples, seed {st['seed']}). stderr is lm-evaluation-"
        "harness's: stdev of item scores / √n for means, stdev of the bootstrap for "
        "corpus-level metrics (macro-F1, MCC). Groups and Micro-Avg: √(Σ stderr²) / tasks.",
        "chance = mean over items of 1/options; majority = share of the most frequent gold "
        "answer (both as accuracy). A choice task is flagged CONSTANT when one answer or "
        f"position takes more than {st['constant_share']:.0%} of a model's answers.",
    ]
    perm = [n for n, t in results["tasks"].items() if t.get("permuted")]
    if perm:
        out.append(
            "Asked in every cyclic rotation of the options (gold in every position; "
            f"per-item mean over rotations, then mean over items): {', '.join(perm)}."
        )
    return out
