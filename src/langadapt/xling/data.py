"""`langadapt xling data`: the paper's instruction files as one `sft` training file.

The released training files of Chirkova & Nikoulina (pasero's `lima.en.jsonl`, and Dolly's
`dolly.{en,fr,pt,ru}.jsonl` in the same layout) hold one conversation per line as
`{"conversations": [user, assistant, user, ...]}`: bare strings that alternate, the user first.
This stage turns them into chats `{"messages": [{"role", "content"}, ...]}`, which `sft` reads;
records that already are chats or Alpaca records are kept as they are. Several files are mixed
(the paper's multilingual variant: English plus its translations), shuffled with `seed`, each
cut to its first `limit` conversations when `limit` is given.
"""

from __future__ import annotations

import random
from pathlib import Path

from langadapt.artifacts import StageRun
from langadapt.corpus import iter_json_lines, write_json_lines
from langadapt.errors import InputError


def _chat(rec: object, where: str) -> object:
    if isinstance(rec, dict) and "conversations" in rec:
        turns = rec["conversations"]
        if not (isinstance(turns, list) and turns and all(isinstance(t, str) for t in turns)):
            raise InputError(f"{where}: 'conversations' must be a non-empty list of strings")
        if len(turns) % 2:
            raise InputError(
                f"{where}: {len(turns)} turns; a conversation alternates user and assistant and "
                "ends with the assistant's answer"
            )
        roles = ("user", "assistant")
        return {"messages": [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]}
    if (
        isinstance(rec, dict)
        and ("messages" in rec or "instruction" in rec)
        or isinstance(rec, list)
    ):
        return rec
    raise InputError(
        f"{where}: not a conversation: expected 'conversations' (the paper's files), "
        "'messages' (chat) or 'instruction'/'output' (Alpaca)"
    )


def run(
    *,
    data: list[Path],
    out: Path,
    limit: int | None = None,
    seed: int = 0,
    force: bool = False,
) -> Path:
    """Turn the paper's instruction files into one shuffled chat file for `sft`.

    Args:
        data: JSONL files: the paper's {"conversations": [...]} records, chats or Alpaca.
        out: output folder: train.jsonl (chats), manifest.json.
        limit: keep only the first N conversations of each file.
        seed: seed of the shuffle that mixes the files.
        force: replace an existing output folder.
    """
    if not data:
        raise InputError("no --data given: pass the instruction files to mix")
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, not {limit}")
    run_ = StageRun("xling data", out, inputs={"data": list(map(Path, data))},
                    options={"limit": limit, "seed": seed}, force=force)  # fmt: skip
    if run_.up_to_date():
        return out
    rows, counts = [], {}
    for path in map(Path, data):
        if not path.is_file():
            raise InputError(f"--data {path} does not exist")
        got = []
        for where, rec in iter_json_lines(path):
            if limit is not None and len(got) >= limit:
                break
            got.append(_chat(rec, where))
        if not got:
            raise InputError(f"--data {path} holds no conversations")
        counts[path.name] = len(got)
        rows += got
    random.Random(seed).shuffle(rows)
    with run_.writing() as tmp:
        write_json_lines(tmp / "train.jsonl", rows)
        run_.results.update({"conversations": len(rows), "per_file": counts})
    print(
        f"xling data: {len(rows)} conversations ({', '.join(f'{k}: {v}' for k, v in counts.items())})"
    )
    return out
