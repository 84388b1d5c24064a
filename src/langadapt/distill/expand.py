"""`langadapt distill expand`: the teacher writes new instructions like the hard seeds.

TAPIR (arXiv 2405.13448, section 3.2) enlarges the set of instructions the student finds hard:
the teacher is shown a few hard seeds of one task type and writes a new instruction like them.
Here each call shows `--shots` exemplars of one label, sampled without replacement by a
generator seeded with (seed, label, attempt), and asks for one instruction in
`<instruction>` tags (the prompt is a Jinja file, `prompts/expand.jinja`; variables `label`,
`examples`). Each label has a quota (default: as many new instructions as it has exemplars,
`--n` spread over labels by their exemplar counts with largest-remainder rounding; or a
`--quotas` file). A reply is kept when it is not an exact or near duplicate (`dedup.py`) of a
seed nor of an instruction kept before it; calls go on in rounds, each asking a label for its
missing count, until every quota is met or a label has used `--max-calls-factor` x its quota
calls (the shortfall is reported, never padded).

Every call is in the item log (its id `label#attempt`) and the endpoint's call cache, and the
dedup decisions are recomputed from the logged replies, so a killed run resumes where it was.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from pathlib import Path
from typing import Literal

import yaml

from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.corpus import write_json_lines
from langadapt.distill import balance, dedup, records
from langadapt.errors import ConfigError, InputError
from langadapt.itemlog import ItemLog
from langadapt.llm import template_file
from langadapt.llm.clientopts import Client

DEFAULT_PROMPT = Path(__file__).parent / "prompts" / "expand.jinja"
_TAG = re.compile(r"<instruction>(.*?)(?:</instruction>|$)", re.S | re.I)


def parse_instruction(reply: str) -> str:
    """The text of the reply's last `<instruction>` tag (an unclosed one runs to the end), else
    the whole reply; surrounding whitespace and quotes dropped."""
    found = _TAG.findall(reply)
    text = found[-1] if found else reply
    return text.strip().strip('"').strip()


def read_quotas(path: Path, labels: list[str]) -> dict[str, int]:
    """A YAML/JSON `label: count` file; counts are whole numbers >= 0 of labels with exemplars."""
    try:
        table = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"--quotas {path} is not a readable YAML/JSON file: {exc}") from None
    if not isinstance(table, dict) or not table:
        raise InputError(f"--quotas {path} must map labels to counts, e.g. 'Math: 20'")
    out = {}
    for k, v in table.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InputError(f"--quotas {path}: the count of {k!r} must be a whole number >= 0")
        if str(k) not in labels:
            raise InputError(
                f"--quotas {path} names {k!r}, which has no exemplar in the data; labels with "
                f"exemplars: {', '.join(labels)}"
            )
        out[str(k)] = v
    return out


def run(
    *,
    data: Path,
    out: Path,
    teacher: str,
    served_model: str | None = None,
    api_key_env: str | None = None,
    seeds: Path | None = None,
    n: int | None = None,
    quotas: Path | None = None,
    shots: int = 3,
    max_calls_factor: float = 3.0,
    prompt: Path | None = None,
    temperature: float = 0.7,
    max_new_tokens: int = 256,
    fuzz_threshold: float = 90.0,
    jaccard_threshold: float = 0.8,
    dedup_method: Literal["auto", "fuzz", "minhash"] = "auto",
    seed: int = 0,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """The teacher writes new instructions like the given (hard) ones, per label, deduplicated.

    Args:
        data: the exemplars: labelled records (distill difficulty's hard.jsonl after classify).
        out: output folder: expanded.jsonl (the new instructions), all.jsonl (exemplars and
            new), summary.json.
        teacher: the teacher: a local HF folder or an OpenAI-compatible endpoint URL.
        served_model: the teacher's model name at the endpoint.
        api_key_env: name of the variable holding the endpoint's API key.
        seeds: every seed instruction, which new ones must differ from (default: the data).
        n: new instructions in all, spread over labels by exemplar counts (default: as many
            as exemplars).
        quotas: a YAML/JSON file `label: count` instead of --n.
        shots: exemplars shown per call (fewer when a label has fewer).
        max_calls_factor: a label stops after this many calls per instruction of its quota.
        prompt: Jinja prompt file (variables label, examples; default shipped).
        temperature: the teacher's sampling temperature (a choice: new text needs sampling).
        max_new_tokens: longest reply, in tokens.
        fuzz_threshold: rapidfuzz ratio (0-100) at or above which two texts are duplicates.
        jaccard_threshold: MinHash LSH Jaccard threshold (pools beyond dedup.FUZZ_LIMIT).
        dedup_method: auto, fuzz or minhash.
        seed: seeds the exemplar sampling and each call's sampling.
        client: how an endpoint --teacher is called: requests in flight, timeout, retries,
            call cache (llm/clientopts.py); a model folder ignores it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    tpl = template_file.load_template(prompt, default=DEFAULT_PROMPT,
                                      variables={"label", "examples"},
                                      what="expand prompt", fills="expand fills")  # fmt: skip
    if shots < 1 or max_calls_factor <= 0:
        raise ConfigError(f"--shots must be >= 1 and --max-calls-factor > 0; got {shots}, "
                          f"{max_calls_factor}")  # fmt: skip
    rows = records.read_records(Path(data), need=["label"], stage="distill expand")
    by_label: dict[str, list[dict]] = {}
    for r in rows:
        by_label.setdefault(r["label"], []).append(r)
    labels = list(by_label)
    if quotas is not None:
        if n is not None:
            raise ConfigError("give --n or --quotas, not both")
        want = read_quotas(quotas, labels)
    else:
        if n is not None and n < 0:
            raise ConfigError(f"--n must be >= 0, not {n}")
        total = len(rows) if n is None else n
        want = balance.quotas({k: len(v) for k, v in by_label.items()}, total)
    refs = [r["prompt"] for r in (records.read_seed(Path(seeds)) if seeds else rows)]
    options = {k: v for k, v in locals().items() if k in (
        "teacher", "served_model", "n", "shots", "max_calls_factor", "temperature",
        "max_new_tokens", "fuzz_threshold", "jaccard_threshold", "dedup_method", "seed")}  # fmt: skip
    options["quotas_table"] = want
    run_ = StageRun("distill expand", out, options=options, force=force, resumable=True,
                    inputs={"data": Path(data), "seeds": seeds, "quotas": quotas,
                            "prompt": prompt})  # fmt: skip
    if run_.up_to_date():
        return out
    model = records.backend(teacher, served_model, "teacher", api_key_env=api_key_env,
                            **client.kwargs())  # fmt: skip

    def ask(chunk: list[dict]) -> list[dict]:
        res = []
        for s in sorted({c["seed"] for c in chunk}):  # one seed per generate call
            part = [c for c in chunk if c["seed"] == s]
            got = model.generate([records.user(c["text"]) for c in part], seed=s,
                                 max_new_tokens=max_new_tokens, temperature=temperature)  # fmt: skip
            res += [{"id": c["id"], "label": c["label"], "shots": c["shots"], "raw": g}
                    for c, g in zip(part, got)]  # fmt: skip
        return res

    with run_.writing() as tmp:
        t0 = time.perf_counter()
        log = ItemLog(tmp / "items" / "calls.jsonl")
        calls: dict[str, int] = dict.fromkeys(labels, 0)
        asked: list[str] = []  # call ids in the order asked: dedup keeps the first of a pair,
        # so a reply kept in one round stays kept in the next
        cap = {k: int(max_calls_factor * q + 0.999999) for k, q in want.items()}
        while True:
            replies = [log.get(i) for i in asked]
            kept, dropped = _kept(replies, refs, fuzz_threshold, jaccard_threshold,
                                  dedup_method, seed)  # fmt: skip
            have = Counter(r["label"] for r in kept)
            todo = []
            for k, q in want.items():
                for _ in range(min(q - have[k], cap[k] - calls[k])):
                    todo.append(_call(tpl, k, by_label[k], calls[k], shots, seed))
                    calls[k] += 1
                    asked.append(todo[-1]["id"])
            if not todo:
                break
            records.each_chunk(todo, log, ask, desc="expand", progress=progress)
        new, made = [], Counter()
        for r in kept:
            if made[r["label"]] < want[r["label"]]:  # a label never gets more than its quota
                made[r["label"]] += 1
                new.append({"id": f"x:{r['id']}", "prompt": r["text"], "label": r["label"],
                            "expanded": True, "shots": r["shots"]})  # fmt: skip
        write_json_lines(tmp / "expanded.jsonl", new)
        write_json_lines(tmp / "all.jsonl", [*rows, *new])
        per = {k: {"quota": want.get(k, 0), "made": made[k], "calls": calls[k]} for k in labels}
        summary = {"exemplars": len(rows), "new": len(new), "calls": sum(calls.values()),
                   "dropped": dropped, "short": sum(v["quota"] - v["made"] for v in per.values()),
                   "labels": per, "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
        write_json_atomic(tmp / "summary.json", summary)
        run_.results.update({k: v for k, v in summary.items() if k != "labels"})
        print(f"distill expand: {len(new)} new instructions from {summary['calls']} calls "
              f"(dropped {dropped}); {summary['short']} short of the quotas")  # fmt: skip
    return out


def _call(tpl, label: str, pool: list[dict], attempt: int, shots: int, seed: int) -> dict:
    rng = random.Random(f"{seed}:{label}:{attempt}")
    pick = rng.sample(pool, min(shots, len(pool)))
    text = tpl.render(label=label, examples=[r["prompt"] for r in pick])
    return {"id": f"{label}#{attempt}", "label": label, "text": text,
            "shots": [r["id"] for r in pick], "seed": seed * 100_003 + attempt}  # fmt: skip


def _kept(replies, refs, fuzz_threshold, jaccard_threshold, method, seed):
    """The replies that survive dedup (against `refs` and earlier replies), in call order."""
    texts = [parse_instruction(r["raw"]) for r in replies]
    keep, dropped = dedup.dedup(texts, refs, fuzz_threshold=fuzz_threshold,
                                jaccard_threshold=jaccard_threshold, method=method,
                                seed=seed + 1)  # fmt: skip
    return [replies[i] | {"text": texts[i]} for i in keep], dropped
