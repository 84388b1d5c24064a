"""`lusifer eval`'s report: score tables with 95% intervals, paired differences, t-SNE plots.

The t-SNE plot (van der Maaten & Hinton, 2008; scikit-learn's `TSNE`, seeded) shows each
model's embeddings of every language-tagged text of the run, coloured by language, like
LUSIFER's figure 6: a language-universal space mixes the colours, a language-split one shows
one island per language. At most `MAX_POINTS` texts (a seeded sample) are drawn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from langadapt.report.html import Figure, Section, Table, Text, write_report
from langadapt.report.plots import missing_plot_extra

MAX_POINTS = 2000


def _interval(e: dict) -> str:
    return f"{e['value']:.3f} [{e['low']:.3f}, {e['high']:.3f}]"


def _diff(p: dict) -> str:
    mark = " *" if p["significant"] else ""
    return f"{p['diff']:+.3f} [{p['low']:+.3f}, {p['high']:+.3f}]{mark}"


def tables(results: dict) -> list[Section]:
    """One section per task: a row per (subset, metric), a column per model and difference."""
    names = [m["name"] for m in results["models"]]
    ref = results["reference"]
    columns = ["subset", "n", "metric", *names, *[f"{n} - {ref}" for n in names[1:]]]
    by_task: dict[str, list] = {}
    for e in results["tasks"]:
        rows = by_task.setdefault(f"{e['task']} ({e['kind']})", [])
        for metric in e["scores"][ref]:
            rows.append(
                [
                    e["subset"],
                    e["n"],
                    metric,
                    *[_interval(e["scores"][n][metric]) for n in names],
                    *[_diff(e["paired"][n][metric]) for n in names[1:]],
                ]
            )
    caption = (
        "value [95% interval: seeded bootstrap over the subset's units]; differences are "
        "paired bootstraps on the same units, * where the interval excludes 0"
    )
    return [Section(t, [Table(columns, rows, caption=caption)]) for t, rows in by_task.items()]


def tsne_png(points: dict, title: str, seed: int) -> bytes:
    """A t-SNE scatter `[points] -> 2-D` of {(text, lang): vector}, coloured by language."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    keys = list(points)
    if len(keys) > MAX_POINTS:
        rng = np.random.default_rng(seed)
        keys = [keys[i] for i in sorted(rng.choice(len(keys), MAX_POINTS, replace=False))]
    x = np.stack([points[k] for k in keys])
    langs = [lang for _, lang in keys]
    perplexity = min(30.0, max(2.0, (len(keys) - 1) / 3))
    xy = TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    for lang in sorted(set(langs)):
        sel = np.array([lg == lang for lg in langs])
        ax.scatter(xy[sel, 0], xy[sel, 1], s=8, alpha=0.7, label=lang)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write(folder: Path, results: dict, points: dict[str, dict], seed: int) -> list[str]:
    """report.html / report.md (+ PNGs) in `folder`; returns what was skipped and why."""
    models = Table(
        ["model", "kind", "path", "truncated texts"],
        [
            [m["name"], m["kind"], m["path"], m["truncation"]["truncated_texts"]]
            for m in results["models"]
        ],
    )
    sections = [Section("Models", [models]), *tables(results)]
    skipped, figures = [], []
    usable = {n: p for n, p in points.items() if len(p) >= 5 and len({k[1] for k in p}) >= 1}
    if points and len(usable) < len(points):
        skipped.append("t-SNE: fewer than 5 language-tagged texts")
    if usable and missing_plot_extra("the t-SNE plot"):
        skipped.append("t-SNE plot: matplotlib is not installed (the plot extra)")
        usable = {}
    for i, (name, pts) in enumerate(usable.items()):
        png = tsne_png(pts, f"{name}: t-SNE of {len(pts)} texts by language", seed)
        figures.append(Figure(png, f"tsne_{i}.png", caption=f"{name}, coloured by language"))
    if figures:
        sections.append(Section("Embeddings by language (t-SNE)", figures))
    elif not points:
        sections.append(Section("Embeddings by language (t-SNE)", [Text("not drawn (--no-plot)")]))
    write_report(folder, "lusifer eval", sections)
    return skipped
