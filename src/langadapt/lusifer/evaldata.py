"""`lusifer eval`'s data files: one JSONL file per task, its kind in its name.

A file is named `NAME.KIND.jsonl`, KIND one of the keys of `KINDS`; one JSON object a line:

- retrieval: `query`, `positive` (a text or a list; also `positives`), optional `negatives`
  (more corpus documents), `lang` (the query's language), `doc_lang` (the language of its
  positives and negatives). The corpus is every distinct document of the file; a query with a
  `doc_lang` searches only the documents of that language, so a file of en -> ru rows is
  cross-lingual retrieval. Rows with languages are also scored per `lang->doc_lang` pair.
- reranking: `query`, `positive`, `negatives`, optional `lang`: each query ranks its own
  candidates (its positives and negatives).
- sts: `text1`, `text2`, `score` (a number), optional `lang`.
- classification: `text`, `label` (a text or an integer), `split` (`train` or `test`),
  optional `lang`.
- clustering: `text`, `label`, optional `lang`.

Any row may carry `instruction`; a file's rows must agree on it (it is the task's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from langadapt.corpus import iter_json_lines
from langadapt.errors import InputError

KINDS = {
    "retrieval": ("query", "positive"),
    "reranking": ("query", "positive", "negatives"),
    "sts": ("text1", "text2", "score"),
    "classification": ("text", "label", "split"),
    "clustering": ("text", "label"),
}


@dataclass
class Task:
    """One task file, read: its items, in file order (fields by kind, see the docstring)."""

    name: str
    kind: str
    path: Path
    instruction: str | None = None
    rows: list[dict] = field(default_factory=list)


def kind_of(path: Path) -> tuple[str, str]:
    """(name, kind) from a file name `NAME.KIND.jsonl` (InputError naming the kinds)."""
    parts = Path(path).name.split(".")
    if len(parts) < 3 or parts[-1] != "jsonl" or parts[-2] not in KINDS:
        raise InputError(
            f"--data {path}: the file name must be NAME.KIND.jsonl with KIND one of "
            f"{', '.join(KINDS)} (e.g. xling.retrieval.jsonl); rename it"
        )
    return ".".join(parts[:-2]), parts[-2]


def _texts(obj: dict, names: tuple[str, ...], where: str) -> list[str]:
    for name in names:
        value = obj.get(name)
        if value is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputError(f"{where}: '{name}' must be a text or a list of texts")
        return [v for v in values if v.strip()]
    return []


def _text(obj: dict, name: str, where: str, *, required: bool = True) -> str | None:
    value = obj.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: '{name}' must be a non-empty text (got {value!r})")
    return value


def _row(obj: object, kind: str, where: str) -> dict:
    if not isinstance(obj, dict):
        raise InputError(f"{where} is a {type(obj).__name__}, not a JSON object")
    row = {"lang": _text(obj, "lang", where, required=False), "where": where}
    if kind in ("retrieval", "reranking"):
        row["query"] = _text(obj, "query", where)
        row["positives"] = _texts(obj, ("positive", "positives"), where)
        row["negatives"] = _texts(obj, ("negatives", "negative"), where)
        row["doc_lang"] = _text(obj, "doc_lang", where, required=False)
        if not row["positives"]:
            raise InputError(f"{where} has no 'positive'; every {kind} row needs one")
        if kind == "reranking" and not row["negatives"]:
            raise InputError(f"{where} has no 'negatives'; a reranking row ranks both kinds")
    elif kind == "sts":
        row["text1"], row["text2"] = _text(obj, "text1", where), _text(obj, "text2", where)
        score = obj.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise InputError(f"{where}: 'score' must be a number (got {score!r})")
        row["score"] = float(score)
    else:
        row["text"] = _text(obj, "text", where)
        label = obj.get("label")
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise InputError(f"{where}: 'label' must be a text or an integer (got {label!r})")
        row["label"] = str(label)
        if kind == "classification":
            if obj.get("split") not in ("train", "test"):
                raise InputError(f"{where}: 'split' must be 'train' or 'test'")
            row["split"] = obj["split"]
    return row


def _check(task: Task) -> None:
    kind, rows = task.kind, task.rows
    if kind == "classification":
        train = {r["label"] for r in rows if r["split"] == "train"}
        if len(train) < 2 or not any(r["split"] == "test" for r in rows):
            raise InputError(
                f"{task.path}: classification needs train rows of at least two labels and "
                f"some test rows (got {len(train)} train label(s))"
            )
    if kind in ("sts", "clustering") and len(rows) < 2:
        raise InputError(f"{task.path}: {kind} needs at least two rows")
    if kind == "clustering" and len({r["label"] for r in rows}) < 2:
        raise InputError(f"{task.path}: clustering needs at least two labels")


def read_task(path: Path) -> Task:
    """The task in a data file (InputError naming the file and line for a bad row)."""
    name, kind = kind_of(path)
    task = Task(name, kind, Path(path))
    instructions = set()
    for where, obj in iter_json_lines(Path(path)):
        task.rows.append(_row(obj, kind, where))
        instructions.add(obj.get("instruction"))
    if not task.rows:
        raise InputError(f"--data {path} holds no rows")
    if len(instructions) > 1:
        raise InputError(
            f"{path}: rows give different 'instruction's ({len(instructions)}); a task has one "
            "instruction: split the file or give every row the same one"
        )
    task.instruction = instructions.pop()
    _check(task)
    return task


def read_tasks(paths: list[Path]) -> list[Task]:
    """Every task of `--data`; two files of the same NAME.KIND are refused."""
    tasks = [read_task(p) for p in paths]
    seen: dict[tuple[str, str], Path] = {}
    for t in tasks:
        if (t.name, t.kind) in seen:
            raise InputError(
                f"--data {t.path} and {seen[(t.name, t.kind)]} are both task "
                f"'{t.name}.{t.kind}'; rename one"
            )
        seen[(t.name, t.kind)] = t.path
    return tasks
