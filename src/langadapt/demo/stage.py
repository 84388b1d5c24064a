"""`langadapt demo report`: the demo's report as a pipeline stage.

The last stage of `configs/demo.yaml`, so `langadapt run configs/demo.yaml` and `langadapt
demo` write the same report from the same folders. Like every stage it writes one folder
(report.html, report.md, the charts, manifest.json) and skips itself when its inputs have not
changed.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.artifacts import StageRun, read_manifest
from langadapt.errors import InputError
from langadapt.report import mdsection


def _reproduce(world: Path, out: Path) -> str:
    """The commands that make this run again (the fast twin when the world is the fast one)."""
    from langadapt.demo.command import FAST_OVERRIDES

    run_dir = out.parent
    fast = (read_manifest(world) or {}).get("options", {}).get("size") == "fast"
    demo = f"`langadapt demo{' --fast' if fast else ''} --out {run_dir}`"
    overrides = " ".join(FAST_OVERRIDES) if fast else ""
    pipeline = f"`{f'langadapt run configs/demo.yaml --run-dir {run_dir} {overrides}'.rstrip()}`"
    return (
        f"{demo}\n\nor, the same stages and this same report: {pipeline}\n\n"
        "Every stage that is up to date is skipped, so a second run takes seconds."
    )


def run(
    *,
    world: Path,
    zoo: Path,
    tokenizer: Path,
    embeddings: Path,
    propagated: list[Path],
    scores: Path,
    out: Path,
    ran: list[Path] | None = None,
    sections: list[Path] | None = None,
    force: bool = False,
) -> Path:
    """Write the demo's report (report.html, report.md) from the folders of a LEP demo run.

    The report opens with a summary in words computed from the figures: tokens saved on
    Russian text, each LEP model's Russian and English scores against instruct with paired 95%
    intervals, and which differences are significant; then chance baselines, answer counts,
    per-task tables, propagation fits, training, example generations and the zoo.

    Args:
        world: the `world generate` folder (held-out parallel sentences and eval files).
        zoo: the `zoo build` folder (base tokenizer, members' own scores).
        tokenizer: the extended tokenizer (`vocab extend`).
        embeddings: the trained donor (`pretrain`): its metrics and loss chart.
        propagated: the `propagate` folders (Swap, Overlap, Conversion): their fits.
        scores: the `eval` folder, evaluated with `baseline: instruct` so that its
            results.json holds the paired comparisons the summary reads.
        out: output folder.
        ran: every stage folder of the run, for the "What ran" table (default: the inputs).
        sections: folders of the demo's other systems (e.g. `lusifer eval`, `xling eval`), each
            holding a summary.md that becomes a section of the report, after the LEP ones.
        force: replace an existing output folder.
    """
    from langadapt.demo.report import RunFolders, build_report

    propagated = [Path(p) for p in propagated]
    named = [Path(world), Path(zoo), Path(tokenizer), Path(embeddings), *propagated, Path(scores)]
    ran = [Path(p) for p in ran] if ran else named
    sections = [Path(p) for p in sections or []]
    for folder in sections:  # refuse before writing anything
        mdsection.read(folder)
    results = Path(scores) / "results.json"
    if not results.is_file():
        raise InputError(
            f"--scores {scores} holds no results.json; pass the output folder of `langadapt "
            "eval` (the demo pipeline's `eval` stage)"
        )
    run_ = StageRun(
        "demo.report",
        out,
        inputs={
            "world": Path(world),
            "zoo": Path(zoo),
            "tokenizer": Path(tokenizer),
            "embeddings": Path(embeddings),
            "propagated": propagated,
            "scores": Path(scores),
            "ran": [p for p in ran if p not in named],
            "sections": sections,
        },
        options={},
        force=force,
    )
    if run_.up_to_date():
        return run_.out
    folders = RunFolders(
        Path(world),
        Path(zoo),
        Path(tokenizer),
        Path(embeddings),
        propagated,
        Path(scores),
        ran,
        sections,
    )
    with run_.writing() as tmp:
        build_report(folders, tmp, _reproduce(Path(world), run_.out))
    return run_.out
