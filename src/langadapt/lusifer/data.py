"""LUSIFER's training files: JSONL rows of texts and of (query, positive, negatives).

One JSON object per line. The fields, as in the authors' processed data sets:

- `query`: the query text;
- `positive` (or `positives`): one text or a list of texts relevant to the query;
- `negatives` (or `negative`): zero or more hard negatives (a text or a list);
- `instruction` (optional): the task instruction of this row's data set (LUSIFER uses one per
  data set, e.g. "Given a question, retrieve Wikipedia passages that answer the question");
  rows without one take the stage's `--instruction`;
- `text`: a plain text, for the alignment stage's reconstruction task only.

Errors name the file and line: a row without a query or a positive, fields of the wrong type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from langadapt.corpus import iter_json_lines
from langadapt.errors import InputError


@dataclass(frozen=True)
class Row:
    """One training row (see the module docstring); `where` is "FILE line N"."""

    where: str
    query: str | None
    positives: tuple[str, ...]
    negatives: tuple[str, ...]
    instruction: str | None
    text: str | None


def _texts(obj: dict, names: tuple[str, ...], where: str) -> tuple[str, ...]:
    for name in names:
        if name not in obj or obj[name] is None:
            continue
        value = obj[name]
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputError(f"{where}: '{name}' must be a text or a list of texts")
        return tuple(v for v in values if v.strip())
    return ()


def _string(obj: dict, name: str, where: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise InputError(f"{where}: '{name}' must be a text, not {type(value).__name__}")
    return value if value and value.strip() else None


def read_rows(paths: Sequence[Path]) -> list[Row]:
    """Every row of the JSONL files, checked for types (not yet for what a stage needs)."""
    rows = []
    for path in paths:
        for where, obj in iter_json_lines(Path(path)):
            if not isinstance(obj, dict):
                raise InputError(f"{where} is a {type(obj).__name__}, not a JSON object")
            rows.append(
                Row(
                    where,
                    _string(obj, "query", where),
                    _texts(obj, ("positive", "positives", "pos"), where),
                    _texts(obj, ("negatives", "negative", "neg"), where),
                    _string(obj, "instruction", where),
                    _string(obj, "text", where),
                )
            )
    if not rows:
        raise InputError(f"{', '.join(map(str, paths))} holds no rows")
    return rows


def contrastive_rows(paths: Sequence[Path]) -> list[Row]:
    """Rows for contrastive training: each needs a query and at least one positive."""
    rows = read_rows(paths)
    for row in rows:
        if row.query is None:
            raise InputError(f"{row.where} has no 'query'; every contrastive row needs one")
        if not row.positives:
            raise InputError(
                f"{row.where} has no positive (a 'positive' text or a 'positives' list); "
                "every contrastive row needs at least one relevant text"
            )
    return rows


def alignment_pairs(
    paths: Sequence[Path], task: str, instruction: str, reconstruct_instruction: str
) -> list[tuple[str, str, str]]:
    """(instruction, encoder text, LLM target) triples for the alignment stage.

    - reconstruction: the encoder reads a text, the LLM writes the same text back; from each
      row's `text`, else its query and each positive;
    - completion: the encoder reads a query, the LLM writes its first positive.
    `task` is 'reconstruction', 'completion' or 'both'.
    """
    out = []
    for row in read_rows(paths):
        mine = []
        if task in ("reconstruction", "both"):
            texts = [row.text] if row.text else [t for t in (row.query, *row.positives) if t]
            mine += [(reconstruct_instruction, t, t) for t in texts]
        if task in ("completion", "both") and row.query and row.positives:
            mine.append((row.instruction or instruction, row.query, row.positives[0]))
        out += mine
        if not mine or (task == "completion" and not (row.query and row.positives)):
            raise InputError(
                f"{row.where} gives no {task} example: a completion row needs 'query' and "
                "'positive', a reconstruction row 'text' (or a query or positive)"
            )
    return out
