"""`langadapt distill seed`: read a seed set and have the teacher answer every instruction.

TAPIR step 1 (arXiv 2405.13448, section 3.1): the teacher's answers to the seed instructions
are what the student is later fitted to and what difficulty compares it with. Without
`--teacher` the seed's own answers are kept as the teacher's (Alpaca's outputs are a teacher's:
text-davinci-003's), and records without one are an error.
"""

from __future__ import annotations

import time
from pathlib import Path

from langadapt.artifacts import StageRun
from langadapt.corpus import write_json_lines
from langadapt.distill import records
from langadapt.errors import InputError
from langadapt.itemlog import ItemLog
from langadapt.llm.clientopts import Client


def run(
    *,
    data: Path,
    out: Path,
    teacher: str | None = None,
    served_model: str | None = None,
    api_key_env: str | None = None,
    limit: int | None = None,
    max_new_tokens: int = 512,
    temperature: float = 0.0,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Read a seed set (Alpaca JSON, chat JSONL, Parquet); the teacher answers each instruction.

    Args:
        data: the seed file: Alpaca JSON, chat or Alpaca JSONL, or Parquet.
        out: output folder: seed.jsonl (records with a `teacher` answer), manifest.json.
        teacher: the teacher: a local HF folder or an OpenAI-compatible endpoint URL; none =
            keep the seed's own answers as the teacher's.
        served_model: the teacher's model name at the endpoint.
        api_key_env: name of the environment variable holding the endpoint's API key (the key
            itself is never written anywhere).
        limit: use only the first N records (a documented subset).
        max_new_tokens: longest teacher answer, in tokens.
        temperature: teacher sampling temperature (0 = greedy; this package's choice).
        client: how an endpoint --teacher is called: requests in flight, timeout, retries,
            call cache (llm/clientopts.py); a model folder ignores it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    rows = records.read_seed(Path(data))
    if limit is not None:
        if limit < 1:
            raise InputError(f"--limit must be at least 1, not {limit}")
        rows = rows[:limit]
    if teacher is None:
        bare = [r["id"] for r in rows if not r.get("reference")]
        if bare:
            raise InputError(
                f"{len(bare)} seed records of {data} have no answer (first: {bare[0]}); pass "
                "--teacher to have a teacher answer them"
            )
    options = {k: v for k, v in locals().items() if k not in ("data", "out", "force", "rows")}
    options.pop("bare", None)
    options["client"] = client.kwargs()  # a mapping of its fields, not the object's repr
    run_ = StageRun(
        "distill seed",
        out,
        inputs={"data": Path(data)},
        options=options,
        force=force,
        resumable=True,
    )
    if run_.up_to_date():
        return out
    with run_.writing() as tmp:
        t0 = time.perf_counter()
        if teacher is None:
            answers = [r["reference"] for r in rows]
        else:
            model = records.backend(teacher, served_model, "teacher", api_key_env=api_key_env,
                                    progress=False, **client.kwargs())  # fmt: skip

            def solve(chunk: list[dict]) -> list[dict]:
                got = model.generate(
                    [records.user(r["prompt"]) for r in chunk],
                    max_new_tokens=max_new_tokens,
                    temperature=temperature,
                )
                return [{"id": r["id"], "teacher": a} for r, a in zip(chunk, got)]

            log = ItemLog(tmp / "items" / "teacher.jsonl")
            done = records.each_chunk(rows, log, solve, desc="teacher", progress=progress)
            answers = [d["teacher"] for d in done]
        n = write_json_lines(
            tmp / "seed.jsonl", (r | {"teacher": a} for r, a in zip(rows, answers))
        )
        empty = sum(not a.strip() for a in answers)
        run_.results.update(
            records=n, empty_answers=empty, seconds=round(time.perf_counter() - t0, 1),
            teacher="seed answers" if teacher is None else teacher,
        )  # fmt: skip
        print(f"distill seed: {n} records, {empty} empty teacher answers -> {out}/seed.jsonl")
    return out
