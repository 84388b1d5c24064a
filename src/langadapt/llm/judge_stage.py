"""The `langadapt judge` stage: score answers with one or more judges, side by side.

Reads a JSONL file of items (`id`, `prompt`, `answer`, and what the judges compare with:
`reference` text, `answers` (accepted answers) or `modifier` (a rule), as the world's eval
files hold them), runs each named judge (`langadapt ls judge`) and writes:

- `verdicts.jsonl`: per item, each judge's score in [0, 1] (null = unparseable) and raw output;
- `summary.json`: per judge the mean score, items scored and unparseable; per pair of judges
  their agreement (`judges.agreement`).

Verdicts are appended to `items/<judge>.jsonl` (an `ItemLog`) chunk by chunk inside the partial
folder, and endpoint calls are cached (`llm.cache`), so a killed run redoes only what is missing.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

from langadapt import registry
from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.corpus import read_json_lines, write_json_lines
from langadapt.errors import InputError
from langadapt.itemlog import ItemLog
from langadapt.llm.backends import backend_for
from langadapt.llm.clientopts import Client

_CHUNK = 256  # items per persisted batch (an endpoint runs a chunk's calls concurrently)


def _items(path: Path) -> list[dict]:
    rows = read_json_lines(path)
    if not rows:
        raise InputError(f"--answers {path} holds no items; give a JSONL file of answers")
    seen: set[str] = set()
    for n, r in enumerate(rows, 1):
        missing = [k for k in ("prompt", "answer") if not isinstance(r, dict) or k not in r]
        if missing:
            raise InputError(
                f"--answers {path} record {n} lacks {', '.join(missing)}; every record needs "
                "id, prompt and answer"
            )
        r["id"] = str(r.get("id", n))
        if r["id"] in seen:
            raise InputError(f"--answers {path} has the id {r['id']!r} twice; ids must be unique")
        seen.add(r["id"])
    return rows


def _reference(rec: dict, world: bool):
    """What a judge compares with: the world judge wants the rule or the accepted answers,
    a model judge the reference text (else the accepted answers)."""
    if world:
        for key in ("modifier", "answers"):
            if rec.get(key) is not None:
                return {key: rec[key]}
    ref = rec.get("reference")
    return ref if ref is not None else rec.get("answers")


def _backend(judge_model: str | None, served_model: str | None, **client):
    if judge_model is None:
        raise InputError("a judge that asks a model needs --judge-model (a folder or a URL)")
    return backend_for(judge_model, served_model, flag="--judge-model", **client)


def run(
    *,
    answers: Path,
    out: Path,
    judges: list[str] = ["world"],  # noqa: B006 (never mutated)
    judge_model: str | None = None,
    served_model: str | None = None,
    api_key_env: str | None = None,
    template: Path | None = None,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Score answers with judges (an LLM through a prompt template, the world's exact rules).

    Args:
        answers: JSONL of items: id, prompt, answer, plus reference / answers / modifier.
        out: output folder: verdicts.jsonl, summary.json, manifest.json.
        judges: judge names (`langadapt ls judge`), run side by side and compared.
        judge_model: the model a judge asks: a local HF folder, or an OpenAI-compatible
            endpoint URL (http://HOST:PORT/v1).
        served_model: the model name at the endpoint (with an endpoint --judge-model).
        api_key_env: name of the environment variable holding the endpoint's API key (the
            key itself is never written anywhere).
        template: Jinja prompt template of the llm judge (default: the shipped one).
        client: how an endpoint --judge-model is called: requests in flight, timeout,
            retries, call cache (llm/clientopts.py); a model folder ignores it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    methods = [registry.get("judge", j) for j in judges]
    if not methods:
        raise InputError("no judge given: pass --judges (see `langadapt ls judge`)")
    rows = _items(Path(answers))
    for m in methods:
        if m.traits["needs_reference"]:
            bare = [r["id"] for r in rows if _reference(r, True) is None]
            if bare:
                raise InputError(
                    f"judge {m.name} needs a reference on every item; {len(bare)} items of "
                    f"{answers} have none (first: {bare[0]})"
                )
    if template is not None and any(m.name == "llm" for m in methods):
        from langadapt.llm.judges import load_template

        load_template(template)  # an unknown variable fails here, before any call
    backend = None
    if any(m.traits["needs_backend"] for m in methods):
        backend = _backend(
            judge_model,
            served_model,
            api_key_env=api_key_env,
            progress=progress,
            **client.kwargs(),
        )
    run_ = StageRun(
        "judge",
        out,
        inputs={"answers": Path(answers), "template": template},
        options={
            "judges": list(judges),
            "judge_model": judge_model,
            "served_model": served_model,
            "api_key_env": api_key_env,
        },
        force=force,
        resumable=True,
    )
    if run_.up_to_date():
        return out
    with run_.writing() as tmp:
        verdicts: dict[str, list[dict]] = {}
        for m in methods:
            log = ItemLog(tmp / "items" / f"{m.name}.jsonl")
            todo = [r for r in rows if r["id"] not in log.done]
            kwargs = {"template": template} if template is not None and m.name == "llm" else {}
            for s in range(0, len(todo), _CHUNK):
                chunk = todo[s : s + _CHUNK]
                items = [
                    {
                        "id": r["id"],
                        "prompt": r["prompt"],
                        "answer": r["answer"],
                        "reference": _reference(r, m.traits["needs_reference"]),
                    }
                    for r in chunk
                ]
                res = m.func(items, backend=backend, **kwargs)
                log.extend({"id": r["id"]} | v for r, v in zip(chunk, res))
            verdicts[m.name] = [log.get(r["id"]) for r in rows]
        write_json_lines(
            tmp / "verdicts.jsonl",
            (
                {"id": r["id"]}
                | {f"{j}_score": verdicts[j][i]["score"] for j in verdicts}
                | {f"{j}_raw": verdicts[j][i]["raw"] for j in verdicts if verdicts[j][i]["raw"]}
                for i, r in enumerate(rows)
            ),
        )
        summary = {"judges": {}, "agreement": {}}
        for j, vs in verdicts.items():
            scored = [v["score"] for v in vs if v["parsed"]]
            summary["judges"][j] = {
                "mean": sum(scored) / len(scored) if scored else None,
                "scored": len(scored),
                "unparseable": len(vs) - len(scored),
            }
        from langadapt.llm.judges import agreement

        for a, b in combinations(verdicts, 2):
            summary["agreement"][f"{a}~{b}"] = agreement(verdicts[a], verdicts[b])
        write_json_atomic(tmp / "summary.json", summary)
        run_.results.update({j: s["mean"] for j, s in summary["judges"].items()})
        for j, s in summary["judges"].items():
            print(
                f"judge {j}: mean {s['mean']}, {s['scored']} scored, {s['unparseable']} unparseable"
            )
    return out
