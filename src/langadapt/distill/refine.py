"""`langadapt distill refine`: the teacher answers each instruction in its task's style.

TAPIR (arXiv 2405.13448, section 3.3) has the teacher re-answer with a prompt chosen by the
instruction's task type, so the student learns a form that suits the task: step-by-step
reasoning ending in a final answer for Math and Reasoning, code with an explanation for code
tasks. The prompts are Jinja files in a folder, one a label, named by the label in lower case
with every run of other characters as `_` (`Code Generation` -> `code_generation.jinja`), and
`default.jinja` for every label without its own (variables `instruction`, `label`). The
shipped folder (`prompts/refine/`) has math, reasoning, code_generation, code_debug and
default; the wording is this package's (the paper does not publish its prompts).

The refined answer replaces `teacher` (the earlier one is kept as `teacher_original`); every
answer is in the item log and the call cache, so a killed run resumes.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.corpus import write_json_lines
from langadapt.distill import records
from langadapt.errors import InputError
from langadapt.itemlog import ItemLog
from langadapt.llm import template_file
from langadapt.llm.clientopts import Client

DEFAULT_PROMPTS = Path(__file__).parent / "prompts" / "refine"
VARIABLES = frozenset({"instruction", "label"})


def slug(label: str) -> str:
    """The prompt file stem of a label: lower case, other characters' runs as `_`."""
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_")


def load_prompts(folder: Path | None) -> dict[str, object]:
    """{file stem: compiled template} of every `*.jinja` in the folder; `default` required."""
    folder = Path(folder) if folder else DEFAULT_PROMPTS
    if not folder.is_dir():
        raise InputError(f"--prompts {folder} is not a folder of <label>.jinja files")
    found = {
        p.stem: template_file.load_template(p, default=p, variables=VARIABLES,
                                            what="refine prompt", fills="refine fills")
        for p in sorted(folder.glob("*.jinja"))
    }  # fmt: skip
    if "default" not in found:
        raise InputError(
            f"--prompts {folder} has no default.jinja, the prompt of labels without their own "
            f"file (it has: {', '.join(found) or 'no .jinja file'})"
        )
    return found


def run(
    *,
    data: list[Path],
    out: Path,
    teacher: str,
    served_model: str | None = None,
    api_key_env: str | None = None,
    prompts: Path | None = None,
    max_new_tokens: int = 512,
    temperature: float = 0.0,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """The teacher answers every labelled instruction with its label's prompt.

    Args:
        data: labelled records (classify/balance/expand output); several files are joined.
        out: output folder: refined.jsonl (records whose `teacher` is the refined answer),
            summary.json.
        teacher: the teacher: a local HF folder or an OpenAI-compatible endpoint URL.
        served_model: the teacher's model name at the endpoint.
        api_key_env: name of the variable holding the endpoint's API key.
        prompts: folder of <label>.jinja prompts and default.jinja (default shipped).
        max_new_tokens: longest answer, in tokens.
        temperature: teacher sampling temperature (0 = greedy; this package's choice).
        client: how an endpoint --teacher is called: requests in flight, timeout, retries,
            call cache (llm/clientopts.py); a model folder ignores it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    tpls = load_prompts(prompts)
    if not data:
        raise InputError("distill refine needs at least one --data file")
    rows = [r for p in data for r in records.read_records(Path(p), need=["label"],
                                                          stage="distill refine")]  # fmt: skip
    dup = [k for k, c in Counter(r["id"] for r in rows).items() if c > 1]
    if dup:
        raise InputError(f"the --data files share the record id {dup[0]!r}; ids must be unique")
    options = {"teacher": teacher, "served_model": served_model,
               "max_new_tokens": max_new_tokens, "temperature": temperature}  # fmt: skip
    run_ = StageRun("distill refine", out, inputs={"data": [Path(p) for p in data],
                    "prompts": prompts}, options=options, force=force, resumable=True)  # fmt: skip
    if run_.up_to_date():
        return out
    model = records.backend(teacher, served_model, "teacher", api_key_env=api_key_env,
                            **client.kwargs())  # fmt: skip

    def which(label: str) -> str:
        return slug(label) if slug(label) in tpls else "default"

    def solve(chunk: list[dict]) -> list[dict]:
        chats = [records.user(tpls[which(r["label"])].render(instruction=r["prompt"],
                                                             label=r["label"]))
                 for r in chunk]  # fmt: skip
        got = model.generate(chats, max_new_tokens=max_new_tokens, temperature=temperature)
        return [{"id": r["id"], "answer": a} for r, a in zip(chunk, got)]

    with run_.writing() as tmp:
        t0 = time.perf_counter()
        done = records.each_chunk(rows, ItemLog(tmp / "items" / "answers.jsonl"), solve,
                                  desc="refine", progress=progress)  # fmt: skip
        out_rows = []
        for r, d in zip(rows, done):
            extra = {"teacher_original": r["teacher"]} if r.get("teacher") is not None else {}
            out_rows.append(
                r | extra | {"teacher": d["answer"], "refine_prompt": which(r["label"])}
            )
        write_json_lines(tmp / "refined.jsonl", out_rows)
        used = Counter(r["refine_prompt"] for r in out_rows)
        summary = {"n": len(out_rows), "prompts": dict(used),
                   "empty_answers": sum(not r["teacher"].strip() for r in out_rows),
                   "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
        write_json_atomic(tmp / "summary.json", summary)
        run_.results.update(summary)
        print(f"distill refine: {summary['n']} answers ({dict(used)}), "
              f"{summary['empty_answers']} empty")  # fmt: skip
    return out
