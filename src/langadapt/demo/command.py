"""`langadapt demo`: the embedded default, LEP end to end, offline, with an HTML report.

The demo is an ordinary pipeline (`configs/demo.yaml`, run by `langadapt run`): every stage
writes a folder with a manifest under the run folder, so a second run skips what is up to date
and a killed run continues where it stopped. Its last stage, `demo report` (stage.py), writes
the report, so `langadapt run configs/demo.yaml` writes the same one. `--fast` runs a smaller
twin (the `fast` world and zoo, fewer evaluation items) for CI.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from langadapt.artifacts import cache_root

# Overrides that turn the demo pipeline into its CI-sized twin (same stages, smaller data).
FAST_OVERRIDES = [
    "world.size=fast",
    "zoo.size=fast",
    "tokenizer.new_tokens=300",
    "embeddings.schedule.epochs=2",
    "eval.limit=16",
    "xling.limit=8",
    "t_seed.limit=96",
    "t_warmup.sample=32",
    "t_warmup.schedule.max_steps=10",
    "t_balance.n=24",
    "t_expand.n=8",
    "t_random.sample=32",
    "t_random.schedule.max_steps=12",
    "t_hard.schedule.max_steps=12",
    "t_curriculum.n=32",
    "t_curriculum.schedule.max_steps=4",
    "t_eval.limit=24",
]


def pipeline_file() -> Path:
    """The shipped demo pipeline YAML."""
    return Path(str(resources.files("langadapt").joinpath("configs/demo.yaml")))


def default_out(fast: bool) -> Path:
    """demo (or demo-fast) under the cache root (`langadapt.artifacts.cache_root`)."""
    return cache_root() / ("demo-fast" if fast else "demo")


def run(*, out: Path | None = None, fast: bool = False, force: bool = False) -> Path:
    """Run LEP end to end on a synthetic bilingual world and write report/report.html.

    Generates the world and a zoo of tiny models (cached), extends the English-centric base
    tokenizer with Russian tokens, initialises and trains the new embeddings on Russian text,
    propagates them into the English-only instruct model with Swap, Overlap and Conversion,
    self-calibrates, evaluates every model on held-out tasks in both languages against the
    instruct model, and writes a report that says in words what changed. Its other sections:
    LUSIFER embeddings against the base alone, the language the models answer Russian
    prompts in (xling), and TAPIR (instruct teaches base; curated data against a random
    sample of the same size).

    Args:
        out: run folder (default: demo, or demo-fast with --fast, under $LANGADAPT_CACHE, else
            $XDG_CACHE_HOME/langadapt, else ~/.cache/langadapt).
        fast: a smaller world, zoo and evaluation (the CI-sized twin).
        force: redo every stage even when it is up to date.
    """
    from langadapt import pipeline

    out = Path(out or default_out(fast)).expanduser().absolute()
    t0 = time.perf_counter()
    # the run folder is the demo's own: after an upgrade changes a stage's options, that
    # stage and the ones after it are redone instead of stopping at "holds another run"
    report = pipeline.run(
        pipeline_file(),
        overrides=FAST_OVERRIDES if fast else [],
        force=force,
        run_dir=out,
        replace_stale=True,
    )
    print(f"\ndemo finished in {time.perf_counter() - t0:.0f} s")
    print(f"report: {report / 'report.html'}\n        {report / 'report.md'}")
    return report / "report.html"
