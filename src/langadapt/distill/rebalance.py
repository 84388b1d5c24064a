"""`langadapt distill balance`: resample labelled instructions to target task ratios.

The stage around `balance` (the pure core): it reads `distill classify`'s records, takes the
ratio table (a YAML/JSON file `{label: weight}`, else TAPIR's default over the taxonomy),
draws exactly N rows (default: as many as it reads) with exact per-label quotas, and writes
the before/after distribution as Markdown, JSON and a bar chart (the chart needs the `plot`
extra; without it the stage warns once and writes the rest).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from langadapt.artifacts import StageRun, write_json_atomic, write_text_atomic
from langadapt.corpus import write_json_lines
from langadapt.distill import balance, records, taxonomy
from langadapt.errors import ConfigError, InputError


def read_ratios(path: Path) -> dict[str, float]:
    """A ratio table file: a YAML or JSON mapping of label to a weight >= 0."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise InputError(f"--ratios {path} does not exist; give a YAML/JSON file label: weight")
    try:
        obj = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"--ratios {path} is not valid YAML/JSON: {exc}") from None
    if not isinstance(obj, dict) or not obj:
        raise InputError(f"--ratios {path} must map labels to weights, e.g. 'Math: 0.2'")
    bad = {k: v for k, v in obj.items() if isinstance(v, bool) or not isinstance(v, int | float)}
    if bad:
        raise ConfigError(f"--ratios {path}: weights must be numbers; {bad} are not")
    return balance.normalise({str(k): float(v) for k, v in obj.items()}, where=f"--ratios {path}")


def _markdown(rows: list[list], missing: list[str]) -> str:
    out = ["| label | before | share before | after | share after |", "|---|---:|---:|---:|---:|"]
    out += [f"| {a} | {b} | {c:.3f} | {d} | {e:.3f} |" for a, b, c, d, e in rows]
    if missing:
        out += ["", f"Labels with a ratio but no record (share spread over the rest): "
                    f"{', '.join(missing)}"]  # fmt: skip
    return "\n".join(out) + "\n"


def run(
    *,
    data: Path,
    out: Path,
    ratios: Path | None = None,
    taxonomy_file: Path | None = None,
    n: int | None = None,
    seed: int = 0,
    force: bool = False,
) -> Path:
    """Resample labelled records to target task ratios with exact counts (TAPIR re-balancing).

    Args:
        data: labelled records (distill classify's classified.jsonl).
        out: output folder: balanced.jsonl, distribution.md/.json, distribution.png.
        ratios: YAML/JSON {label: weight} (renormalised); default TAPIR's: Math and Reasoning
            1/6, Code Generation and Code Debug 1/12, Others 0.041, every other label 1/60.
        taxonomy_file: labels the default ratios cover (default: TAPIR's taxonomy).
        n: rows to write (default: as many as read).
        seed: seed of the resampling and of the output order.
        force: replace an existing output folder.
    """
    rows = records.read_records(Path(data), need=["label"], stage="distill balance")
    if ratios is not None:
        table = read_ratios(ratios)
    else:
        labels = taxonomy.load_taxonomy(taxonomy_file)
        table = balance.default_ratios(labels)
    size = len(rows) if n is None else n
    if size < 1:
        raise ConfigError(f"--n must be at least 1, not {size}")
    run_ = StageRun(
        "distill balance", out,
        inputs={"data": Path(data), "ratios": ratios, "taxonomy": taxonomy_file},
        options={"n": size, "seed": seed, "ratios": table}, force=force,
    )  # fmt: skip
    if run_.up_to_date():
        return out
    picked, counts, missing = balance.resample(rows, table, size, seed=seed)
    random.Random(seed).shuffle(picked)
    # a repeated record gets its own id, so later item logs keep one result per copy
    seen: dict[str, int] = {}
    out_rows = []
    for r in picked:
        k = seen.get(r["id"], 0)
        seen[r["id"]] = k + 1
        out_rows.append(r | {"id": r["id"] if k == 0 else f"{r['id']}#{k}", "source_id": r["id"]})
    dist = balance.table([r["label"] for r in rows], [r["label"] for r in out_rows], list(table))
    with run_.writing() as tmp:
        write_json_lines(tmp / "balanced.jsonl", out_rows)
        write_text_atomic(tmp / "distribution.md", _markdown(dist, missing))
        write_json_atomic(
            tmp / "distribution.json",
            {"quotas": counts, "missing": missing, "ratios": table,
             "table": [dict(zip(["label", "before", "share_before", "after", "share_after"], r))
                       for r in dist]},
        )  # fmt: skip
        from langadapt.report.plots import grouped_bars, missing_plot_extra

        if not missing_plot_extra("the distribution chart"):
            shown = [r for r in dist[:-1] if r[1] or r[3]]
            png = grouped_bars(
                [r[0] for r in shown],
                {"before": [r[2] for r in shown], "after": [r[4] for r in shown]},
                title="task distribution", ylabel="share", annotate=False,
            )  # fmt: skip
            (tmp / "distribution.png").write_bytes(png)
        run_.results.update(records=len(out_rows), distinct=len(seen), missing=missing,
                            quotas=counts)  # fmt: skip
        print(
            f"distill balance: {len(rows)} -> {len(out_rows)} records ({len(seen)} distinct); "
            f"labels without records: {', '.join(missing) or 'none'}"
        )
        print(json.dumps({r[0]: [r[1], r[3]] for r in dist if r[1] or r[3]}))
    return out
