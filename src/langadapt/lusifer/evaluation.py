"""`langadapt lusifer eval`: embedding models on local retrieval, STS, classification,
clustering, reranking and cross-lingual retrieval files, with 95% intervals and paired tests.

Every model is embedded once per task (`embedders.py`: a LUSIFER folder, or a plain HF
decoder or encoder mean-pooled), scored by `evalscore.py`, and every score gets a seeded
bootstrap 95% interval over the task's units; each model after the first is compared with the
first on the same units (paired bootstrap). The data formats are in `evaldata.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from langadapt import stats
from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.errors import ConfigError
from langadapt.lusifer import evaldata, evalscore
from langadapt.lusifer.embedders import kind_of, load_embedder


def embed_task(
    task: evaldata.Task,
    model,
    *,
    instruction: str | None,
    batch_size: int,
    seed: int,
    recall_at: tuple[int, ...],
):
    """(scored subsets, language-tagged points {(text, lang): vector `[dim]`}) of one model."""

    def enc(texts: list[str], kind: str = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, model.dim), dtype=np.float32)
        return model.encode(
            texts, kind=kind, instruction=instruction, batch_size=batch_size
        ).numpy()

    rows, points = task.rows, {}

    def tag(texts, langs, vectors):
        for t, lang, v in zip(texts, langs, vectors):
            if lang:
                points.setdefault((t, lang), v)

    if task.kind in ("retrieval", "reranking"):
        queries = [r["query"] for r in rows]
        q = enc(queries)
        tag(queries, [r["lang"] for r in rows], q)
    if task.kind == "retrieval":
        docs = list(
            dict.fromkeys((t, r["doc_lang"]) for r in rows for t in r["positives"] + r["negatives"])
        )
        d = enc([t for t, _ in docs], "document")
        tag([t for t, _ in docs], [lang for _, lang in docs], d)
        scored = evalscore.retrieval(task, q, docs, d, recall_at)
    elif task.kind == "reranking":
        flat = [t for r in rows for t in r["positives"] + r["negatives"]]
        d, cands, lo = enc(flat, "document"), [], 0
        for r in rows:
            n = len(r["positives"]) + len(r["negatives"])
            cands.append(d[lo : lo + n])
            lo += n
        scored = evalscore.reranking(task, q, cands)
    elif task.kind == "sts":
        e1, e2 = enc([r["text1"] for r in rows]), enc([r["text2"] for r in rows])
        tag([r["text1"] for r in rows], [r["lang"] for r in rows], e1)
        tag([r["text2"] for r in rows], [r["lang"] for r in rows], e2)
        scored = evalscore.sts(task, e1, e2)
    else:
        e = enc([r["text"] for r in rows])
        tag([r["text"] for r in rows], [r["lang"] for r in rows], e)
        fn = evalscore.classification if task.kind == "classification" else evalscore.clustering
        scored = fn(task, e, seed)
    return scored, points


def estimates(scored: evalscore.Scored, iters: int, seed: int) -> dict:
    """{metric: estimate} (value, stderr, 95% low/high by bootstrap over the subset's units)."""
    full = np.arange(scored.n)
    return {
        name: stats.bootstrap_estimate(f, scored.n, f(full), iters=iters, seed=seed)
        for name, f in scored.metrics.items()
    }


def paired(a: evalscore.Scored, b: evalscore.Scored, iters: int, seed: int) -> dict:
    """{metric: paired difference b - a} on the same units, same resamples for both."""
    full = np.arange(a.n)
    out = {}
    for name, fa in a.metrics.items():
        fb = b.metrics[name]
        out[name] = stats.paired_bootstrap(
            lambda idx, fa=fa, fb=fb: fb(idx) - fa(idx),
            a.n,
            fb(full) - fa(full),
            iters=iters,
            seed=seed,
        )
    return out


def names_of(models: list[Path], given: list[str] | None = None) -> list[str]:
    """Report names: `given` (one per model, distinct), else each folder's name, numbered
    where two share one."""
    if given:
        if len(given) != len(models) or len(set(given)) != len(given):
            raise ConfigError(
                f"--names: give one distinct name per --model ({len(models)}), not {given}"
            )
        return list(given)
    names = []
    for i, m in enumerate(models):
        name = Path(m).name or f"model{i}"
        names.append(name if name not in names else f"{name}#{i}")
    return names


def run(
    *,
    model: list[Path],
    data: list[Path],
    out: Path,
    instruction: str | None = None,
    recall_at: list[int] | None = None,
    bidirectional: bool = False,
    batch_size: int = 32,
    iters: int = 1000,
    seed: int = 0,
    device: Literal["auto", "cpu", "cuda"] = "auto",
    plot: bool = True,
    names: list[str] | None = None,
    title: str = "Embedding models",
    force: bool = False,
) -> Path:
    """Evaluate embedding models (LUSIFER, or a plain HF model mean-pooled) on local tasks.

    Retrieval (nDCG@10, recall@k), cross-lingual retrieval (rows with lang/doc_lang),
    reranking (MAP), STS (Spearman), classification (logistic-regression accuracy) and
    clustering (V-measure), every score with a seeded bootstrap 95% interval; every model after
    the first is compared with the first on the same units (paired bootstrap). Writes
    results.json, report.html, report.md, summary.md (which model wins where, in words) and a
    t-SNE plot per model of the texts coloured by language (needs the `plot` extra; skipped
    with a warning without it).

    Args:
        model: LUSIFER folders or plain HF decoder/encoder folders (mean-pooled); the first
            is the reference of the paired comparisons.
        data: task files named NAME.KIND.jsonl, KIND one of retrieval, reranking, sts,
            classification, clustering (formats: docs/lusifer.md).
        out: output folder.
        instruction: task instruction for files without one; default each model's.
        recall_at: the k of recall@k (default 1 and 10).
        bidirectional: read plain decoders with bidirectional attention (default causal).
        batch_size: texts per forward pass.
        iters: bootstrap resamples per interval.
        seed: seed of the bootstrap, k-means and the classifier.
        device: auto = cuda when available.
        plot: draw the t-SNE plot of each model's embeddings coloured by language.
        names: the models' names in the reports (default: their folder names).
        title: summary.md's title.
        force: replace an existing output folder.
    """
    options = {k: v for k, v in locals().items() if k not in ("model", "data")}
    recall_at = sorted(set(recall_at or [1, 10]))
    if not model:
        raise ConfigError("--model: give at least one model folder")
    if min(recall_at) < 1:
        raise ConfigError(f"--recall-at must be positive integers, not {recall_at}")
    if iters < 2 or batch_size < 1:
        raise ConfigError(
            f"--iters must be 2 or more and --batch-size 1 or more ({iters}, {batch_size})"
        )
    kinds = [kind_of(m) for m in model]
    names = names_of(model, names)
    tasks = evaldata.read_tasks(list(data))
    run = StageRun(
        "lusifer.eval",
        out,
        inputs={"model": list(model), "data": list(data)},
        options=options,
        force=force,
    )
    if run.up_to_date():
        return out
    import torch

    dev = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    scored: dict[str, list[list[evalscore.Scored]]] = {}
    points: dict[str, dict] = {}
    notes: dict[str, dict] = {}
    for name, folder in zip(names, model):
        m = load_embedder(folder, bidirectional=bidirectional, device=dev)
        scored[name], points[name] = [], {}
        for t in tasks:
            s, p = embed_task(
                t,
                m,
                instruction=instruction if t.instruction is None else t.instruction,
                batch_size=batch_size,
                seed=seed,
                recall_at=tuple(recall_at),
            )
            scored[name].append(s)
            points[name].update(p)
        notes[name] = {"truncation": m.truncations.as_dict(), "padding": getattr(m, "notes", [])}
        del m
    results = {
        "models": [
            {"name": n, "path": str(p), "kind": k, **notes[n]}
            for n, p, k in zip(names, model, kinds)
        ],
        "reference": names[0],
        "seed": seed,
        "iters": iters,
        "tasks": [],
    }
    for ti, t in enumerate(tasks):
        for si, sub in enumerate(scored[names[0]][ti]):
            entry = {
                "task": t.name,
                "kind": t.kind,
                "subset": sub.subset,
                "n": sub.n,
                "main": sub.main,
            }
            entry["scores"] = {n: estimates(scored[n][ti][si], iters, seed) for n in names}
            entry["paired"] = {n: paired(sub, scored[n][ti][si], iters, seed) for n in names[1:]}
            results["tasks"].append(entry)
    from langadapt.lusifer import evalsummary
    from langadapt.lusifer.evalreport import write

    with run.writing() as tmp:
        write_json_atomic(tmp / "results.json", results)
        skipped = write(tmp, results, points if plot else {}, seed)
        evalsummary.write(tmp, results, title)
        run.results.update(
            {
                "tasks": len(tasks),
                "models": names,
                "main": {
                    f"{e['task']}/{e['subset']}": {
                        n: e["scores"][n][e["main"]]["value"] for n in names
                    }
                    for e in results["tasks"]
                },
                "skipped": skipped,
            }
        )
    return out
