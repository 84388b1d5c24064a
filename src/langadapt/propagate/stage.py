"""`langadapt propagate`: carry a donor's trained embeddings into instruct models (LEP)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from tqdm import tqdm

from langadapt import registry
from langadapt.artifacts import StageRun
from langadapt.checkpoint import Checkpoint, copy_tokenizer, rewrite, write_configs
from langadapt.errors import ConfigError, InputError, ModelError
from langadapt.models import arch_facts
from langadapt.propagate.fit import CHUNK, FitInputs
from langadapt.tokens.mapping import (
    TRANSFORM_FILE,
    Side,
    build_transform,
    load_transform,
    padded_rows,
    read_vocab_map,
    shared_tokens,
)

_TEMPLATE_FILE = "chat_template.jinja"


def _check_family(base: Path, instruct: list[Path], donor: Path):
    facts = {p: arch_facts(p) for p in [base, *instruct, donor]}
    ref = facts[base]
    for p, f in facts.items():
        for what, a, b in (
            ("architecture", f.model_type, ref.model_type),
            ("hidden size", f.hidden_size, ref.hidden_size),
            ("tied embeddings", f.tied, ref.tied),
        ):
            if a != b:
                raise ModelError(
                    f"{p} has {what} {a} but the base {base} has {b}; base, instruct and donor "
                    "must be one model family (the instruct model tuned from the base, the "
                    "donor the base with trained new embeddings)"
                )
    return ref


def _added_tokens(old: Side, new: Side) -> list[str]:
    """The donor's tokens that the base lacks: by string in one family, else by their text."""
    if old.family == new.family:
        return [s for s in new.tokens if s not in old.vocab]
    texts = {old.text_bytes(j) for j in range(len(old))}
    return [new.tokens[i] for i in range(len(new)) if new.text_bytes(i) not in texts]


def _check_vocabularies(
    base: Path, donor: Path, old: Side, new: Side, insts: dict[Path, Side]
) -> None:
    """Refuse a donor with nothing to propagate, and an instruct model that has it already.

    Both are mix-ups of folders (the base or an already propagated model passed in the wrong
    place) that would otherwise run to the end and write a model identical to its input.
    """
    added = _added_tokens(old, new)
    if not added:
        raise ModelError(
            f"the donor {donor} adds no tokens to the base {base}: its tokenizer's "
            f"{len(new)} tokens are all in the base's vocabulary of {len(old)}, so there are no "
            "new embeddings to propagate; --donor expects the base model with a tokenizer that "
            "adds target-language tokens (`langadapt vocab extend` or `vocab train`, then "
            "`init` and `pretrain`); was the base itself, or `init`'s input, passed as --donor?"
        )
    for p, side in insts.items():
        if all(s in side.vocab for s in added):
            raise ModelError(
                f"the instruct model {p} already has the donor's vocabulary: its tokenizer "
                f"({len(side)} tokens) holds all {len(added)} tokens the donor {donor} adds to "
                f"the base (e.g. {added[0]!r}); --instruct expects an instruct model with the "
                f"base's tokenizer ({len(old)} tokens), as it was before LEP; was a propagated "
                "model or the donor passed as --instruct?"
            )


def _keep_chat_template(instruct: Path, out: Path) -> None:
    """The output tokenizer is the donor's, with the instruct model's chat template."""
    (out / _TEMPLATE_FILE).unlink(missing_ok=True)
    if (instruct / _TEMPLATE_FILE).is_file():
        shutil.copyfile(instruct / _TEMPLATE_FILE, out / _TEMPLATE_FILE)
    cfg_in = instruct / "tokenizer_config.json"
    cfg_out = out / "tokenizer_config.json"
    if cfg_out.is_file():
        cfg = json.loads(cfg_out.read_text(encoding="utf-8"))
        src = json.loads(cfg_in.read_text(encoding="utf-8")) if cfg_in.is_file() else {}
        cfg.pop("chat_template", None)
        if "chat_template" in src:
            cfg["chat_template"] = src["chat_template"]
        cfg_out.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _out_dirs(out: Path, instruct: list[Path]) -> list[Path]:
    if len(instruct) == 1:
        return [out]
    names = [p.name for p in instruct]
    return [out / (n if names.count(n) == 1 else f"{i}-{n}") for i, n in enumerate(names)]


