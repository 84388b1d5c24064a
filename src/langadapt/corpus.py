"""Streaming corpus readers: plain text, JSONL and Parquet, one path or many; the JSONL writer.

A corpus is a list of files (a folder stands for the .txt/.jsonl/.parquet files inside it).
Plain text yields one item per line (line endings removed, blank lines skipped); JSONL yields
the string field `field` of each object; Parquet the column `field`. Every problem a user can
cause (missing file, non-UTF-8 bytes, malformed JSON, missing field, no text at all) raises
`InputError` naming the file and line and what to do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langadapt.artifacts import atomic_file
from langadapt.errors import InputError, require

SUFFIXES = (".txt", ".text", ".jsonl", ".json", ".parquet")


def _expand(paths: Sequence[Path | str]) -> list[Path]:
    out: list[Path] = []
    if not paths:
        raise InputError("no corpus given: pass one or more files with --corpus")
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES and f.is_file())
            if not found:
                raise InputError(f"corpus folder {p} holds no {'/'.join(SUFFIXES)} files")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"corpus file {p} does not exist")
    return out


def _decode(raw: bytes, path: Path, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"corpus file {path} is not UTF-8 (line {lineno}, byte {exc.start}: "
            f"{raw[exc.start : exc.start + 4]!r}); convert it, e.g. "
            f"`iconv -f cp1251 -t utf-8 {path.name} > {path.stem}.utf8{path.suffix}`"
        ) from None


_READ_BLOCK = 8 * 2**20


def _iter_text(path: Path) -> Iterator[str]:
    # Decoding 8 MiB blocks and splitting them at "\n" is several times faster than reading
    # line by line (tokenizer training reads tens of GB); lines are the same: split at b"\n"
    # only, one "\r" of a "\r\n" ending removed.
    lineno = 0
    rest = b""
    with open(path, "rb") as f:
        while True:
            block = f.read(_READ_BLOCK)
            data = rest + block
            cut = len(data) if not block else data.rfind(b"\n") + 1
            chunk, rest = data[:cut], data[cut:]
            if not chunk:
                if not block:
                    return
                continue
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError as exc:  # name the line, as the line reader would
                start = chunk.rfind(b"\n", 0, exc.start) + 1
                end = chunk.find(b"\n", exc.start)
                raw = chunk[start : len(chunk) if end < 0 else end + 1]
                _decode(raw, path, lineno + chunk.count(b"\n", 0, start) + 1)
                raise  # pragma: no cover - _decode raised already
            lineno += chunk.count(b"\n")
            lines = text.split("\n")
            last = lines.pop()  # "" when the chunk ends with "\n", else an unterminated line
            for line in lines:
                line = line[:-1] if line.endswith("\r") else line
                if line.strip():
                    yield line
            if last.strip():
                yield last
            if not block:
                return


def iter_json_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """("PATH line N", value) for every non-blank line of a JSONL file.

    The one JSONL reader of the package: non-UTF-8 bytes and malformed JSON raise InputError
    naming the file and line. Callers check the shape of each value themselves.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            line = _decode(raw, path, lineno)
            if not line.strip():
                continue
            try:
                yield f"{path} line {lineno}", json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path} line {lineno} is not valid JSON ({exc.msg}); each line must be "
                    "one JSON value"
                ) from None


def read_json_lines(path: Path) -> list[Any]:
    """Every value of a JSONL file, as a list (see `iter_json_lines` for the errors)."""
    return [value for _, value in iter_json_lines(path)]


def write_json_lines(path: Path, rows: Iterable[Any]) -> int:
    """Write a JSONL file atomically (one value per line, non-ASCII kept); returns the count.

    The one JSONL writer of the package, the mirror of `iter_json_lines`. (Loops that append
    finished items one batch at a time use `langadapt.itemlog.ItemLog` instead.)
    """
    n = 0
    with atomic_file(path) as f:
        for row in rows:
            f.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            n += 1
    return n


def _iter_jsonl(path: Path, field: str) -> Iterator[str]:
    for where, obj in iter_json_lines(path):
        if not isinstance(obj, dict) or field not in obj:
            keys = ", ".join(obj) if isinstance(obj, dict) else type(obj).__name__
            raise InputError(
                f"{where} has no field '{field}' (it has: {keys}); "
                "name the text field with --text-field"
            )
        if not isinstance(obj[field], str):
            raise InputError(f"{where}: field '{field}' is not a string")
        if obj[field].strip():
            yield obj[field]


def _iter_parquet(path: Path, field: str) -> Iterator[str]:
    pq = require("pyarrow.parquet", "parquet", f"reading the Parquet corpus {path}")
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise InputError(f"{path} is not a readable Parquet file: {exc}") from None
    if field not in pf.schema_arrow.names:
        raise InputError(
            f"{path} has no column '{field}' (it has: {', '.join(pf.schema_arrow.names)}); "
            "name the text column with --text-field"
        )
    for batch in pf.iter_batches(columns=[field], batch_size=4096):
        for value in batch.column(0).to_pylist():
            if isinstance(value, str) and value.strip():
                yield value


class Corpus:
    """A re-iterable stream of texts from one or more files; see the module docstring."""

    def __init__(self, paths: Sequence[Path | str] | Path | str, field: str = "text"):
        if isinstance(paths, (str, Path)):
            paths = [paths]
        self.files = _expand(paths)
        self.field = field

    @property
    def total_bytes(self) -> int:
        """Size of all files, for progress bars."""
        return sum(f.stat().st_size for f in self.files)

    def iter_file(self, path: Path) -> Iterator[str]:
        """The texts of one file of this corpus."""
        if path.suffix == ".parquet":
            return _iter_parquet(path, self.field)
        if path.suffix in (".jsonl", ".json"):
            return _iter_jsonl(path, self.field)
        return _iter_text(path)

    def __iter__(self) -> Iterator[str]:
        n = 0
        for path in self.files:
            for text in self.iter_file(path):
                n += 1
                yield text
        if n == 0:
            names = ", ".join(str(f) for f in self.files)
            raise InputError(f"corpus {names} holds no text; give a file with at least one line")

    def texts(self, limit: int | None = None) -> list[str]:
        """The first `limit` texts (all when None) as a list."""
        out = []
        for text in self:
            out.append(text)
            if limit is not None and len(out) >= limit:
                break
        return out
