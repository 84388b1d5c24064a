"""Run artifacts: one output folder per stage, written atomically, with `manifest.json`.

A stage calls::

    run = StageRun("vocab.extend", out, inputs={"base": base, "corpus": corpus},
                   options={...}, force=force)
    if run.up_to_date():
        return out
    with run.writing() as tmp:      # a temporary folder beside `out`
        ...write the artifact into tmp...
        run.results["added"] = n    # recorded in the manifest
    return out

`writing()` renames the temporary folder into place only when the block succeeds, so a crash
never leaves a half-written folder that looks complete. A stage that persists partial work for
resuming (teacher calls, training checkpoints) passes `resumable=True`: its temporary folder,
`.<name>.partial`, then survives a failure and is reused by the next run with the same
fingerprint, and wiped when the fingerprint differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from langadapt.errors import InputError, OutputExistsError

MANIFEST = "manifest.json"
_FULL_HASH_LIMIT = 256 * 2**20  # files above this are fingerprinted by sampled blocks
_SAMPLE_BLOCKS = 16
_BLOCK = 2**20
_VERSIONED = (
    "torch",
    "transformers",
    "tokenizers",
    "sentencepiece",
    "safetensors",
    "peft",
    "accelerate",
)


def file_digest(path: Path) -> str:
    """sha256 of a file; for files over 256 MiB, of its size and 16 evenly spaced 1 MiB blocks.

    The sampled form ('sampled-sha256:') keeps re-runs over 14 GB checkpoints cheap while still
    catching replaced or rewritten weights.
    """
    size = path.stat().st_size
    h = hashlib.sha256()
    with open(path, "rb") as f:
        if size <= _FULL_HASH_LIMIT:
            for block in iter(lambda: f.read(_BLOCK), b""):
                h.update(block)
            return "sha256:" + h.hexdigest()
        h.update(str(size).encode())
        step = (size - _BLOCK) // (_SAMPLE_BLOCKS - 1)
        for i in range(_SAMPLE_BLOCKS):
            f.seek(i * step)
            h.update(f.read(_BLOCK))
    return "sampled-sha256:" + h.hexdigest()


def path_digest(path: Path) -> str:
    """Content digest of a file, or of a folder (every file below it, by relative path)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input {path} does not exist")
    if path.is_file():
        return file_digest(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = f.relative_to(path).as_posix()
        if rel == MANIFEST or rel.startswith("."):
            continue  # our own bookkeeping does not change what the artifact is
        h.update(rel.encode() + b"\0" + file_digest(f).encode() + b"\n")
    return "tree-sha256:" + h.hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def versions() -> dict[str, str]:
    """Versions of Python, langadapt and the core libraries, without importing them."""
    out = {"python": platform.python_version()}
    for name in ("langadapt", *_VERSIONED):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "langadapt":
                from langadapt import __version__

                out[name] = __version__
    return out


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of an artifact folder, or None when it has none or it is unreadable."""
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file that appears at `path` (by rename) only when the block succeeds.

    The one atomic file write of the package: readers never see a half-written file, and a
    failure leaves `path` as it was. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, data: str | bytes) -> None:
    """Write text (UTF-8, newlines as given) or bytes to `path` atomically."""
    with atomic_file(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON (indented, non-ASCII kept, final newline) to `path` atomically."""
    write_text_atomic(path, json.dumps(_jsonable(data), indent=2, ensure_ascii=False) + "\n")


def cache_root() -> Path:
    """Where langadapt keeps caches (the zoo, the demo run, test tokenizers).

    $LANGADAPT_CACHE when set, else $XDG_CACHE_HOME/langadapt, else ~/.cache/langadapt.
    """
    if os.environ.get("LANGADAPT_CACHE"):
        return Path(os.environ["LANGADAPT_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "langadapt"


def _inputs_list(inputs: dict[str, Path | list[Path] | None]) -> list[tuple[str, Path]]:
    out = []
    for name, value in inputs.items():
        if value is None:
            continue
        for p in value if isinstance(value, (list, tuple)) else [value]:
            out.append((name, Path(p)))
    return out


class StageRun:
    """Bookkeeping of one stage run writing one output folder (see the module docstring)."""

    def __init__(
        self,
        stage: str,
        out: Path,
        *,
        inputs: dict[str, Path | list[Path] | None],
        options: dict[str, Any],
        force: bool = False,
        resumable: bool = False,
        log=print,
    ):
        self.stage = stage
        self.out = Path(out).expanduser().absolute()
        self.options = {k: v for k, v in options.items() if k not in ("out", "force")}
        self.force = force
        self.resumable = resumable
        self.results: dict[str, Any] = {}
        self.log = log
        self._inputs = _inputs_list(inputs)
        for name, p in self._inputs:
            p = p.expanduser().absolute()
            if p == self.out or self.out.is_relative_to(p) and p.is_dir():
                raise OutputExistsError(
                    f"--out {self.out} lies inside the input folder --{name.replace('_', '-')} "
                    f"{p}; write the output somewhere else"
                )
        self.input_digests = {f"{name}:{p}": path_digest(p) for name, p in self._inputs}
        blob = json.dumps(
            {"stage": stage, "options": _jsonable(self.options), "inputs": self.input_digests},
            sort_keys=True,
        )
        self.fingerprint = hashlib.sha256(blob.encode()).hexdigest()
        self.partial = self.out.with_name(f".{self.out.name}.partial")

    def up_to_date(self) -> bool:
        """True when `out` holds a complete artifact of this stage with these options and inputs.

        Raises OutputExistsError when `out` exists but holds something else, unless `force`.
        """
        if not self.out.exists():
            return False
        manifest = read_manifest(self.out)
        matches = (
            manifest is not None
            and manifest.get("status") == "complete"
            and manifest.get("fingerprint") == self.fingerprint
        )
        if matches and not self.force:
            self.log(
                f"{self.stage}: {self.out} is up to date (same options and inputs); "
                "pass --force to redo it"
            )
            return True
        if self.force:
            return False
        what = "another run" if manifest else "something that is not a langadapt artifact"
        raise OutputExistsError(
            f"output folder {self.out} already exists and holds {what}; choose a new --out, "
            "or pass --force to replace it"
        )

    @contextmanager
    def writing(self) -> Iterator[Path]:
        """Yield a temporary folder; on success write the manifest and move it to `out`."""
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = (
            self.partial
            if self.resumable
            else self.out.with_name(f".{self.out.name}.tmp-{os.getpid()}")
        )
        stamp = tmp / ".fingerprint"
        if tmp.exists() and not (
            self.resumable and stamp.is_file() and stamp.read_text() == self.fingerprint
        ):
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        stamp.write_text(self.fingerprint)
        started = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        try:
            yield tmp
        except BaseException:
            if not self.resumable:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        stamp.unlink(missing_ok=True)
        manifest = {
            "stage": self.stage,
            "status": "complete",
            "fingerprint": self.fingerprint,
            "options": self.options,
            "inputs": [
                {"name": name, "path": str(p), "digest": self.input_digests[f"{name}:{p}"]}
                for name, p in self._inputs
            ],
            "results": self.results,
            "versions": versions(),
            "command": sys.argv,
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        write_json_atomic(tmp / MANIFEST, manifest)
        old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
        if self.out.exists():
            os.replace(self.out, old)
        os.replace(tmp, self.out)
        shutil.rmtree(old, ignore_errors=True)