def run(
    base: Path,
    instruct: list[Path],
    donor: Path,
    *,
    out: Path,
    method: str = "conversion",
    transform: Path | None = None,
    scale: float = 1.0,
    ridge: float = 0.0,
    pad_to_multiple_of: int | None = None,
    link: bool = False,
    allow_pickle: bool = False,
    force: bool = False,
) -> Path:
    """Give instruct models the donor's new vocabulary and embeddings (Learned Embedding Propagation).

    LEP (arXiv 2412.21140, section 2.3): the donor is the base model with a new tokenizer whose
    embeddings were trained; an instruct model tuned from the same base gets those embeddings,
    mapped by a linear map D `[hidden, hidden]` (U for the output head) that models how instruct
    tuning moved the base's embeddings: new rows = donor rows @ D. Swap uses D = I; Overlap fits
    base[C] @ D ~ instruct[C] on the tokens C both vocabularies share; Conversion (the paper's
    best) fits (T @ base) @ D ~ (T @ instruct) over every new token, T being the init's averaging
    matrix. Fits are least squares in float64. Special and chat tokens keep the instruct model's
    own rows. Only the embedding matrices are read into memory; every other tensor of the
    instruct model is copied byte for byte, and its chat template is kept.

    Args:
        base: the original base model folder.
        instruct: one or more instruct model folders tuned from the base (one output subfolder
            each when several).
        donor: the base model with the new tokenizer and trained embeddings (from `init` and
            embedding training).
        out: output folder.
        method: swap, overlap or conversion (`langadapt ls propagate`).
        transform: the init's init_transform.safetensors; default: the one in the donor folder,
            else rebuilt from the two tokenizers with LEP's mean.
        scale: lambda in [0, 1]: the map used is (1 - lambda) I + lambda D; 0 is Swap.
        ridge: ridge term added to A^T A before solving (0: plain least squares, as the paper).
        pad_to_multiple_of: round the output matrices' rows up to a multiple of this (e.g. 64).
        link: hard-link the instruct shards that hold no embedding instead of copying them.
        allow_pickle: accept pickle-only checkpoints (*.bin); pickles can run code when loaded.
        force: replace an existing output folder.
    """
    base, donor = Path(base), Path(donor)
    instruct = [Path(p) for p in instruct]
    if not 0.0 <= scale <= 1.0:
        raise ConfigError(f"--scale must lie in [0, 1] (0 = swap, 1 = fitted map), got {scale}")
    if ridge < 0:
        raise ConfigError(f"--ridge must be >= 0, got {ridge}")
    chosen = registry.get("propagate", method)
    fit_method = chosen.func
    run_ = StageRun(
        "propagate",
        out,
        inputs={"base": base, "instruct": instruct, "donor": donor, "transform": transform},
        options={"method": method, "scale": scale, "ridge": ridge, "pad": pad_to_multiple_of},
        force=force,
    )
    facts = _check_family(base, instruct, donor)
    cks = {p: Checkpoint(p, allow_pickle=allow_pickle) for p in [base, *instruct, donor]}
    old, new = Side.load(base), Side.load(donor)
    rows = {p: cks[p].shape(facts.input_key)[0] for p in cks}
    if len(old) > rows[base]:
        raise ModelError(
            f"the tokenizer in {base} has {len(old)} tokens but the model has only "
            f"{rows[base]} embedding rows; the tokenizer does not belong to this model"
        )
    if len(new) > rows[donor]:
        raise ModelError(
            f"the donor {donor} has {rows[donor]} embedding rows, fewer than its tokenizer's "
            f"{len(new)} tokens; pass the model written by `langadapt init` (and trained)"
        )
    insts = {p: Side.load(p) for p in instruct}
    specials = {}
    for p, side in insts.items():
        if rows[p] < len(old):
            raise ModelError(f"{p} has {rows[p]} embedding rows, fewer than the base's {len(old)}")
        missing = [side.tokens[k] for k in side.special if side.tokens[k] not in new.vocab]
        if missing:
            raise ModelError(
                f"the instruct model {p} uses special tokens {missing[:5]} that the donor's "
                "tokenizer lacks; add them to the new tokenizer before `init`"
            )
        specials[p] = [(new.vocab[side.tokens[k]], k) for k in sorted(side.special)]
    _check_vocabularies(base, donor, old, new, insts)
    vocab_map = read_vocab_map(donor, old, new)
    T = None
    if chosen.traits["needs_transform"]:
        tfile = Path(transform) if transform else donor / TRANSFORM_FILE
        if tfile.is_file():
            T = load_transform(tfile)
            if tuple(T.shape) != (rows[donor], rows[base]):
                raise InputError(
                    f"{tfile} maps {T.shape[1]} -> {T.shape[0]} rows but base has {rows[base]} "
                    f"and donor {rows[donor]}; pass the transform `init` wrote for this donor"
                )
        elif transform:
            raise InputError(f"--transform {transform} does not exist")
        else:
            T = build_transform(old, new, rows[base], rows[donor], vocab_map).T
    if run_.up_to_date():
        return run_.out
    fit_rows = torch.tensor([i for i in range(len(new)) if i not in new.special])
    pairs = shared_tokens(old, new, vocab_map)
    shared_old = torch.tensor(sorted(j for i, j in pairs.items() if i not in new.special))
    out_rows = padded_rows(rows[donor], pad_to_multiple_of)
    keys = [facts.input_key] + ([facts.output_key] if facts.output_key else [])
    replace: dict[Path, dict[str, torch.Tensor]] = {p: {} for p in instruct}
    results: dict[str, dict] = {p.name: {} for p in instruct}
    for key in keys:  # one matrix at a time keeps peak memory at ~4 vocab-sized matrices
        b, d = cks[base].get(key), cks[donor].get(key)
        shared: dict = {}  # what the fit of this matrix needs from the base alone, computed once
        for p in instruct:
            inst = cks[p].get(key)
            D, quality = fit_method(FitInputs(b, inst, T, fit_rows, shared_old, ridge, shared))
            replace[p][key] = _apply(d, D, scale, inst.dtype, out_rows, len(new))
            for i, k in specials[p]:
                replace[p][key][i] = inst[k]
            results[p.name][key] = quality
            del inst
        del b, d
    with run_.writing() as tmp:
        for p, dst in zip(instruct, _out_dirs(tmp, instruct)):
            dst.mkdir(parents=True, exist_ok=True)
            drop = ("lm_head.weight",) if facts.tied and "lm_head.weight" in cks[p].where else ()
            results[p.name]["surgery"] = rewrite(cks[p], dst, replace.pop(p), drop=drop, link=link)
            side = insts[p]
            write_configs(
                p,
                dst,
                out_rows,
                lambda i, s=side: new.vocab.get(s.tokens[i]) if i < len(s) else None,
            )
            copy_tokenizer(donor, dst)
            _keep_chat_template(p, dst)
        run_.results.update(
            method=method,
            scale=scale,
            ridge=ridge,
            old_tokens=len(old),
            new_tokens=len(new),
            rows=out_rows,
            shared_tokens=len(shared_old),
            fit_rows=len(fit_rows),
            models=results,
        )
    return run_.out


