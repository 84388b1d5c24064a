"""`langadapt init`: give a base model a new tokenizer, initialising every new embedding row."""

from __future__ import annotations

from pathlib import Path

from langadapt import registry
from langadapt.artifacts import StageRun
from langadapt.checkpoint import Checkpoint, Streamed, copy_tokenizer, rewrite, write_configs
from langadapt.errors import ModelError
from langadapt.models import arch_facts
from langadapt.tokens.mapping import (
    TRANSFORM_FILE,
    Side,
    Transform,
    build_transform,
    padded_rows,
    read_vocab_map,
    save_transform,
)


def token_id_map(old: Side, new: Side):
    """old id -> new id of the same token string (for bos/eos/pad ids in configs)."""

    def f(i: int) -> int | None:
        if 0 <= i < len(old):
            return new.vocab.get(old.tokens[i])
        return None

    return f


def run(
    model: Path,
    tokenizer: Path,
    *,
    out: Path,
    method: str = "mean",
    pad_to_multiple_of: int | None = None,
    seed: int = 0,
    link: bool = False,
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """Resize a model's embeddings and output head to a new tokenizer and fill every new row.

    The input embeddings `[vocab, hidden]` and, when untied, the output head `[vocab, hidden]`
    are replaced by matrices `[new_rows, hidden]`; every other tensor is copied byte for byte
    (streaming: one old matrix at a time is in memory, and `mean` writes the new rows block by
    block). Tokens in both vocabularies keep their rows (matched through vocab_map.json when the
    new tokenizer has one, else by string); the method fills the others. The default, `mean`, is
    LEP's (arXiv 2412.21140, eq. 1-2): the mean of the rows of the pieces the old tokenizer splits
    the new token's text into. The averaging matrix T `[new_rows, old_rows]` is saved as
    init_transform.safetensors, which `langadapt propagate --method conversion` fits on.

    Args:
        model: base model folder (Hugging Face, safetensors) with its original tokenizer.
        tokenizer: folder of the new tokenizer (e.g. written by `langadapt vocab extend`).
        out: output model folder (weights, config, the new tokenizer, init_transform.safetensors).
        method: initialisation method (`langadapt ls init` lists them); mean is LEP's.
        pad_to_multiple_of: round the new matrices' rows up to a multiple of this (e.g. 64);
            the extra rows get the mean of the old rows.
        seed: seed for methods that sample.
        link: hard-link shards that hold no embedding instead of copying them (same file system;
            saves disk and time, but a tool that later writes into those files in place would
            change the base model too).
        allow_pickle: accept a pickle-only checkpoint (*.bin); pickles can run code when loaded.
        force: replace an existing output folder.
    """
    model, tokenizer = Path(model), Path(tokenizer)
    run_ = StageRun(
        "init",
        out,
        inputs={"model": model, "tokenizer": tokenizer},
        options={"method": method, "pad_to_multiple_of": pad_to_multiple_of, "seed": seed},
        force=force,
    )
    init = registry.get("init", method)
    facts = arch_facts(model)
    ck = Checkpoint(model, allow_pickle=allow_pickle)
    old, new = Side.load(model), Side.load(tokenizer)
    old_rows = ck.shape(facts.input_key)[0]
    if len(old) > old_rows:
        raise ModelError(
            f"the tokenizer in {model} has {len(old)} tokens but the model's embedding matrix "
            f"has only {old_rows} rows; the tokenizer does not belong to this model"
        )
    vocab_map = read_vocab_map(tokenizer, old, new)
    keep_padding = old_rows if old_rows > len(old) else 0  # Qwen2-style padded matrices
    rows = padded_rows(max(len(new), keep_padding), pad_to_multiple_of)
    if run_.up_to_date():
        return run_.out
    tr = build_transform(old, new, old_rows, rows, vocab_map)
    keys = [facts.input_key] + ([facts.output_key] if facts.output_key else [])
    replace = {key: _new_matrix(init, ck, key, tr, seed) for key in keys}
    with run_.writing() as tmp:
        run_.results.update(
            rewrite(ck, tmp, replace, drop=() if facts.output_key else (_tied_head(ck, facts),))
        )
        write_configs(model, tmp, rows, token_id_map(old, new))
        copy_tokenizer(tokenizer, tmp)
        save_transform(tr.T, tmp / TRANSFORM_FILE, method)
        run_.results.update(
            method=method,
            old_tokens=len(old),
            new_tokens=len(new),
            old_rows=old_rows,
            new_rows=rows,
            tied=facts.tied,
            transform=TRANSFORM_FILE,
            **tr.stats,
        )
    return run_.out


def _new_matrix(init, ck: Checkpoint, key: str, tr: Transform, seed: int) -> Streamed:
    """The new matrix for `key`, computed while its shard is written.

    The old matrix is read only then (one matrix in memory at a time) and kept in its own dtype;
    a row-wise method (one that declares the `blocks` trait) yields blocks of rows, the others
    the whole float32 matrix.
    """
    dtype, blocks = ck.dtype(key), init.traits["blocks"]

    def produce():
        old = ck.get(key)
        if blocks is not None:
            for block in blocks(tr.T, old):
                yield block.to(dtype)
        else:
            yield init.func(tr.T, old.float(), tr.copied, seed=seed).to(dtype)

    return Streamed((tr.T.shape[0], ck.shape(key)[1]), dtype, produce)


def _tied_head(ck: Checkpoint, facts) -> str:
    """A tied model's checkpoint may still carry a stale lm_head copy; it is dropped."""
    return "lm_head.weight" if "lm_head.weight" in ck.where and facts.tied else ""
