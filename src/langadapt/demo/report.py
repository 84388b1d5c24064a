"""The demo's report: what LEP did to the tiny English-centric model, read from the run folder.

Everything here is read from the stages' own outputs (manifests, eval results, training
metrics) under the run folder; nothing is recomputed except the tokenizer figures, which are
measured on the world's held-out parallel sentences.
"""

from __future__ import annotations

import json
from pathlib import Path

from langadapt.artifacts import read_manifest
from langadapt.corpus import read_json_lines
from langadapt.errors import MissingExtraError
from langadapt.report.html import Figure, Samples, Section, Table, Text, write_report

# eval folder name -> how the report calls it, in the order rows are shown
MODELS = {
    "instruct": "instruct (English-only, before LEP)",
    "swap": "LEP Swap",
    "overlap": "LEP Overlap",
    "conversion": "LEP Conversion",
    "calibrated": "LEP Conversion + calibration",
    "teacher": "teacher (bilingual, for reference)",
}


def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return read_json_lines(path)


def _figure(make, name: str, caption: str) -> list[Figure]:
    """A chart, or none when matplotlib (the `plot` extra) is missing: the tables carry the data."""
    try:
        return [Figure(make(), name, caption)]
    except MissingExtraError:
        return []


def _stages(run_dir: Path, stages: list[str]) -> Section:
    rows = []
    for name in stages:
        m = read_manifest(run_dir / name)
        if m:
            rows.append([name, m["stage"], m.get("seconds", 0.0)])
    total = sum(r[2] for r in rows)
    return Section(
        "What ran",
        [
            Text(
                "An English-centric tiny Llama (`base`) and its English-only instruction-tuned twin "
                "(`instruct`) were trained on a synthetic bilingual world. LEP then extended the "
                "base tokenizer with Russian tokens, initialised the new rows as means of their old "
                "pieces, trained embeddings on Russian text with every layer frozen, and "
                "propagated them into `instruct` without any instruction data (Swap, Overlap, "
                "Conversion), followed by self-calibration. All scores below are exact: every fact "
                "of the world is known."
            ),
            Table(
                ["stage", "kind", "seconds"],
                rows,
                caption=f"stages of this run: {total:.0f} s of compute (cached stages keep their "
                "original times)",
                digits=1,
            ),
        ],
    )


def _tokenizers(run_dir: Path) -> Section:
    from langadapt.models import load_tokenizer
    from langadapt.report.plots import grouped_bars
    from langadapt.tokens.metrics import tokenizer_stats

    pairs = _jsonl(run_dir / "world" / "eval" / "parallel.jsonl")
    toks = {
        "base (English-centric)": run_dir / "zoo" / "base",
        "extended (LEP)": run_dir / "tokenizer",
    }
    stats = {
        name: {
            lang: tokenizer_stats(load_tokenizer(path), [p[lang] for p in pairs])
            for lang in ("ru", "en")
        }
        for name, path in toks.items()
    }
    rows = [
        [
            name,
            s["ru"].vocab_size,
            s["ru"].symbols_per_token,
            s["en"].symbols_per_token,
            s["ru"].round_trip,
        ]
        for name, s in stats.items()
    ]
    extend = read_manifest(run_dir / "tokenizer") or {}
    added = extend.get("results", {}).get("added")
    text = (
        f"Held-out parallel sentences ({len(pairs)} pairs). Symbols per token is the LEP "
        "paper's measure (characters / tokens; higher means fewer tokens for the same text)."
    )
    if added is not None:
        text += f" `vocab extend` added {added} Russian tokens; every base id is unchanged."
    figs = _figure(
        lambda: grouped_bars(
            ["Russian", "English"],
            {n: [s["ru"].symbols_per_token, s["en"].symbols_per_token] for n, s in stats.items()},
            title="symbols per token (higher is better)",
        ),
        "tokenizers.png",
        "symbols per token",
    )
    return Section(
        "Tokenizers",
        [
            Text(text),
            Table(
                [
                    "tokenizer",
                    "vocabulary",
                    "symbols/token ru",
                    "symbols/token en",
                    "round trip ru",
                ],
                rows,
                digits=2,
            ),
            *figs,
        ],
    )


