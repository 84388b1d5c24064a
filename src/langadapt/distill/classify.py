"""`langadapt distill classify`: a task label for every instruction, by a prompted model.

TAPIR (arXiv 2405.13448, section 3.2) sorts seed instructions into task types so it can
re-balance them. A model reads the prompt file (`prompts/classify.jinja`) filled with the
instruction and the taxonomy's labels and answers in `<answer>` tags; `taxonomy.parse_label`
reads the label (exact, else a whole-word match, else Others) and records how it was found, so
the distribution table says how many labels were exact, matched or defaulted to Others.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from langadapt.artifacts import StageRun, write_json_atomic, write_text_atomic
from langadapt.corpus import write_json_lines
from langadapt.distill import records, taxonomy
from langadapt.itemlog import ItemLog
from langadapt.llm.clientopts import Client


def distribution_markdown(labels: list[str], counts: Counter, how: Counter, n: int) -> str:
    """The label table (count and share per label, then how labels were read) as Markdown."""
    lines = ["| label | count | share |", "|---|---:|---:|"]
    for x in labels + sorted(set(counts) - set(labels)):
        lines.append(f"| {x} | {counts[x]} | {counts[x] / max(n, 1):.3f} |")
    lines += ["", "| read as | count |", "|---|---:|"]
    lines += [f"| {k} | {how[k]} |" for k in ("exact", "word", "none")]
    return "\n".join(lines) + "\n"


def run(
    *,
    data: Path,
    out: Path,
    model: str,
    served_model: str | None = None,
    api_key_env: str | None = None,
    taxonomy_file: Path | None = None,
    prompt: Path | None = None,
    max_new_tokens: int = 32,
    client: Client = Client(),  # noqa: B008 (frozen)
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Label every instruction with a task type from a taxonomy (a prompted model, <answer> tags).

    Args:
        data: records (distill seed's seed.jsonl) or a seed file.
        out: output folder: classified.jsonl (records with `label`), distribution.md/.json.
        model: the classifier: a local HF folder or an OpenAI-compatible endpoint URL.
        served_model: the classifier's model name at the endpoint.
        api_key_env: name of the environment variable holding the endpoint's API key.
        taxonomy_file: labels, one a line (default: TAPIR's 31 labels plus Others).
        prompt: Jinja prompt file (variables instruction, labels, fallback; default shipped).
        max_new_tokens: longest classifier reply, in tokens.
        client: how an endpoint --model is called: requests in flight, timeout, retries,
            call cache (llm/clientopts.py); a model folder ignores it.
        progress: show progress bars.
        force: replace an existing output folder.
    """
    labels = taxonomy.load_taxonomy(taxonomy_file)
    template = taxonomy.load_prompt(prompt)
    rows = records.read_records(Path(data), stage="distill classify")
    options = {
        "model": model, "served_model": served_model, "api_key_env": api_key_env,
        "max_new_tokens": max_new_tokens, "labels": labels,
    }  # fmt: skip
    run_ = StageRun(
        "distill classify", out,
        inputs={"data": Path(data), "taxonomy": taxonomy_file, "prompt": prompt},
        options=options, force=force, resumable=True,
    )  # fmt: skip
    if run_.up_to_date():
        return out
    clf = records.backend(model, served_model, "model", api_key_env=api_key_env,
                          **client.kwargs())  # fmt: skip
    with run_.writing() as tmp:
        t0 = time.perf_counter()

        def solve(chunk: list[dict]) -> list[dict]:
            chats = [
                records.user(
                    template.render(
                        instruction=r["prompt"], labels=labels, fallback=taxonomy.OTHERS
                    )
                )
                for r in chunk
            ]
            got = clf.generate(chats, max_new_tokens=max_new_tokens, temperature=0.0)
            res = []
            for r, reply in zip(chunk, got):
                label, how = taxonomy.parse_label(reply, labels)
                res.append({"id": r["id"], "label": label, "label_read": how, "label_raw": reply})
            return res

        log = ItemLog(tmp / "items" / "labels.jsonl")
        done = records.each_chunk(rows, log, solve, desc="classify", progress=progress)
        out_rows = [r | {k: d[k] for k in ("label", "label_read", "label_raw")}
                    for r, d in zip(rows, done)]  # fmt: skip
        write_json_lines(tmp / "classified.jsonl", out_rows)
        counts = Counter(r["label"] for r in out_rows)
        how = Counter(r["label_read"] for r in out_rows)
        n = len(out_rows)
        write_text_atomic(tmp / "distribution.md", distribution_markdown(labels, counts, how, n))
        dist = {"n": n, "labels": {x: counts[x] for x in labels}, "read": dict(how)}
        write_json_atomic(tmp / "distribution.json", dist)
        secs = round(time.perf_counter() - t0, 1)
        run_.results.update(records=n, others=counts[taxonomy.OTHERS], read=dict(how),
                            seconds=secs)  # fmt: skip
        print(
            f"distill classify: {n} records in {secs} s; Others {counts[taxonomy.OTHERS]}, "
            f"read exact {how['exact']}, by word {how['word']}, none {how['none']}"
        )
    return out
