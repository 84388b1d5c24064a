"""Streaming checkpoint surgery: replace a few tensors of a safetensors checkpoint on disk.

Embedding surgery (LEP init and propagate) changes two tensors of a 14 GB checkpoint, the input
embeddings `[vocab, hidden]` and the output head `[vocab, hidden]`. Loading the model for that
needs the whole checkpoint in memory; here only the replaced tensors are. A shard that holds no
replaced tensor is copied (or hard-linked) as a file; a shard that does is rewritten with a new
header, the new tensors' bytes, and every other tensor's raw bytes copied from the source, so
each untouched tensor is byte-identical to the input. The index file is rewritten.

Pickle checkpoints (`*.bin`) are read only when the caller allows it; their tensors are then
written out as safetensors shards with the same grouping.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from langadapt.errors import ModelError
from langadapt.models import weight_files

INDEX = "model.safetensors.index.json"
_COPY_BLOCK = 64 * 2**20
_DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


@dataclass(frozen=True)
class Streamed:
    """A replacement tensor produced in row blocks while it is written, never whole in memory.

    `blocks()` yields consecutive `[k, *shape[1:]]` tensors of `dtype` whose rows add up to
    `shape[0]`; it is called once, when the shard that holds the tensor is written.
    """

    shape: tuple[int, ...]
    dtype: torch.dtype
    blocks: Callable[[], Iterable[torch.Tensor]]


def _write_blocks(f, t: Streamed, name: str) -> None:
    rows = 0
    for block in t.blocks():
        if block.dtype != t.dtype or tuple(block.shape[1:]) != tuple(t.shape[1:]):
            raise RuntimeError(
                f"{name}: a block of {block.dtype} {tuple(block.shape)} does not fit {t}"
            )
        _write_all(f, _tensor_bytes(block))
        rows += block.shape[0]
    if rows != t.shape[0]:  # the header already promised shape[0] rows
        raise RuntimeError(f"{name}: the blocks gave {rows} rows, not {t.shape[0]}")


def read_header(path: Path) -> tuple[dict, int]:
    """The JSON header of a safetensors file and the byte offset where its data starts."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ModelError(f"{path} is not a safetensors file (shorter than 8 bytes)")
        (n,) = struct.unpack("<Q", raw)
        try:
            header = json.loads(f.read(n))
        except ValueError:
            raise ModelError(f"{path} is not a safetensors file (bad header)") from None
    return header, 8 + n


class Checkpoint:
    """The weight files of a model folder, addressed by tensor name; reads one tensor at a time."""

    def __init__(self, folder: Path, *, allow_pickle: bool = False):
        self.folder = Path(folder)
        self.files = weight_files(self.folder, allow_pickle)
        self.pickle = self.files[0].suffix != ".safetensors"
        self.where: dict[str, Path] = {}
        self.headers: dict[Path, tuple[dict, int]] = {}
        self._pickled: dict[Path, dict[str, torch.Tensor]] = {}
        for f in self.files:
            if self.pickle:
                # weights_only refuses arbitrary objects; mmap keeps the tensors on disk
                sd = torch.load(f, map_location="cpu", weights_only=True, mmap=True)
                self._pickled[f] = sd
                names = list(sd)
            else:
                self.headers[f] = read_header(f)
                names = [k for k in self.headers[f][0] if k != "__metadata__"]
            for name in names:
                self.where[name] = f

    @property
    def names(self) -> list[str]:
        return list(self.where)

    def _file(self, name: str) -> Path:
        if name not in self.where:
            raise ModelError(f"{self.folder}: the checkpoint has no tensor '{name}'")
        return self.where[name]

    def shape(self, name: str) -> tuple[int, ...]:
        f = self._file(name)
        if self.pickle:
            return tuple(self._pickled[f][name].shape)
        return tuple(self.headers[f][0][name]["shape"])

    def get(self, name: str) -> torch.Tensor:
        """One tensor, read from disk (a copy; the file is not kept mapped)."""
        f = self._file(name)
        if self.pickle:
            return self._pickled[f][name].clone()
        from safetensors import safe_open

        with safe_open(str(f), "pt") as h:
            return h.get_tensor(name)

    def dtype(self, name: str) -> torch.dtype:
        return self.get(name).dtype if self.pickle else _torch_dtype(self, name)


def _torch_dtype(ck: Checkpoint, name: str) -> torch.dtype:
    code = ck.headers[ck.where[name]][0][name]["dtype"]
    for dt, c in _DTYPES.items():
        if c == code:
            return dt
    raise ModelError(f"{ck.folder}: tensor '{name}' has unsupported dtype {code}")


def _copy_range(src, dst, start: int, length: int) -> None:
    """Copy bytes [start, start + length) of `src` to `dst`'s position, in the kernel if possible."""
    end = start + length
    try:  # copy_file_range: no trip through user space (and a reflink on CoW file systems)
        while start < end:
            n = os.copy_file_range(src.fileno(), dst.fileno(), end - start, start)
            if n == 0:
                raise ModelError(f"{src.name} is truncated")
            start += n
        return
    except (AttributeError, OSError):  # not Linux, or across file systems on old kernels
        pass
    src.seek(start)
    while start < end:
        block = src.read(min(_COPY_BLOCK, end - start))
        if not block:
            raise ModelError(f"{src.name} is truncated")
        _write_all(dst, block)
        start += len(block)


def _write_all(f, data) -> None:
    """Write all of `data` to an unbuffered file (one write() may write less than asked)."""
    view = memoryview(data).cast("B")
    while len(view):
        view = view[f.write(view) :]


def _tensor_bytes(t: torch.Tensor) -> memoryview:
    t = t.detach().contiguous().reshape(-1)
    return memoryview(t.view(torch.uint8).numpy())