def _scores(run_dir: Path) -> tuple[Section, dict]:
    from langadapt.report.plots import grouped_bars

    res = json.loads((run_dir / "eval" / "results.json").read_text(encoding="utf-8"))
    scores = res["scores"]
    tasks = list(res["tasks"])
    ru = [t for t in tasks if res["tasks"][t]["group"].endswith("-ru")]
    en = [t for t in tasks if res["tasks"][t]["group"].endswith("-en")]
    names = [m for m in MODELS if m in scores] + [m for m in scores if m not in MODELS]

    def table(tasks_: list[str], group: str, caption: str) -> Table:
        cols = (
            ["model"]
            + [
                f"{t.removeprefix('world_').rsplit('.', 1)[0]} ({res['tasks'][t]['primary']})"
                for t in tasks_
            ]
            + ["average"]
        )
        rows = [
            [MODELS.get(m, m)]
            + [scores[m]["tasks"][t][res["tasks"][t]["primary"]] for t in tasks_]
            + [scores[m]["groups"].get(group)]
            for m in names
        ]
        return Table(cols, rows, caption=caption)

    summary = Table(
        ["model", "Russian avg", "English avg", "Micro-Avg"],
        [
            [
                MODELS.get(m, m),
                scores[m]["groups"].get("world-ru"),
                scores[m]["groups"].get("world-en"),
                scores[m]["micro_avg"],
            ]
            for m in names
        ],
        caption="summary: group averages and Micro-Avg over all tasks",
    )
    n = {t: scores[names[0]]["tasks"][t].get("n") for t in tasks}
    figs = _figure(
        lambda: grouped_bars(
            [MODELS.get(m, m).split(" (")[0] for m in names],
            {
                "Russian": [scores[m]["groups"].get("world-ru", 0.0) for m in names],
                "English": [scores[m]["groups"].get("world-en", 0.0) for m in names],
            },
            title="held-out world tasks, group averages",
        ),
        "scores.png",
        "group averages per model",
    )
    return Section(
        "Task scores on held-out world tasks",
        [
            Text(
                "`langadapt eval` on held-out people of the world (their facts appear only in "
                "pretraining text). Groups average their tasks; Micro-Avg is the plain mean over "
                f"all tasks (LEP section 2.3). Items per task: {', '.join(f'{t}: {k}' for t, k in n.items())}."
            ),
            table(ru, "world-ru", "Russian, the target language"),
            table(en, "world-en", "English, what the model already knew"),
            summary,
            *figs,
        ],
    ), res


def _fits(run_dir: Path) -> Section:
    rows = []
    for method in ("swap", "overlap", "conversion"):
        m = read_manifest(run_dir / method) or {}
        for model, mats in m.get("results", {}).get("models", {}).items():
            for key, q in mats.items():
                if isinstance(q, dict) and "r2" in q:
                    rows.append([method, model, key, q.get("r2"), q.get("relative_residual")])
    return Section(
        "Propagation fits",
        [
            Text(
                "Overlap fits D on tokens both vocabularies share; Conversion on every new token "
                "through the init's averaging matrix T (the paper's recommendation). Swap uses "
                "D = I and has no fit."
            ),
            Table(["method", "model", "matrix", "R²", "relative residual"], rows, digits=4),
        ],
    )


def _training(run_dir: Path) -> Section:
    metrics = _jsonl(run_dir / "embeddings" / "metrics.jsonl")
    blocks: list = [
        Text(
            f"Embeddings-only training on Russian world text: {len(metrics)} steps; every "
            f"transformer layer frozen; {_trained(run_dir)}."
        )
    ]
    loss_png = run_dir / "embeddings" / "loss.png"  # drawn by `pretrain` itself
    if loss_png.is_file():
        blocks.append(Figure(loss_png.read_bytes(), "loss.png", "training loss and learning rate"))
    return Section("Embedding training", blocks)


def _trained(run_dir: Path) -> str:
    train = (read_manifest(run_dir / "embeddings") or {}).get("options", {}).get("train")
    return {
        "new-rows": "only the new tokens' rows move, the base's own rows stay as they were",
        "embeddings": "the input embeddings and the output head move, every row",
    }.get(train, f"--train {train}")


def _samples(run_dir: Path, res: dict) -> Section:
    models = [m for m in MODELS if m in res["scores"]]
    blocks: list = []
    for task, source, field, k in (
        ("world_facts.ru", "facts.ru.jsonl", "question", 3),
        ("world_facts.en", "facts.en.jsonl", "question", 2),
        ("world_copy_sentence.ru", "copy_sentence.ru.jsonl", "text", 1),
    ):
        prompts = {r["id"]: r[field] for r in _jsonl(run_dir / "world" / "eval" / source)}
        per_model = {
            m: {r["id"]: r for r in _jsonl(run_dir / "eval" / "items" / m / f"{task}.jsonl")}
            for m in models
        }
        ids = sorted(per_model[models[0]])[:k] if models else []
        for i in ids:
            gold = per_model[models[0]][i].get("gold")
            blocks.append(
                Samples(
                    prompts.get(i, i),
                    {MODELS[m]: str(per_model[m].get(i, {}).get("pred", "")) for m in models},
                    reference=str(gold[0] if isinstance(gold, list) else gold),
                )
            )
    return Section("Example generations (held-out)", blocks)


def _zoo(run_dir: Path) -> Section:
    m = read_manifest(run_dir / "zoo") or {}
    members = m.get("results", {}).get("members", {})
    rows = [
        [name, json.dumps(info.get("scores", {}))]
        for name, info in members.items()
        if info.get("scores")
    ]
    return Section(
        "The zoo",
        [
            Text(
                "Each zoo member is a normal Hugging Face folder with a model card (README.md) "
                "saying how it was made."
            ),
            Table(["model", "zoo's own scores"], rows),
        ],
    )


def build_report(run_dir: Path, stages: list[str]) -> Path:
    """Write report.html and report.md into the run folder; returns the HTML path.

    `stages`: the pipeline's stage names in order (the "What ran" table).
    """
    run_dir = Path(run_dir)
    scores, res = _scores(run_dir)
    sections = [
        _stages(run_dir, stages),
        _tokenizers(run_dir),
        scores,
        _fits(run_dir),
        _training(run_dir),
        _samples(run_dir, res),
        _zoo(run_dir),
        Section(
            "Reproduce",
            [Text(f"langadapt demo --out {run_dir}\n\nor: langadapt run configs/demo.yaml")],
        ),
    ]
    return write_report(run_dir, "langadapt demo: LEP on a synthetic bilingual world", sections)
