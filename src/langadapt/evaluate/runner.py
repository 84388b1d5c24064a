"""The `langadapt eval` stage: run task files over one or more models and report the scores.

Per-item results are appended to `items/<model>/<task>.jsonl` (a `langadapt.itemlog.ItemLog`)
inside the stage's resumable partial folder as each batch completes; a restart (same options and
inputs) reads them back, dropping a line torn by a kill, and scores only the items still missing.
A batch that fails raises before anything of it is written, so a failed item is never stored as
a result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from langadapt import registry
from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.errors import InputError
from langadapt.evaluate.data import read_records
from langadapt.evaluate.permute import not_permutable
from langadapt.evaluate.prompts import build_items, prompt, render
from langadapt.evaluate.remote import EndpointModel, Target, labels, targets
from langadapt.evaluate.report import summarise, task_scores, write_reports
from langadapt.evaluate.taskfile import Task, resolve_tasks
from langadapt.itemlog import ItemLog
from langadapt.llm.clientopts import Client

_KEEP = ("id", "gold", "pair", "group", "choices", "perm_of")


def _free_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _loglik(task: Task) -> bool:
    """Whether the task scores with a local model's log-probabilities (not over an endpoint)."""
    return registry.get("eval-method", task.method).traits["needs"] == "loglik"


def _prepare(task: Task, limit: int | None, shots: int) -> list[dict]:
    task.check_data()
    records = read_records(task.data_path())
    if limit is not None:
        records = records[:limit]
    pool = (
        read_records(task.data_path("fewshot_path"))
        if task.dataset.get("fewshot_path")
        else records
    )
    return build_items(task, records, pool, shots)


def _score_task(
    lm, backend, task: Task, items: list[dict], path: Path, batch_size: int, progress
) -> list[dict]:
    from tqdm import tqdm

    method = registry.get("eval-method", task.method)
    generates = method.traits["needs"] == "backend"  # else it scores with lm's log-probs
    delimiter = task.options.get("delimiter", " ")
    log = ItemLog(path)  # what a killed run finished; a torn last line is cut off
    pending = [it for it in items if it["id"] not in log.done]
    for it in pending:  # rendered up front: a template error stops the run before any batch
        it["context"] = render(lm, it, delimiter)
        if generates:
            it["prompt"] = prompt(it, chat=lm.chat, delimiter=delimiter)
    if method.traits["check"] is not None:  # every item checked before the first batch runs
        method.traits["check"](lm, pending, task.options)
    bar = tqdm(
        total=len(items),
        initial=len(items) - len(pending),
        desc=f"{task.name}",
        disable=not progress,
        unit="item",
    )
    # an endpoint answers as many calls at once as it has in flight: a persisted batch of
    # batch_size (8) would cap it there, so its batches hold several rounds of calls
    step = max(batch_size, 4 * backend.concurrency) if isinstance(lm, EndpointModel) else batch_size
    for s in range(0, len(pending), step):
        chunk = pending[s : s + step]
        if generates:
            results = method.func(
                backend, chunk, options=task.options, batch_size=batch_size, tokenizer=lm.tok
            )
        else:
            results = method.func(lm, chunk, options=task.options, batch_size=batch_size)
        # written only after the whole batch succeeded: a failed item is never a result
        log.extend({k: it[k] for k in _KEEP if k in it} | res for it, res in zip(chunk, results))
        bar.update(len(chunk))
    bar.close()
    return [
        log.get(it["id"]) | {"text": it["text"]} if "text" in it else log.get(it["id"])
        for it in items
    ]