def _write_shard(
    out: Path,
    entries: list[tuple[str, torch.Tensor | Streamed | tuple[int, int, str, list[int], int]]],
    src: Path | None,
    metadata: dict | None,
) -> int:
    """Write a safetensors file; an entry is a tensor, a `Streamed` one, or (start, end, dtype,
    shape, file offset) of raw bytes in `src`."""
    header: dict = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, e in entries:
        if isinstance(e, (torch.Tensor, Streamed)):
            size = torch.Size(e.shape).numel() * e.dtype.itemsize
            header[name] = {"dtype": _DTYPES[e.dtype], "shape": list(e.shape)}
        else:
            size = e[1] - e[0]
            header[name] = {"dtype": e[2], "shape": e[3]}
        header[name]["data_offsets"] = [offset, offset + size]
        offset += size
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # safetensors aligns the data section to 8 bytes
    # unbuffered: raw tensor bytes and kernel-side copies share one file position
    with open(out, "wb", buffering=0) as f, open(src or os.devnull, "rb", buffering=0) as s:
        _write_all(f, struct.pack("<Q", len(blob)) + blob)
        for name, e in entries:
            if isinstance(e, torch.Tensor):
                _write_all(f, _tensor_bytes(e))
            elif isinstance(e, Streamed):
                _write_blocks(f, e, name)
            else:
                _copy_range(s, f, e[4], e[1] - e[0])
    return offset


def rewrite(
    ck: Checkpoint,
    out: Path,
    replace: dict[str, torch.Tensor | Streamed],
    *,
    drop: tuple[str, ...] = (),
    link: bool = False,
) -> dict[str, int]:
    """Write `ck` into folder `out` with the tensors in `replace` swapped in (and `drop` left out).

    A `Streamed` replacement is computed block by block as its shard is written.

    Returns {"rewritten_shards": n, "copied_shards": m, "linked_shards": k}.
    """
    out = Path(out)
    unknown = set(replace) - set(ck.where)
    if unknown:
        raise ModelError(f"{ck.folder}: no tensor(s) {', '.join(sorted(unknown))} to replace")
    stats = {"rewritten_shards": 0, "copied_shards": 0, "linked_shards": 0}
    weight_map: dict[str, str] = {}
    total = 0
    for f in ck.files:
        names = [n for n, g in ck.where.items() if g == f and n not in drop]
        dst_name = f.name if not ck.pickle else _safetensors_name(f, len(ck.files))
        for n in names:
            weight_map[n] = dst_name
        dst = out / dst_name
        touched = ck.pickle or any(n in replace for n in names) or len(names) < _count(ck, f)
        if not touched:
            header, _ = ck.headers[f]
            total += sum(
                v["data_offsets"][1] - v["data_offsets"][0]
                for k, v in header.items()
                if k != "__metadata__"
            )
            if link:
                os.link(f, dst)
                stats["linked_shards"] += 1
            else:
                shutil.copyfile(f, dst)
                stats["copied_shards"] += 1
            continue
        if ck.pickle:
            entries = [(n, replace.get(n, ck._pickled[f][n])) for n in names]
            total += _write_shard(dst, entries, None, {"format": "pt"})
        else:
            header, start = ck.headers[f]
            order = sorted(names, key=lambda n: header[n]["data_offsets"][0])
            entries = []
            for n in order:
                if n in replace:
                    entries.append((n, replace[n]))
                else:
                    a, b = header[n]["data_offsets"]
                    entries.append((n, (a, b, header[n]["dtype"], header[n]["shape"], start + a)))
            total += _write_shard(dst, entries, f, header.get("__metadata__"))
        stats["rewritten_shards"] += 1
    if len(ck.files) > 1:
        (out / INDEX).write_text(
            json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2)
            + "\n"
        )
    return stats


def _count(ck: Checkpoint, f: Path) -> int:
    return sum(1 for g in ck.where.values() if g == f)


def _safetensors_name(f: Path, n_files: int) -> str:
    if n_files == 1:
        return "model.safetensors"
    return f.stem.replace("pytorch_model", "model") + ".safetensors"


TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "vocab.json",
    "merges.txt",
    "vocab_map.json",
)


def copy_tokenizer(src: Path, out: Path) -> None:
    """Copy a folder's tokenizer files (and its vocab_map.json) into `out`."""
    for name in TOKENIZER_FILES:
        if (Path(src) / name).is_file():
            shutil.copyfile(Path(src) / name, Path(out) / name)


def write_configs(src: Path, out: Path, rows: int, token_id) -> None:
    """config.json (and generation_config.json) of `src` with the new vocabulary size and ids.

    `token_id(old_id) -> new_id | None` maps bos/eos/pad ids through the token strings, since a
    new tokenizer may number its special tokens differently.
    """

    def remap(cfg: dict) -> None:
        for key in ("bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id"):
            v = cfg.get(key)
            if isinstance(v, list):
                cfg[key] = [x for x in (token_id(i) for i in v) if x is not None]
            elif isinstance(v, int):
                cfg[key] = token_id(v)

    cfg = json.loads((Path(src) / "config.json").read_text(encoding="utf-8"))
    target = cfg.get("text_config", cfg)
    target["vocab_size"] = rows
    remap(cfg)
    if "text_config" in cfg:
        remap(cfg["text_config"])
    (Path(out) / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    gen = Path(src) / "generation_config.json"
    if gen.is_file():
        g = json.loads(gen.read_text(encoding="utf-8"))
        remap(g)
        (Path(out) / gen.name).write_text(json.dumps(g, indent=2) + "\n", encoding="utf-8")