def _apply(
    donor: torch.Tensor,
    D: torch.Tensor | None,
    scale: float,
    dtype: torch.dtype,
    rows: int,
    n_tokens: int,
) -> torch.Tensor:
    """donor `[donor_rows, hidden]` @ ((1 - scale) I + scale D), padded to `rows`, in `dtype`.

    The product runs in float32 when the output is bf16/fp16: float32 carries 16 more mantissa
    bits than the result keeps, and it halves the largest cost of a 7B propagate (two
    `[55k, 4096] @ [4096, 4096]` products). float32 and float64 outputs get float64.
    """
    out = torch.empty(rows, donor.shape[1], dtype=dtype)
    if D is None or scale == 0:
        out[: donor.shape[0]] = donor.to(dtype)
    else:
        wide = torch.float64 if dtype in (torch.float32, torch.float64) else torch.float32
        m = (scale * D + (1 - scale) * torch.eye(D.shape[0], dtype=torch.float64)).to(wide)
        for a in tqdm(
            range(0, donor.shape[0], CHUNK),
            desc="map rows",
            leave=False,
            disable=donor.shape[0] <= 8 * CHUNK,
        ):
            chunk = donor[a : a + CHUNK]
            out[a : a + len(chunk)] = (chunk.to(wide) @ m).to(dtype)
    if rows > donor.shape[0]:  # padding rows: the mean of the token rows
        out[donor.shape[0] :] = out[:n_tokens].to(torch.float32).mean(0).to(dtype)
    return out
