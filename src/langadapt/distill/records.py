"""Distillation records in and out, and the backends that answer them.

A record is one instruction as the distill stages pass it along, a JSON object:
`{"id", "prompt", "instruction"?, "input"?, "reference"?, "teacher"?, "label"?, ...}`:
`prompt` is the user turn sent to every model (an Alpaca record's instruction, a blank line and
its input when it has one; a chat's first user message), `reference` the seed's own answer,
and each stage adds its fields (seed: `teacher`, classify: `label`, difficulty: `student`,
`mfd`, `hard`). Records are JSONL, one a line, read and written by `corpus`.

Seed sets come as Alpaca JSON (a list of `{"instruction", "input", "output"}`), chat JSONL
(`{"messages": [...]}` or a bare list of messages a line; JSONL Alpaca records too), or
Parquet (columns instruction/input/output, or messages). Any other file is an InputError.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from langadapt.corpus import read_json_lines
from langadapt.errors import InputError, require
from langadapt.itemlog import ItemLog
from langadapt.llm.backends import backend_for

SEED_FORMATS = (".json", ".jsonl", ".parquet")
KEEP = ("answer", "task_type")  # extra fields of a chat record that stay on the record
CHUNK = 64  # records per persisted batch: an endpoint runs a chunk's calls concurrently


def _record(obj: object, n: int, where: str) -> dict:
    """One seed object (Alpaca record or chat) as a distill record with id `n` (or its own)."""
    if isinstance(obj, list):
        obj = {"messages": obj}
    if not isinstance(obj, dict):
        raise InputError(f"{where} record {n} is not an object or a list of messages")
    rid = str(obj.get("id", n))
    if isinstance(obj.get("prompt"), str) and "id" in obj:  # a distill stage's own record
        return dict(obj, id=rid)
    if isinstance(obj.get("instruction"), str):
        instr, inp = obj["instruction"], obj.get("input") or ""
        if not isinstance(inp, str):
            raise InputError(f"{where} record {n}: 'input' must be a string")
        prompt = f"{instr}\n\n{inp}" if inp.strip() else instr
        ref = obj.get("output")
        out = {"id": rid, "prompt": prompt, "instruction": instr, "input": inp}
        return out | ({"reference": ref} if isinstance(ref, str) and ref.strip() else {})
    msgs = obj.get("messages")
    if isinstance(msgs, list) and all(isinstance(m, dict) for m in msgs):
        users = [i for i, m in enumerate(msgs) if m.get("role") == "user"]
        if users:
            u = users[0]
            ans = next((m for m in msgs[u + 1 :] if m.get("role") == "assistant"), None)
            out = {"id": rid, "prompt": str(msgs[u].get("content", ""))}
            if ans and str(ans.get("content", "")).strip():
                out["reference"] = str(ans["content"])
            # a world chat's short answer and task type: what `difficulty --score world` checks
            out |= {k: str(obj[k]) for k in KEEP if isinstance(obj.get(k), str | int)}
            return out
    raise InputError(
        f"{where} record {n} is neither an Alpaca record (instruction, input, output) nor a "
        "chat (messages with a user turn)"
    )


def read_seed(path: Path) -> list[dict]:
    """The records of a seed file (see the module docstring); ids unique, prompts not empty."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"seed file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            objs = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"seed file {path} is not valid JSON: {exc}") from None
        if not isinstance(objs, list):
            raise InputError(f"seed file {path} must hold a JSON list of records (Alpaca)")
    elif suffix == ".jsonl":
        objs = read_json_lines(path)
    elif suffix == ".parquet":
        pq = require("pyarrow.parquet", "parquet", f"reading the Parquet seed file {path}")
        try:
            objs = pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError(f"{path} is not a readable Parquet file: {exc}") from None
    else:
        raise InputError(
            f"seed file {path} has the unknown format '{suffix or '(no extension)'}'; give "
            f"Alpaca JSON (.json), chat or Alpaca JSONL (.jsonl) or Parquet (.parquet)"
        )
    rows = [_record(o, n, f"seed file {path}") for n, o in enumerate(objs)]
    if not rows:
        raise InputError(f"seed file {path} holds no record")
    seen: set[str] = set()
    for r in rows:
        if r["id"] in seen:
            raise InputError(f"seed file {path} has the id {r['id']!r} twice; ids must be unique")
        if not r["prompt"].strip():
            raise InputError(f"seed file {path} record {r['id']} has an empty instruction")
        seen.add(r["id"])
    return rows


def read_records(path: Path, *, need: Iterable[str] = (), stage: str = "distill") -> list[dict]:
    """Records written by an earlier distill stage (or a seed file), each with fields `need`."""
    rows = read_seed(path)
    for field in need:
        bare = [r["id"] for r in rows if r.get(field) is None]
        if bare:
            raise InputError(
                f"{stage}: {len(bare)} records of {path} have no '{field}' (first: {bare[0]}); "
                f"give the output of the stage that writes it"
            )
    return rows


def backend(
    model: str | None,
    served_model: str | None,
    what: str,
    served_flag: str = "--served-model",
    **client,
):
    """A Backend over `model`: an endpoint URL (with `served_model`) or a local HF folder."""
    flag = "--" + what.replace("_", "-")
    return backend_for(model, served_model, flag=flag, served_flag=served_flag, **client)


def each_chunk(
    rows: list[dict],
    log: ItemLog,
    solve: Callable[[list[dict]], list[dict]],
    *,
    desc: str,
    progress: bool = True,
) -> list[dict]:
    """Run `solve` over the rows not yet in `log`, a chunk at a time, appending each chunk's
    results (dicts with the row's id) as it finishes; then every row's stored result."""
    from tqdm import tqdm

    todo = [r for r in rows if r["id"] not in log.done]
    bar = tqdm(total=len(rows), initial=len(rows) - len(todo), desc=desc, disable=not progress)
    for s in range(0, len(todo), CHUNK):
        chunk = todo[s : s + CHUNK]
        log.extend(solve(chunk))
        bar.update(len(chunk))
    bar.close()
    return [log.get(r["id"]) for r in rows]


def user(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]
