"""`langadapt xling eval`: answers to prompts in several languages, and how well they transfer.

Chirkova & Nikoulina (arXiv 2402.14778) tune on English only and ask in other languages. This
stage generates one answer per prompt (the paper's decoding by default: greedy, repetition
penalty 1.2, up to 512 new tokens) through any backend, a local model folder or an
OpenAI-compatible endpoint, then scores each answer without a judge, on its language
(`lid.py`) and its modifier (`modifiers.py`; the world's rules for the world's prompts), and
optionally with a judge: `llm` (the paper's six aspects, `aspects.py`) or `world` (exact
answers of the synthetic world). Writes answers.jsonl, summary.json, report.html/.md.

Answers and verdicts are appended to item logs (`items/*.jsonl`) inside the partial folder as
each chunk finishes, and endpoint calls are cached, so a killed run, or a judge that fails
midway, redoes only what is missing when run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from langadapt import registry
from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.corpus import write_json_lines
from langadapt.errors import InputError
from langadapt.itemlog import ItemLog
from langadapt.llm import world_rules
from langadapt.llm.backends import backend_for
from langadapt.llm.clientopts import Client
from langadapt.xling import aspects, modifiers, report
from langadapt.xling.lid import identifier
from langadapt.xling.prompts import Prompt, read_all
from langadapt.xling.summary import summarise

CHUNK = 64  # prompts per generate call and per persisted batch


def _backend(model: str, served_model: str | None, what: str, *, client: Client, **opts):
    """The backend of --model or --judge-model; `opts`: api_key_env, progress, batch_size."""
    served_flag = what.removesuffix("model") + "served-model"  # --judge-served-model
    return backend_for(
        model, served_model, flag=what, served_flag=served_flag, **opts, **client.kwargs()
    )


def _loop(log: ItemLog, todo: list[Prompt], solve, what: str) -> None:
    for s in range(0, len(todo), CHUNK):
        chunk = todo[s : s + CHUNK]
        log.extend({"id": p.id} | r for p, r in zip(chunk, solve(chunk)))
        print(f"xling eval: {what} {min(s + CHUNK, len(todo))}/{len(todo)}")


def _score(p: Prompt, answer: str, answers: dict[str, str]) -> dict:
    lid = identifier()
    row = {"id": p.id, "lang": p.lang, "expected": p.expected, "modifier": p.modifier,
           "prompt": p.text, "answer": answer,
           "language": lid.verdict(answer, p.expected)}  # fmt: skip
    if p.modifier and p.world and "modifier" in p.world:
        ok = world_rules.check(answer, p.world, p.id)
        row["compliance"] = {"status": "pass" if ok else "fail", "why": "world rule"}
    elif p.modifier:
        base = answers.get(p.base) if p.base else None
        row["compliance"] = modifiers.check(
            p.modifier, answer, base=base, language=lambda a, lang: lid.verdict(a, lang)["verdict"]
        )
    return row


def run(
    *,
    model: str,
    prompts: list[Path],
    out: Path,
    served_model: str | None = None,
    judge: Literal["none", "llm", "world"] = "none",
    judge_model: str | None = None,
    judge_served_model: str | None = None,
    judge_template: Path | None = None,
    api_key_env: str | None = None,
    max_new_tokens: int = 512,
    temperature: float = 0.0,
    repetition_penalty: float = 1.2,
    batch_size: int = 8,
    client: Client = Client(),  # noqa: B008 (frozen)
    examples: int = 3,
    limit: int | None = None,
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Answer prompts in several languages; language correctness, modifiers, judged aspects.

    Args:
        model: the model answering: a local HF folder or an endpoint URL (http://HOST:PORT/v1).
        prompts: JSONL prompt files, language in the name (NAME.LANG.jsonl) or per record; a
            .types file beside one names its modifiers (the paper's format, docs/xling.md).
        out: output folder: answers.jsonl, summary.json, report.html, report.md.
        served_model: the model name at the endpoint (with an endpoint --model).
        judge: none; llm (the paper's six aspects, 1-3 stars, through --judge-model);
            world (exact: the synthetic world's accepted answers and modifier rules).
        judge_model: the llm judge's model: a local folder or an endpoint URL.
        judge_served_model: the model name at the judge's endpoint.
        judge_template: the llm judge's prompt: the paper's eval_prompt_gpt.txt (not shipped:
            ../shared/data/xling/evaluation/) or a Jinja file with prompt and answer.
        api_key_env: environment variable holding the endpoints' API key (never written).
        max_new_tokens: answer length limit (the paper: 512).
        temperature: 0 = greedy (the paper).
        repetition_penalty: HF's repetition penalty (the paper: 1.2; 1.0 = none).
        batch_size: prompts per forward pass of a local model.
        client: how endpoints (--model, --judge-model) are called: requests in flight,
            timeout, retries, call cache (llm/clientopts.py); a model folder ignores it.
        examples: answers shown per language in the report.
        limit: answer only the first N prompts of each file (a quick look or a CPU budget).
        progress: show endpoint progress bars.
        force: replace an existing output folder.
    """
    items = read_all([Path(p) for p in prompts], limit)
    lid = identifier()
    for p in items:  # before any call: a language the model cannot recognise is an input error
        lid.check_language(p.expected, p.where)
    if judge == "llm":
        if judge_template is None or judge_model is None:
            raise InputError(
                "--judge llm needs --judge-model (a folder or URL) and --judge-template (the "
                "paper's ../shared/data/xling/evaluation/eval_prompt_gpt.txt, or a Jinja file)"
            )
        aspects.load_template(judge_template)
    if judge == "world" and not any(p.world for p in items):
        raise InputError(
            "--judge world scores prompts with the world's answers or modifier rules; none of "
            "the --prompts files has any (use the world's eval/facts.* or eval/modifiers.*)"
        )
    opts = {"api_key_env": api_key_env, "progress": progress, "batch_size": batch_size,
            "client": client}  # fmt: skip
    is_dir = not str(model).startswith(("http://", "https://"))
    run_ = StageRun(
        "xling eval",
        out,
        inputs={
            "prompts": [Path(p) for p in prompts],
            "model": Path(model) if is_dir else None,
            "judge_template": judge_template,
        },  # fmt: skip
        options={
            "model": str(model),
            "served_model": served_model,
            "judge": judge,
            "judge_model": judge_model,
            "judge_served_model": judge_served_model,
            "max_new_tokens": max_new_tokens,
            "temperature": temperature,
            "repetition_penalty": repetition_penalty,
            "limit": limit,
        },  # fmt: skip
        force=force,
        resumable=True,
    )
    if run_.up_to_date():
        return out
    with run_.writing() as tmp:
        log = ItemLog(tmp / "items" / "answers.jsonl")
        todo = [p for p in items if p.id not in log.done]
        if todo:
            gen = _backend(str(model), served_model, "--model", **opts)
            sampling = {"max_new_tokens": max_new_tokens, "temperature": temperature,
                        "repetition_penalty": repetition_penalty}  # fmt: skip
            _loop(log, todo, lambda ps: [{"answer": a} for a in gen.generate(
                [p.messages for p in ps], **sampling)], "answers")  # fmt: skip
        answers = {p.id: log.get(p.id)["answer"] for p in items}
        rows = [_score(p, answers[p.id], answers) for p in items]
        if judge == "llm":
            jlog = ItemLog(tmp / "items" / "aspects.jsonl")
            todo = [p for p in items if p.id not in jlog.done]
            if todo:
                backend = _backend(judge_model, judge_served_model, "--judge-model", **opts)
                _loop(jlog, todo, lambda ps: aspects.judge(
                    [{"prompt": p.text, "answer": answers[p.id]} for p in ps],
                    backend=backend, template=judge_template), "judged")  # fmt: skip
            for r in rows:
                r["aspects"] = jlog.get(r["id"])["aspects"]
        elif judge == "world":
            world = registry.get("judge", "world").func
            for p, r in zip(items, rows):
                if p.world:
                    ref = [{"id": p.id, "answer": answers[p.id], "reference": p.world}]
                    r["world"] = world(ref)[0]["score"]
        summary = summarise(rows)
        write_json_lines(tmp / "answers.jsonl", rows)
        write_json_atomic(tmp / "summary.json", summary)
        report.write(tmp, f"Cross-lingual answers of {model}", summary, rows, examples)
        head = summary["headline"]["correct_language"]
        other = summary["headline"]["correct_language_non_english"]
        run_.results.update({"correct_language": head["value"], "answers": head["n"],
                             "correct_language_non_english": other["value"]})  # fmt: skip
        if judge == "llm":
            bad = sum(s["aspects"]["unparseable"] for s in summary["languages"].values())
            run_.results["unparseable"] = bad
            print(f"xling eval: {bad} judge replies unparseable (counted, not scored)")
        print(f"xling eval: {head['k']}/{head['n']} answers in the expected language")
    return out
