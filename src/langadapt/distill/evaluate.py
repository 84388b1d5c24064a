"""`langadapt distill evaluate`: candidate students against a reference model (TAPIR, arXiv
2405.13448, section 4: win rates against the teacher, MT-Bench).

Three measures, each optional by its inputs:

- **Win rate** (AlpacaEval style): every candidate and the reference answer the same prompts
  (`--prompts`, else the world tasks); a judge compares each pair. `--judge llm`: the pairwise
  template (`prompts/pairwise.jinja`, 1-10 per answer) asked twice, the candidate's answer
  first and then second; the higher score wins, equal scores tie; an item's preference is the
  mean of its two verdicts (win 1, tie 0.5, loss 0), the win rate the mean over items with a
  95% interval, and the length-controlled win rate (`winrate.py`) with a bootstrap interval.
  `--judge world`: the world's exact rules decide (right beats wrong, else a tie).
- **Exact accuracy** on the world's held-out tasks (`--world-tasks`, e.g. the world's
  `instruct/test.en.jsonl`), per task type, with Wilson intervals: an answer is right when it
  is the task's short answer or its full reference reply (`llm.world_rules`).
- **MT-Bench** single-answer grading (`--mt-bench`, FastChat's files in `--mt-bench-dir`,
  `mtbench.py`) per category, by `--judge-model`.

Answers are greedy; judges run at temperature 0 (*choice*: AlpacaEval's and FastChat's). Every
model answer and judge reply is kept in an item log in the partial folder and endpoint calls
in the call cache, so a stopped run asks only what it had not finished. An unreadable judge
reply is counted (`unreadable`), never scored. Writes results.json, summary.md (the figures in
words), report.html / report.md, answers.jsonl.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.corpus import write_json_lines
from langadapt.distill import evaljudge, evalreport, mtbench, records
from langadapt.distill.evalask import Asker
from langadapt.distill.worlditems import world_items
from langadapt.errors import ConfigError
from langadapt.llm.clientopts import Client


def _names(candidates: list[str], names: list[str] | None) -> list[str]:
    got = list(names) if names else [Path(c.rstrip("/")).name for c in candidates]
    if len(got) != len(candidates) or len(set(got)) != len(got):
        raise ConfigError(f"--names must give {len(candidates)} distinct names, one per "
                          f"candidate (got {got}); pass --names to tell the candidates apart")  # fmt: skip
    return got


def run(
    *,
    out: Path,
    candidates: list[str],
    reference: str,
    names: list[str] | None = None,
    baseline: str | None = None,
    prompts: Path | None = None,
    world_tasks: list[Path] | None = None,
    judge: Literal["llm", "world"] = "llm",
    judge_model: str | None = None,
    mt_bench: bool = False,
    mt_bench_dir: Path | None = None,
    limit: int | None = None,
    candidate_served_models: list[str] | None = None,
    reference_served_model: str | None = None,
    judge_served_model: str | None = None,
    api_key_env: str | None = None,
    max_new_tokens: int = 256,
    judge_max_tokens: int = 512,
    batch_size: int = 8,
    seed: int = 0,
    title: str = evalreport.TITLE,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Candidates against a reference: win rates (both orders, length-controlled), world exact
    accuracy per task type and MT-Bench grades, each with a 95% interval.

    Args:
        out: output folder: results.json, summary.md, report.html, report.md, answers.jsonl.
        candidates: the models compared: local HF folders or endpoint URLs.
        reference: the model every candidate is compared with (TAPIR: the teacher).
        names: a name per candidate for the report (default: the folders' names).
        baseline: the name of the candidate every other one is paired against on the same
            items (TAPIR's question: a random sample of the curated set's size).
        prompts: the win-rate prompts (a seed or distill record file); default the world tasks.
        world_tasks: the world's held-out task files: instruct/test.*.jsonl (task types) and
            eval/facts.*.jsonl (fact questions, type `facts`): exact accuracy.
        judge: who decides a win: llm (--judge-model, both orders) or world (exact rules).
        judge_model: the LLM judge (a folder or URL) for --judge llm and --mt-bench.
        mt_bench: also grade the candidates on MT-Bench (single-answer, per category).
        mt_bench_dir: FastChat's MT-Bench files (default ../shared/data/mt_bench).
        limit: use the first N prompts, N world tasks per file and N MT-Bench questions.
        candidate_served_models: the model name each candidate URL serves, in order.
        reference_served_model: the model name at the reference's endpoint.
        judge_served_model: the model name at the judge's endpoint.
        api_key_env: name of the variable holding the endpoints' API key.
        max_new_tokens: longest answer of a candidate or the reference, in tokens (greedy).
        judge_max_tokens: longest judge reply, in tokens.
        batch_size: prompts per forward pass of a local model.
        seed: seed of the length-controlled bootstrap.
        title: the heading of summary.md and the report (e.g. what taught whom).
        client: how every endpoint (candidates, reference, judge) is called: requests in
            flight (each backend), timeout, retries, call cache (llm/clientopts.py); a model
            folder ignores it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    if not candidates:
        raise ConfigError("--candidates needs at least one model to evaluate")
    cand_names = _names(candidates, names)
    if baseline is not None and baseline not in cand_names:
        raise ConfigError(f"--baseline {baseline!r} is not a candidate's name; the names are "
                          f"{', '.join(cand_names)}")  # fmt: skip
    served = list(candidate_served_models or [None] * len(candidates))
    if len(served) != len(candidates):
        raise ConfigError("--candidate-served-models needs one name per candidate")
    tasks = world_items([Path(p) for p in world_tasks or []], limit)
    wins = records.read_records(Path(prompts))[:limit] if prompts else tasks
    if judge == "world" and prompts:
        raise ConfigError("--judge world decides by the world tasks' answers; drop --prompts")
    if not wins and not mt_bench:
        raise ConfigError("nothing to evaluate: give --prompts, --world-tasks or --mt-bench")
    if (judge == "llm" and wins or mt_bench) and not judge_model:
        raise ConfigError("--judge llm and --mt-bench need --judge-model (or use --judge world)")
    bench_dir = Path(mt_bench_dir or "../shared/data/mt_bench")
    bench = mtbench.load(bench_dir) if mt_bench else None
    options = {k: v for k, v in locals().items()
               if k not in ("out", "force", "progress", "tasks", "wins", "bench", "served",
                            "bench_dir", "cand_names")}  # fmt: skip
    options["client"] = client.kwargs()  # a mapping of its fields, not the object's repr
    inputs = {"prompts": prompts, "world_tasks": [Path(p) for p in world_tasks or []]}
    for name, c in zip(cand_names, candidates):
        if Path(c).is_dir():  # a folder's answers depend on its weights
            inputs[f"candidate:{name}"] = Path(c)
    run_ = StageRun("distill evaluate", out, inputs=inputs, options=options, force=force,
                    resumable=True)  # fmt: skip
    if run_.up_to_date():
        return out
    conn = client.kwargs() | {"api_key_env": api_key_env}
    questions = bench["questions"][:limit] if bench else []
    with run_.writing() as tmp:
        ask = Asker(tmp, wins, tasks, questions, max_new_tokens, batch_size, conn, progress)
        ask.judge_max = judge_max_tokens
        ref = ask.answers("reference", reference, reference_served_model, "--reference")
        jud = None
        if judge == "llm" and wins or bench:
            jud = records.backend(judge_model, judge_served_model, "judge_model",
                                  "--judge-served-model", batch_size=batch_size, **conn)  # fmt: skip
        ref_name = reference_served_model or Path(reference.rstrip("/")).name
        if "://" in reference:
            ref_name = f"{reference_served_model} at {reference}"
        results = {"reference": {"model": reference, "name": ref_name, "world": None}, "candidates": [],
                   "judge": judge if wins else None, "judge_model": judge_model,
                   "n_prompts": len(wins), "n_world_tasks": len(tasks), "baseline": baseline,
                   "task_types": [it["task_type"] for it in tasks]}  # fmt: skip
        if tasks:
            acc = evaljudge.accuracy_by_type(tasks, ref)
            results["reference"]["world"] = {k: v for k, v in acc.items() if k != "hits"}
        rows = [{"model": "reference", "id": i, "answer": a} for i, a in ref.items()]
        for name, model, srv in zip(cand_names, candidates, served):
            got = ask.answers(name, model, srv, "--candidates", mt=bench is not None)
            res = {"name": name, "model": model}
            if wins:
                res["win"] = ask.pairwise(name, judge, jud, got, ref, seed)
            if tasks:
                acc = evaljudge.accuracy_by_type(tasks, got)
                res["world"] = acc | {"hits": [acc["hits"][it["id"]] for it in tasks]}
            if bench:
                res["mt_bench"] = ask.mt_bench(name, bench, questions, jud, got, judge_max_tokens)
            results["candidates"].append(res)
            rows += [{"model": name, "id": i, "answer": a} for i, a in got.items()
                     if not isinstance(a, list)]  # fmt: skip
        write_json_lines(tmp / "answers.jsonl", rows)
        write_json_atomic(tmp / "results.json", results)
        evalreport.write(tmp, results, wins, ask.by_model, head=title)
        run_.results.update(evalreport.headline(results))
    print((out / "summary.md").read_text(encoding="utf-8"))
    return out
