"""The demo's report: what LEP did to the tiny English-centric model, read from the run's folders.

Everything here is read from the stages' own outputs (manifests, eval results with their
intervals and paired comparisons, training metrics); nothing is recomputed except the tokenizer
figures, which are measured on the world's held-out parallel sentences. The report opens with
a summary in words (summary.py) computed from the same figures as the tables below it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from langadapt.artifacts import read_manifest
from langadapt.corpus import read_json_lines
from langadapt.demo.scores import (
    LEP_VARIANTS,
    MODELS,
    answers_table,
    difference_table,
    items_per_task,
    model_order,
    overview_table,
    task_table,
)
from langadapt.demo.summary import LANGUAGES, TokenFigures, summarise
from langadapt.demo.zoo_card import zoo_section
from langadapt.errors import MissingExtraError
from langadapt.report import mdsection
from langadapt.report.html import Figure, Samples, Section, Table, Text, write_report

TITLE = "langadapt demo: LEP on a synthetic bilingual world"


@dataclass
class RunFolders:
    """The stage folders the report reads (the `demo report` stage's inputs)."""

    world: Path
    zoo: Path
    tokenizer: Path
    embeddings: Path
    propagated: list[Path]
    eval: Path
    ran: list[Path] = field(default_factory=list)  # every stage of the run, for "What ran"
    sections: list[Path] = field(default_factory=list)  # other systems' folders with summary.md


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


def _stages(folders: RunFolders) -> Section:
    rows = []
    for folder in folders.ran:
        m = read_manifest(folder)
        if m:
            rows.append([folder.name, m["stage"], m.get("seconds", 0.0)])
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


def _tokenizers(folders: RunFolders) -> tuple[Section, list[TokenFigures]]:
    from langadapt.models import load_tokenizer
    from langadapt.report.plots import grouped_bars
    from langadapt.tokens.metrics import tokenizer_stats

    pairs = _jsonl(folders.world / "eval" / "parallel.jsonl")
    toks = {
        "base (English-centric)": folders.zoo / "base",
        "extended (LEP)": folders.tokenizer,
    }
    stats = {
        name: {
            lang: tokenizer_stats(load_tokenizer(path), [p[lang] for p in pairs])
            for lang in ("ru", "en")
        }
        for name, path in toks.items()
    }
    before, after = stats.values()
    figures = [
        TokenFigures(
            language, before[lang].symbols_per_token, after[lang].symbols_per_token, len(pairs)
        )
        for lang, language in (("ru", "Russian"), ("en", "English"))
    ]
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
    extend = read_manifest(folders.tokenizer) or {}
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
    columns = ["tokenizer", "vocabulary", "symbols/token ru", "symbols/token en", "round trip ru"]
    section = Section("Tokenizers", [Text(text), Table(columns, rows, digits=2), *figs])
    return section, figures


_METHODS = {
    "wilson": "Wilson score intervals for shares of right answers",
    "normal": "mean ± 1.96·stderr for graded scores and for averages",
    "bootstrap": "bootstrap percentiles over items for corpus-level metrics",
}


def _legend(results: dict) -> str:
    """How the intervals of these tables were computed (only the kinds that occur)."""
    used = {
        est["method"]
        for sc in results["scores"].values()
        for by_metric in sc.get("intervals", {}).values()
        for est in by_metric.values()
    } | {"normal"}
    kinds = "; ".join(text for key, text in _METHODS.items() if key in used)
    return (
        f"Intervals are 95%: {kinds}. Differences are paired: both models on the same items "
        "(paired t over items; averages combine their tasks' paired differences)."
    )


def _scores(results: dict) -> Section:
    blocks: list = [
        Text(
            "`langadapt eval` on held-out people of the world (their facts appear only in "
            "pretraining text). Groups average their tasks; Micro-Avg is the plain mean over "
            f"all tasks (LEP section 2.3). Items per task: {items_per_task(results)}."
        )
    ]
    groups = [g for g in LANGUAGES if any(t["group"] == g for t in results["tasks"].values())]
    blocks += [task_table(results, g) for g in groups]
    blocks += [t for g in groups if (t := difference_table(results, g)) is not None]
    answers = answers_table(results)
    if answers is not None:
        blocks.append(answers)
    blocks.append(Text(_legend(results)))
    return Section("Task scores on held-out world tasks", blocks)


def _fits(folders: RunFolders) -> Section:
    rows = []
    for folder in folders.propagated:
        m = read_manifest(folder) or {}
        method = m.get("options", {}).get("method", folder.name)
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


def _training(folders: RunFolders) -> Section:
    metrics = _jsonl(folders.embeddings / "metrics.jsonl")
    train = (read_manifest(folders.embeddings) or {}).get("options", {}).get("train")
    what = {
        "new-rows": "only the new tokens' rows move, the base's own rows stay as they were",
        "embeddings": "the input embeddings and the output head move, every row",
    }.get(train, f"--train {train}")
    blocks: list = [
        Text(
            f"Embeddings-only training on Russian world text: {len(metrics)} steps; every "
            f"transformer layer frozen; {what}."
        )
    ]
    loss_png = folders.embeddings / "loss.png"  # drawn by `pretrain` itself
    if loss_png.is_file():
        blocks.append(Figure(loss_png.read_bytes(), "loss.png", "training loss and learning rate"))
    return Section("Embedding training", blocks)


def _samples(folders: RunFolders, results: dict) -> Section:
    models = [m for m in MODELS if m in results["scores"]]
    blocks: list = [
        Text(
            "The first held-out items of three tasks, every model's answer beside the reference "
            "(greedy decoding, as scored)."
        )
    ]
    for task, source, key, k in (
        ("world_facts.ru", "facts.ru.jsonl", "question", 3),
        ("world_facts.en", "facts.en.jsonl", "question", 2),
        ("world_copy_sentence.ru", "copy_sentence.ru.jsonl", "text", 1),
    ):
        prompts = {r["id"]: r[key] for r in _jsonl(folders.world / "eval" / source)}
        per_model = {
            m: {r["id"]: r for r in _jsonl(folders.eval / "items" / m / f"{task}.jsonl")}
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


def _system(folder: Path) -> Section:
    """Another system's section (LUSIFER, xling): its summary.md and where its report is."""
    section = mdsection.read(folder)
    if (folder / "report.html").is_file():
        section.blocks.append(Text(f"Full report: `{folder.name}/report.html` in the run folder."))
    return section


def build_report(folders: RunFolders, out: Path, reproduce: str) -> Path:
    """Write report.html and report.md (and their images) into `out`; returns the HTML path.

    `reproduce`: the commands that make this run again, for the last section.
    """
    from langadapt.report.plots import grouped_bars

    results = json.loads((folders.eval / "results.json").read_text(encoding="utf-8"))
    tokens_section, tokens = _tokenizers(folders)
    names = model_order(results)
    display = {m: MODELS.get(m, m) for m in names}
    short = {m: name.split(" (")[0] for m, name in display.items()}  # prose needs no glosses
    paragraphs = summarise(results, tokens, short, LEP_VARIANTS)
    chart = _figure(
        lambda: grouped_bars(
            [display[m].split(" (")[0] for m in names],
            {
                LANGUAGES[g]: [results["scores"][m]["groups"].get(g, 0.0) for m in names]
                for g in LANGUAGES
            },
            title="held-out world tasks, group averages",
        ),
        "scores.png",
        "group averages per model",
    )
    summary = Section("Summary", [Text("\n\n".join(paragraphs)), overview_table(results), *chart])
    zoo = zoo_section(read_manifest(folders.zoo) or {}, results)
    sections = [
        summary,
        _stages(folders),
        tokens_section,
        _scores(results),
        _fits(folders),
        _training(folders),
        _samples(folders, results),
        *[_system(folder) for folder in folders.sections],
        zoo,
        Section("Reproduce", [Text(reproduce)]),
    ]
    return write_report(out, TITLE, sections)
