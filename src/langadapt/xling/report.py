"""The HTML + Markdown report of an `xling eval` run, from its summary and scored rows.

Report blocks (`report.html`) escape every model and data text, so an answer holding
`<script>` is shown as text; charts are skipped with one warning without the `plot` extra.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.report.html import Figure, Samples, Section, Table, Text, write_report
from langadapt.report.plots import grouped_bars, missing_plot_extra
from langadapt.xling.aspects import ASPECTS
from langadapt.xling.summary import family


def _pct(est: dict) -> str:
    if est["value"] is None:
        return "n/a"
    return f"{100 * est['value']:.1f}% [{100 * est['low']:.1f}, {100 * est['high']:.1f}]"


def _language_section(summary: dict) -> Section:
    head = summary["headline"]
    langs = summary["languages"]
    text = (
        f"Answers in the expected language (the prompt's, or X for 'answer in X'): "
        f"{_pct(head['correct_language'])} of {head['correct_language']['n']}; on non-English "
        f"prompts {_pct(head['correct_language_non_english'])} of "
        f"{head['correct_language_non_english']['n']}. Brackets: Wilson 95% intervals."
    )
    rows = [
        [lang, s["n"], _pct(s["language"]["correct"]), _pct(s["language"]["switched"]),
         _pct(s["language"]["wrong"]), _pct(s["language"]["empty"]),
         _pct(s["language"]["line_pass"])]
        for lang, s in langs.items()
    ]  # fmt: skip
    blocks: list = [
        Text(text),
        Table(
            [
                "prompt language",
                "answers",
                "correct",
                "code-switched",
                "wrong",
                "empty",
                "line-level pass",
            ],
            rows,
            caption="language of the answers (fastText lid.176: whole answer, then each line)",
        ),  # fmt: skip
    ]
    if not missing_plot_extra("the xling charts"):
        series = {
            v: [s["language"][v]["value"] or 0.0 for s in langs.values()]
            for v in ("correct", "switched", "wrong")
        }
        png = grouped_bars(list(langs), series, title="answer language", ylabel="share")
        blocks.append(Figure(png, "language.png", "share of answers per verdict"))
    return Section("Language correctness", blocks)


def _modifier_section(summary: dict) -> Section | None:
    blocks: list = []
    for lang, s in summary["languages"].items():
        if not s["modifiers"]:
            continue
        rows = [
            [fam, m["n"], _pct(m["rate"]), m["fail"], m["unchecked"], m["judge"]]
            for fam, m in s["modifiers"].items()
        ]
        blocks.append(
            Table(
                ["modifier", "prompts", "compliant", "failed", "unchecked", "judge only"],
                rows,
                caption=f"{lang}: compliance by exact rules (unchecked: no unmodified answer)",
            )
        )
    return Section("Modifier compliance", blocks) if blocks else None


def _aspect_section(summary: dict) -> Section | None:
    langs = {k: s["aspects"] for k, s in summary["languages"].items() if s["aspects"]}
    if not langs:
        return None
    rows = [
        [lang, *(a["mean"][x] for x in ASPECTS), a["scored"], a["unparseable"]]
        for lang, a in langs.items()
    ]
    blocks: list = [
        Table(["language", *ASPECTS, "scored", "unparseable"], rows, caption="mean stars (1-3)")
    ]
    if not missing_plot_extra("the xling charts"):
        series = {lang: [a["mean"][x] or 0.0 for x in ASPECTS] for lang, a in langs.items()}
        png = grouped_bars(list(ASPECTS), series, title="judged aspects", ylabel="stars")
        blocks.append(Figure(png, "aspects.png", "mean stars per aspect and language"))
    return Section("Judged aspects", blocks)


def _world_section(summary: dict) -> Section | None:
    rows = [[k, _pct(s["world"])] for k, s in summary["languages"].items() if s["world"]]
    if not rows:
        return None
    return Section(
        "Exact accuracy (world judge)",
        [Table(["language", "score"], rows, caption="accepted answers and modifier rules")],
    )


def _examples(rows: list[dict], n: int) -> list[dict]:
    """Up to `n` rows, one of each (language verdict, modifier family) first, so the examples
    show the failures beside the successes."""
    seen, first, rest = set(), [], []
    for r in rows:
        key = (r["language"]["verdict"], family(r["modifier"]) if r.get("modifier") else None)
        (rest if key in seen else first).append(r)
        seen.add(key)
    return (first + rest)[:n]


def write(folder: Path, title: str, summary: dict, rows: list[dict], examples: int) -> Path:
    """Write report.html / report.md into `folder`; `examples` answers shown per language."""
    sections = [_language_section(summary)]
    sections += [
        s
        for s in (_modifier_section(summary), _aspect_section(summary), _world_section(summary))
        if s
    ]
    samples: list = []
    for lang in summary["languages"]:
        for r in _examples([r for r in rows if r["lang"] == lang], examples):
            label = f"{lang} · {r['language']['verdict']}"
            if r.get("modifier"):
                label += f" · {r['modifier']}: {r['compliance']['status']}"
            samples.append(Samples(r["prompt"], {label: r["answer"]}))
    if samples:
        sections.append(Section("Example answers", samples))
    return write_report(folder, title, sections)
