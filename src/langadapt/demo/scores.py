"""The demo report's score sections, read from eval's results.json.

Scores carry their 95% intervals, choice tasks their chance and majority baselines, the answer
counts show which models answer the same whatever the question, and the differences against
the baseline model (instruct) are eval's paired ones: the same items, so what is compared is
the models, not two samples of questions.
"""

from __future__ import annotations

from langadapt.demo.summary import LANGUAGES, task_label
from langadapt.report.html import Table

# eval folder name -> how the report calls it, in the order rows are shown
MODELS = {
    "instruct": "instruct (English-only, before LEP)",
    "swap": "LEP Swap",
    "overlap": "LEP Overlap",
    "conversion": "LEP Conversion",
    "calibrated": "LEP Conversion + calibration",
    "teacher": "teacher (bilingual, for reference)",
}
LEP_VARIANTS = ["swap", "overlap", "conversion", "calibrated"]


def model_order(results: dict) -> list[str]:
    """The eval labels in report order: the demo's models first, then any others."""
    scores = results["scores"]
    return [m for m in MODELS if m in scores] + [m for m in scores if m not in MODELS]


def _ci(est: dict | None, signed: bool = False, value: float | None = None) -> str:
    """'0.261 [0.206, 0.315]' (' *' when a paired interval excludes 0); `value` without one."""
    if not est:
        return "" if value is None else f"{value:.3f}"
    value = est.get("diff", est.get("value"))
    fmt = "{:+.3f}" if signed else "{:.3f}"
    if est.get("low") is None:
        return fmt.format(value)
    cell = f"{fmt.format(value)} [{fmt.format(est['low'])}, {fmt.format(est['high'])}]"
    return cell + (" *" if est.get("significant") else "")


def _interval(results: dict, model: str, task: str) -> dict | None:
    primary = results["tasks"][task]["primary"]
    return results["scores"][model].get("intervals", {}).get(task, {}).get(primary)


def _score(results: dict, model: str, task: str) -> float | None:
    primary = results["tasks"][task]["primary"]
    return results["scores"][model].get("tasks", {}).get(task, {}).get(primary)


def language_tasks(results: dict, group: str) -> list[str]:
    return [t for t, info in results["tasks"].items() if info["group"] == group]


def _column(results: dict, task: str) -> str:
    info = results["tasks"][task]
    rotated = ", every option order" if info.get("permuted") else ""
    return f"{task_label(task).rsplit('.', 1)[0]} ({info['primary']}{rotated})"


def task_table(results: dict, group: str) -> Table:
    """Models x tasks of one language: score [95% interval], the group average, chance."""
    tasks = language_tasks(results, group)
    rows = []
    for m in model_order(results):
        sc = results["scores"][m]
        rows.append(
            [MODELS.get(m, m)]
            + [_ci(_interval(results, m, t), value=_score(results, m, t)) for t in tasks]
            + [_ci(sc.get("group_intervals", {}).get(group), value=sc["groups"].get(group))]
        )
    chance = [results["tasks"][t].get("baselines") for t in tasks]
    if any(chance):
        rows.append(
            ["chance / majority"]
            + [f"{b['chance']:.3f} / {b['majority']:.3f}" if b else "-" for b in chance]
            + [""]
        )
    return Table(
        ["model", *(_column(results, t) for t in tasks), "average"],
        rows,
        caption=f"{LANGUAGES.get(group, group)}: score [95% interval]; the last row is what "
        "guessing (chance) or always giving the most common answer (majority) scores",
    )


def overview_table(results: dict) -> Table:
    """Per model: each language's average and Micro-Avg, with the paired difference to instruct."""
    comp = results.get("comparisons") or {"models": {}}
    base = comp.get("baseline", "")
    groups = [g for g in LANGUAGES if any(g in s["groups"] for s in results["scores"].values())]
    cols = ["model"]
    for g in groups:
        cols += [f"{LANGUAGES[g]} average", f"minus {base}"]
    cols += ["Micro-Avg", f"minus {base}"]
    rows = []
    for m in model_order(results):
        sc, c = results["scores"][m], comp["models"].get(m, {})
        row: list[object] = [MODELS.get(m, m)]
        for g in groups:
            est = sc.get("group_intervals", {}).get(g)
            row += [_ci(est, value=sc["groups"].get(g)), _ci(c.get("groups", {}).get(g), True)]
        row += [
            _ci(sc.get("micro_avg_interval"), value=sc.get("micro_avg")),
            _ci(c.get("micro_avg"), True),
        ]
        rows.append(row)
    return Table(
        cols,
        rows,
        caption=f"averages [95% interval]; differences against {base} on the same items "
        "[paired 95% interval], * where the interval excludes zero (a significant difference)",
    )


def difference_table(results: dict, group: str) -> Table | None:
    """LEP variants minus the baseline per task of one language, paired 95% intervals."""
    comp = results.get("comparisons")
    if not comp or not comp["models"]:
        return None
    tasks = language_tasks(results, group)
    rows = [
        [MODELS.get(m, m)]
        + [_ci(c["tasks"].get(t), True) for t in tasks]
        + [_ci(c["groups"].get(group), True)]
        for m in model_order(results)
        if (c := comp["models"].get(m))
    ]
    return Table(
        ["model", *(_column(results, t) for t in tasks), "average"],
        rows,
        caption=f"{LANGUAGES.get(group, group)}: minus {comp['baseline']} [paired 95% "
        "interval], * significant",
    )


def answers_table(results: dict) -> Table | None:
    """Choice tasks: each model's most frequent position and answer, CONSTANT when one dominates."""
    tasks = [t for t, info in results["tasks"].items() if info.get("baselines")]
    if not tasks:
        return None
    rows = []
    for m in model_order(results):
        preds = results["scores"][m].get("predictions", {})
        cells = []
        for t in tasks:
            p = preds.get(t)
            if not p:
                cells.append("-")
                continue
            pos, ans = p["positions"], p["answers"]
            cell = f"#{int(pos['top']) + 1} {pos['top_share']:.0%} / {ans['top']} {ans['top_share']:.0%}"
            cells.append(cell + (" CONSTANT" if p["constant"] else ""))
        rows.append([MODELS.get(m, m), *cells])
    share = results.get("statistics", {}).get("constant_share", 0.8)
    return Table(
        ["model", *(task_label(t) for t in tasks)],
        rows,
        caption="choice tasks: the most frequent option position / the most frequent answer, "
        f"as a share of the model's answers; CONSTANT when one takes more than {share:.0%}",
    )


def items_per_task(results: dict) -> str:
    """'facts.en 16, mc.en 16, ...': original items (a rotated item counts once)."""
    first = model_order(results)[0]
    return ", ".join(
        f"{task_label(t)} {(_interval(results, first, t) or {}).get('n', '?')}"
        for t in results["tasks"]
    )
