"""The loss curve of a training run, from its metrics.jsonl, as a PNG.

matplotlib is optional (the `plot` extra). Without it the curve is skipped with one warning and
the stage's manifest says so (`results.skipped`): a missing plot never costs a trained model.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.corpus import read_json_lines
from langadapt.report.plots import missing_plot_extra


def plot_loss(metrics: Path, png: Path, title: str, results: dict | None = None) -> Path | None:
    """Plot training loss (and the learning rate on a second axis) against the step.

    Returns `png`, or None when matplotlib is not installed; then `results` (a stage's
    manifest results), when given, records the skipped file under `skipped`.
    """
    if missing_plot_extra(f"the loss curve {Path(png).name}"):
        if results is not None:
            results.setdefault("skipped", []).append(
                f"{Path(png).name}: the 'plot' extra (matplotlib) is not installed"
            )
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_json_lines(metrics)
    steps = [r["step"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.plot(steps, [r["loss"] for r in rows], color="tab:blue", lw=1.2, label="loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("training loss (nats/token)", color="tab:blue")
    lr_ax = ax.twinx()
    lr_ax.plot(steps, [r["lr"] for r in rows], color="tab:gray", lw=0.8, ls="--")
    lr_ax.set_ylabel("learning rate", color="tab:gray")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)
    plt.close(fig)
    return png
