"""Scores of a run: metrics per dataset, group means, Micro-Avg, and the tables a reader sees.

Darumeru's summary (LEP, arXiv 2412.21140, section 2.3): each dataset is represented by its
primary metric (the first a task file lists); a group is the plain mean of its datasets; and
Micro-Avg is the plain mean over all datasets, not over groups, so a group with more datasets
weighs more. Bits-per-byte tasks (lower is better) are reported but stay out of both.
"""

from __future__ import annotations

import html
from pathlib import Path

from langadapt import registry
from langadapt.evaluate import stattables as st
from langadapt.evaluate.taskfile import Task
from langadapt.evaluate.taskstats import add_statistics, metric_value


def task_scores(task: Task, rows: list[dict], tok) -> dict:
    """Every metric of one task over its scored rows, plus the item count `n`."""
    traits = registry.get("eval-method", task.method).traits
    if traits["summarise"] is not None:  # the method's own corpus figures (bits per byte)
        figures = traits["summarise"](rows, tok)
        out = {m: figures[m] for m in task.metrics}
        out["n"] = len(rows)
        out.update((k, v) for k, v in figures.items() if k not in traits["figures"])
        return out
    out = {m: metric_value(m, rows) for m in task.metrics}
    out["n"] = len(rows)
    return out


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise(tasks: list[Task], models: dict[str, dict], baseline: str | None = None) -> dict:
    """The content of results.json: tasks, per-model scores, group means and Micro-Avg.

    When every model also carries its scored `rows` ({task: rows}), the statistics of
    taskstats.add_statistics are added: intervals, baselines, answer counts, and each model
    compared with `baseline` (default: the first model).
    """
    scores = {}
    for label, m in models.items():
        groups: dict[str, list[float]] = {}
        for t in tasks:
            if t.aggregate:
                groups.setdefault(t.group, []).append(m["tasks"][t.name][t.primary])
        scores[label] = {
            "path": m["path"],
            "chat": m["chat"],
            "tasks": m["tasks"],
            "groups": {g: _mean(v) for g, v in groups.items()},
            "micro_avg": _mean([v for vs in groups.values() for v in vs]),
        }
    results = {
        "tasks": {
            t.name: {
                "group": t.group,
                "method": t.method,
                "metrics": t.metrics,
                "primary": t.primary,
                "in_micro_avg": t.aggregate,
                "file": str(t.file),
            }
            for t in tasks
        },
        "scores": scores,
    }
    if models and all("rows" in m for m in models.values()):
        rows = {label: m["rows"] for label, m in models.items()}
        add_statistics(results, tasks, rows, baseline or next(iter(models)))
    return results


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.4f}" if isinstance(v, float) else str(v)


def tables(results: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of the comparison table, each model's full table, the answers
    given to choice tasks and the paired differences (stattables.py; the statistics' columns
    follow the scores)."""
    labels = list(results["scores"])
    tasks = results["tasks"]
    comp = []
    for name, t in tasks.items():
        comp.append(
            [name, t["group"], t["primary"]]
            + [_fmt(results["scores"][m]["tasks"][name][t["primary"]]) for m in labels]
            + st.baseline_cells(results, name)
            + [st.ci(st.task_interval(results, m, name, t["primary"])) for m in labels]
        )
    groups = sorted({t["group"] for t in tasks.values() if t["in_micro_avg"]})
    for g in groups:
        comp.append(
            [f"group: {g}", g, "mean"]
            + [_fmt(results["scores"][m]["groups"].get(g)) for m in labels]
            + ["-", "-"]
            + [st.ci(st.group_interval(results, m, g)) for m in labels]
        )
    comp.append(
        ["Micro-Avg", "", "mean of datasets"]
        + [_fmt(results["scores"][m]["micro_avg"]) for m in labels]
        + ["-", "-"]
        + [st.ci(st.micro_interval(results, m)) for m in labels]
    )
    header = ["task", "group", "metric", *labels, "chance", "majority"]
    header += [f"{m} 95% CI" for m in labels]
    out = [("Comparison (primary metric per dataset)", header, comp)]
    for m in labels:
        rows = []
        for name, t in tasks.items():
            sc = results["scores"][m]["tasks"][name]
            for metric in t["metrics"]:
                rows.append(
                    [name, metric, _fmt(sc[metric]), str(sc["n"])]
                    + st.model_cells(results, m, name, metric)
                )
        header = ["task", "metric", "value", "items", "stderr", "95% CI", "interval"]
        out.append((f"Model {m}", header, rows))
    return out + [t for t in (st.answers_table(results), st.paired_table(results)) if t]


def to_markdown(results: dict) -> str:
    lines = ["# Evaluation results", ""] + [x for s in st.legend(results) for x in (s, "")]
    for title, header, rows in tables(results):
        esc = [[c.replace("|", "\\|") for c in r] for r in [header, *rows]]
        lines += [f"## {title}", "", "| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in esc[1:]] + [""]
    return "\n".join(lines)


def to_html(results: dict) -> str:
    """A standalone HTML page; every text from models, tasks and data is HTML-escaped."""
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>langadapt eval</title>",
        "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 8px}"
        "td.n{text-align:right}</style></head><body><h1>Evaluation results</h1>",
    ] + [f"<p>{e(s)}</p>" for s in st.legend(results)]
    for title, header, rows in tables(results):
        parts.append(
            f"<h2>{e(title)}</h2><table><tr>"
            + "".join(f"<th>{e(h)}</th>" for h in header)
            + "</tr>"
        )
        for r in rows:
            parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(results: dict, folder: Path) -> None:
    """results.md and results.html beside results.json."""
    Path(folder, "results.md").write_text(to_markdown(results), encoding="utf-8")
    Path(folder, "results.html").write_text(to_html(results), encoding="utf-8")