def run(
    *,
    model: list[str],
    tasks: list[str],
    out: Path,
    data_dir: Path | None = None,
    limit: int | None = None,
    batch_size: int = 8,
    shots: int = 0,
    chat: Literal["auto", "on", "off"] = "auto",
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto",
    permute_choices: bool = False,
    baseline: str | None = None,
    served_model: str | None = None,
    tokenizer: Path | None = None,
    api_key_env: str | None = None,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Evaluate models on Darumeru-style tasks (LEP, arXiv 2412.21140, section 2.3) and report.

    Each task file names a dataset, a prompt template, a scoring method (next-token choice,
    generation, continuation log-probability, bits per byte) and metrics. Scores are grouped
    (a group averages its datasets) and summarised as Micro-Avg, the plain mean over all
    datasets. Writes results.json, results.md and results.html, and every item's prediction
    under items/. `langadapt ls eval-method` and `langadapt ls metric` list
    what task files can use.

    An endpoint (`--model http://HOST:PORT/v1 --served-model NAME`, e.g. `langadapt serve` or
    vLLM) runs the generation tasks; log-probability tasks need a local model and are skipped
    with the reason recorded in results.json (`skipped`), for every model of that run so that
    all are compared on the same tasks (docs/evaluation.md, "Evaluating an endpoint").

    Args:
        model: one or more Hugging Face model folders (safetensors) with their tokenizers,
            or OpenAI-compatible endpoint URLs (http://HOST:PORT/v1, with --served-model).
        tasks: task names, group names (e.g. darumeru, world-en) or task files (.yaml).
        out: output folder.
        data_dir: folder the tasks' relative dataset paths start from (the Darumeru download, or
            a synthetic world folder); default $LANGADAPT_DARUMERU, else the task file's folder.
        limit: score only the first N rows of each dataset.
        batch_size: items per forward pass (and per persisted batch).
        shots: solved examples shown before each question (k-shot), from the task's fewshot split.
        chat: render prompts with the tokenizer's chat template: auto (when it has one), on, off.
        dtype: weights dtype; auto keeps the checkpoint's (float32 makes scores comparable
            across batch sizes to 1e-6; bfloat16 halves memory on GPU).
        permute_choices: ask every multiple-choice item once per cyclic rotation of its
            options (the gold in every position) and average per item, the remedy for
            position bias; applies to each task that names its option texts (task files
            can also set permute_choices: true). Default off: scores as published.
        baseline: the model label (folder name) every other model is compared with, on the
            same items (paired differences with 95% intervals); default the first model.
        served_model: the model name at the endpoint (with an endpoint --model).
        tokenizer: the endpoint model's tokenizer folder (chat or plain prompts, token counts
            of copy tasks); default the folder the endpoint names as the model's root in
            /v1/models (`langadapt serve` does) when it is on this machine.
        api_key_env: name of the environment variable holding the endpoint's API key (the
            key itself is never written anywhere).
        client: how endpoint --model entries are called: requests in flight, timeout,
            retries, call cache (llm/clientopts.py); a model folder ignores it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    if not model:
        raise InputError("no model given: pass one or more model folders or URLs with --model")
    ts = targets(list(model), served_model, tokenizer)
    if batch_size < 1 or shots < 0 or (limit is not None and limit < 1):
        raise InputError("--batch-size and --limit must be at least 1 and --shots at least 0")
    names = labels(ts, served_model)
    if baseline is not None and baseline not in names:
        raise InputError(
            f"--baseline {baseline!r} is none of the evaluated models; pass one of: "
            f"{', '.join(names)}"
        )
    task_list = resolve_tasks(list(tasks), data_dir)
    skipped = []
    if any(t.url for t in ts):  # log-prob tasks cannot run over the API: said, never silent
        skipped = [
            {
                "task": t.name,
                "method": t.method,
                "reason": f"{t.method} scores with a local model's log-probabilities, which an "
                "OpenAI-compatible endpoint does not give; evaluate a model folder for it",
            }
            for t in task_list
            if _loglik(t)
        ]
        task_list = [t for t in task_list if not _loglik(t)]
        for sk in skipped:
            print(f"eval: skipped task {sk['task']}: {sk['reason']}", flush=True)
        if not task_list:
            raise InputError(
                f"every task given ({', '.join(s['task'] for s in skipped)}) scores with "
                "log-probabilities, which need a local model: pass a model folder, or add "
                "generation tasks (`langadapt ls eval-method`: needs=backend)"
            )
    if permute_choices:  # tasks that cannot rotate their options keep their own protocol
        for t in task_list:
            t.permute_choices = t.permute_choices or not_permutable(t.dataset, t.options) is None
    prepared = {t.name: _prepare(t, limit, shots) for t in task_list}
    data_files = [p for t in task_list for p in (t.data_path(), t.data_path("fewshot_path")) if p]
    folders = [t.folder for t in ts if t.folder is not None]
    tok_inputs = [Path(tokenizer)] if tokenizer is not None else []
    endpoint_opts = {}
    if any(t.url for t in ts):  # recorded only when used: local runs keep their manifests
        endpoint_opts = {
            "endpoints": [t.where for t in ts if t.url],
            "served_model": served_model,
            "api_key_env": api_key_env,
        }
    run_ = StageRun(
        "eval",
        out,
        inputs={
            "model": folders,
            "task_file": [t.file for t in task_list],
            "data": data_files,
        }
        | ({"tokenizer": tok_inputs} if tok_inputs else {}),
        options=endpoint_opts
        | {
            "tasks": [t.name for t in task_list],
            "limit": limit,
            "shots": shots,
            "chat": chat,
            "dtype": dtype,
            "permute_choices": permute_choices,
            "baseline": baseline,
        },
        force=force,
        resumable=True,
    )
    if run_.up_to_date():
        return out
    conn = {"api_key_env": api_key_env} | client.kwargs()
    with run_.writing() as tmp:
        per_model = {}
        for label, target in zip(names, ts):
            lm, backend = _open(target, served_model, tokenizer, dtype, chat, batch_size, conn)
            scores, task_rows = {}, {}
            for t in task_list:
                items = [dict(it) for it in prepared[t.name]]
                path = tmp / "items" / label / f"{t.name}.jsonl"
                rows = _score_task(lm, backend, t, items, path, batch_size, progress)
                scores[t.name] = task_scores(t, rows, lm.tok)
                task_rows[t.name] = rows  # for intervals and paired comparisons
            per_model[label] = {
                "path": target.where,
                "chat": lm.chat,
                "tasks": scores,
                "rows": task_rows,
            }
            if isinstance(lm, EndpointModel):
                lm.close()
            del lm, backend  # one model in memory at a time
            _free_memory()
        results = summarise(task_list, per_model, baseline)
        if skipped:
            results["skipped"] = skipped
            run_.results["skipped"] = [s["task"] for s in skipped]
        write_json_atomic(tmp / "results.json", results)
        write_reports(results, tmp)
        run_.results["micro_avg"] = {m: r["micro_avg"] for m, r in results["scores"].items()}
    return out


def _open(target: Target, served_model, tokenizer, dtype: str, chat: str, batch_size: int, conn):
    """(model view, generation backend) of one --model entry: a folder's weights loaded once
    for both, or an endpoint (checked: reachable, serving `served_model`) and its tokenizer."""
    from langadapt.evaluate.lm import LM
    from langadapt.llm.local import LocalBackend

    if target.url:
        em = EndpointModel(target, served_model, tokenizer=tokenizer, chat=chat, **conn)
        return em, em.backend
    lm = LM(target.folder, dtype=dtype, chat=chat)
    # generation tasks run through the Backend protocol, on the same loaded weights
    return lm, LocalBackend.from_model(lm.model, lm.tok, batch_size=batch_size)
