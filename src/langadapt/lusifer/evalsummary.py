"""`lusifer eval`'s summary.md: what the figures say, in words computed from them.

A `## Title` line, one sentence per task (its `all` subset, main metric): each model after the
first against the first, with the paired difference's 95% interval and whether it excludes 0;
a last sentence counting the significant wins and losses; one table of the main metric.
"""

from __future__ import annotations

from pathlib import Path

MAX_TASK_SENTENCES = 4


def _fmt(e: dict) -> str:
    return f"{e['value']:.3f} [{e['low']:.3f}, {e['high']:.3f}]"


def _sentence(entry: dict, ref: str, name: str) -> tuple[str, int]:
    """(one sentence, +1 / -1 / 0: `name` significantly better / worse than `ref` / neither)."""
    metric = entry["main"]
    a, b = entry["scores"][ref][metric], entry["scores"][name][metric]
    p = entry["paired"][name][metric]
    unit = "queries" if entry["kind"] in ("retrieval", "reranking") else "items"
    head = (
        f"On {entry['task']} ({entry['n']} {unit}), {name} scores {metric} {_fmt(b)} and "
        f"{ref} {_fmt(a)}"
    )
    interval = f"{p['diff']:+.3f} [{p['low']:+.3f}, {p['high']:+.3f}]"
    if p["significant"]:
        verb = "ahead" if p["diff"] > 0 else "behind"
        return f"{head}: {name} is {verb}, {interval}, significant (95% interval excludes 0).", (
            1 if p["diff"] > 0 else -1
        )
    return f"{head}: the difference {interval} is not significant.", 0


def summary(results: dict, title: str) -> str:
    """The Markdown text of summary.md (see the module docstring)."""
    names = [m["name"] for m in results["models"]]
    ref = names[0]
    mains = [e for e in results["tasks"] if e["subset"] == "all"]
    lines = [f"## {title}", ""]
    if len(names) < 2:
        lines.append(
            f"One model ({ref}) on {len(mains)} task(s); nothing to compare (figures below)."
        )
    sentences, tally = [], {n: [0, 0, 0] for n in names[1:]}
    for e in mains:
        for n in names[1:]:
            s, sign = _sentence(e, ref, n)
            tally[n][{1: 0, -1: 1, 0: 2}[sign]] += 1
            sentences.append(s)
    lines += sentences[: MAX_TASK_SENTENCES * max(len(names) - 1, 1)]
    for n, (wins, losses, ties) in tally.items():
        if wins and not losses:
            verdict = f"{n} wins"
        elif losses and not wins:
            verdict = f"{ref} wins"
        elif not wins and not losses:
            verdict = "neither wins"
        else:
            verdict = "the result is mixed"
        lines.append(
            f"Against {ref}, {n} is significantly better on {wins}, worse on {losses} and not "
            f"significantly different on {ties} of {len(mains)} task(s): {verdict}."
        )
    lines = [lines[0], "", " ".join(lines[2:]), ""]
    header = ["task", "metric", *names]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for e in mains:
        cells = [e["task"], e["main"], *[_fmt(e["scores"][n][e["main"]]) for n in names]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(folder: Path, results: dict, title: str) -> Path:
    path = Path(folder) / "summary.md"
    path.write_text(summary(results, title), encoding="utf-8")
    return path
