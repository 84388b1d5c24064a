"""PNG charts for reports: grouped bars, rendered off-screen (Agg) to bytes (loss curves are
drawn by the training stages themselves, engine/curves.py).

matplotlib is an optional dependency (the `plot` extra); it is imported only when a chart is
drawn, with an error that names the extra.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping, Sequence

from langadapt.errors import require

_warned = False


def missing_plot_extra(what: str) -> bool:
    """True when matplotlib is not installed; the first time, say on stderr what is skipped.

    A missing `plot` extra never stops a stage: each caller skips its chart and writes the
    rest of its output. One warning per process, however many charts are skipped.
    """
    global _warned
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        if not _warned:
            _warned = True
            print(
                f"warning: {what} is skipped (and so is every chart of this run): charts need "
                "matplotlib; install it with: pip install 'langadapt[plot]'",
                file=sys.stderr,
            )
        return True
    return False


def _pyplot():
    missing_plot_extra("a chart")  # warns once; `require` raises, and callers skip the chart
    mpl = require("matplotlib", "plot", "drawing charts")
    mpl.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def grouped_bars(
    groups: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    ylabel: str = "",
    annotate: bool = True,
) -> bytes:
    """Bars of each series (e.g. one per model) for each group (e.g. one per task), as PNG."""
    plt = _pyplot()
    n = max(len(series), 1)
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(groups) * max(n, 2) / 2 + 2), 3.6))
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(xs, values, width, label=name)
        if annotate:
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(
        range(len(groups)),
        groups,
        rotation=20 if len(groups) > 4 else 0,
        ha="right" if len(groups) > 4 else "center",
    )
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        # beside the axes, so it never covers a bar or its label
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)
