"""`langadapt zoo build`: train the zoo of tiny real HF models on a synthetic world, on a CPU.

Members (each a normal Hugging Face folder with a README.md model card, docs/zoo.md):
`base` (English-centric Llama), `instruct` (base + English-only SFT), `teacher` (a larger
bilingual Llama, SFT on English and Russian), `encoder` (a bilingual XLM-R masked LM).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass, replace
from pathlib import Path
from typing import Literal

from langadapt.artifacts import (
    StageRun,
    cache_root,
    path_digest,
    read_manifest,
    write_json_atomic,
)
from langadapt.errors import ConfigError
from langadapt.zoo import card, data, encoder, score
from langadapt.zoo.causal import CausalSpec, pretrained, tuned

SIZES: dict[str, dict] = {
    "fast": {
        "base": CausalSpec(
            vocab=512, hidden=64, layers=2, heads=4, shares={"en": 1.0, "ru": 0.2},
            qa_langs=("en",), qa_repeat=2, pretrain_steps=450, pretrain_lr=5e-3,
            sft_langs=("en",), sft_steps=150, sft_lr=1e-3,
        ),
        "teacher": CausalSpec(
            vocab=768, hidden=96, layers=2, heads=4, shares={"en": 1.0, "ru": 1.0},
            qa_langs=("en", "ru"), qa_repeat=2, pretrain_steps=450, pretrain_lr=5e-3,
            sft_langs=("en", "ru"), sft_steps=150, sft_lr=1e-3,
        ),
        "encoder": {"vocab": 512, "hidden": 64, "layers": 2, "heads": 4, "steps": 100, "lr": 1e-3},
    },
    "small": {
        "base": CausalSpec(
            vocab=1024, hidden=128, layers=4, heads=4, shares={"en": 1.0, "ru": 1.0},
            qa_langs=("en", "ru"), qa_repeat=2, pretrain_steps=2000, pretrain_lr=5e-3,
            sft_langs=("en",), sft_steps=1200, sft_lr=1.5e-4, qa_form="chat",
            # the tokenizer is fitted to English-heavy text (a tenth of the Russian documents),
            # so Russian costs about twice the tokens of English, while the model reads all
            # of it: Russian ability worth propagating, as real English-centric bases have
            tokenizer_shares={"en": 1.0, "ru": 0.1}, tokenizer_qa_langs=("en",),
        ),
        "teacher": CausalSpec(
            vocab=1536, hidden=160, layers=4, heads=4, shares={"en": 1.0, "ru": 1.0},
            qa_langs=("en", "ru"), qa_repeat=2, pretrain_steps=1500, pretrain_lr=2.5e-3,
            sft_langs=("en", "ru"), sft_steps=300, sft_lr=1e-3,
        ),
        "encoder": {"vocab": 1024, "hidden": 128, "layers": 4, "heads": 4, "steps": 300, "lr": 1e-3},
    },
}  # fmt: skip
MEMBERS = ("base", "instruct", "teacher", "encoder")


def _steps(spec: CausalSpec, max_steps: int | None) -> CausalSpec:
    if max_steps is None:
        return spec
    return replace(
        spec,
        pretrain_steps=min(spec.pretrain_steps, max_steps),
        sft_steps=min(spec.sft_steps, max_steps),
    )


def build_into(
    world: Path, tmp: Path, size: str, seed: int, max_steps: int | None, ident: dict
) -> dict:
    """Train every member into `tmp`; returns the zoo's results (also written to each card).

    base -> instruct trains in this process; teacher and encoder train meanwhile in a second
    process when the machine has two cores. Each process trains on one thread (`_one_thread`),
    so the weights are the same whether or not the second process ran.
    """
    cfg = SIZES[size]
    work = tmp / ".work"
    work.mkdir(exist_ok=True)
    base = _steps(cfg["base"], max_steps)
    enc = dict(cfg["encoder"])
    if max_steps is not None:
        enc["steps"] = min(enc["steps"], max_steps)
    side_args = (world, tmp, _steps(cfg["teacher"], max_steps), enc, seed)
    info: dict[str, dict] = {}
    with _side_process() as pool:
        side = pool.submit(_side_main, *side_args) if pool else None
        info["base"] = {"stages": [pretrained(base, world, work, tmp / "base", seed)]}
        info["instruct"] = {
            "stages": info["base"]["stages"]
            + [tuned(base, tmp / "base", world, work, tmp / "instruct", seed)]
        }
        info |= side.result() if side else _teacher_and_encoder(*side_args)
    for name in ("instruct", "teacher"):
        t0 = time.perf_counter()
        info[name]["scores"] = score.world_scores(tmp / name, world)
        info[name]["scoring_seconds"] = round(time.perf_counter() - t0, 1)
    for name in MEMBERS:
        card.write(tmp / name, name, info[name], ident, seed, size)
    shutil.rmtree(work)
    return info


def _teacher_and_encoder(world: Path, tmp: Path, teacher: CausalSpec, enc: dict, seed: int) -> dict:
    work = tmp / ".work"
    with _one_thread():
        pt = pretrained(teacher, world, work, work / "teacher-base", seed)
        ft = tuned(teacher, work / "teacher-base", world, work, tmp / "teacher", seed)
        return {
            "teacher": {"stages": [pt, ft]},
            "encoder": {"stages": [encoder.build(world, tmp / "encoder", enc, seed)]},
        }


def _side_main(*args) -> dict:
    """The second process: its progress bars go to a log file, not over the first one's."""
    import sys

    tmp = args[1]
    with open(tmp / ".work" / "teacher-encoder.log", "w", encoding="utf-8") as log:
        sys.stdout = sys.stderr = log
        return _teacher_and_encoder(*args)


@contextmanager
def _side_process() -> Iterator:
    """A one-worker process pool on a machine with two or more cores, else None."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    print("zoo build: teacher and encoder train in a second process (.work/teacher-encoder.log)")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def run(
    *,
    world: Path,
    out: Path,
    size: Literal["fast", "small"] = "small",
    seed: int = 0,
    max_steps: int | None = None,
    cache: bool = True,
    force: bool = False,
) -> Path:
    """Train the zoo of tiny real Hugging Face models on a synthetic world, on a CPU.

    Writes base (English-centric Llama), instruct (base + English-only SFT), teacher (a larger
    bilingual Llama with English and Russian SFT) and encoder (bilingual XLM-R masked LM), each
    a Hugging Face folder with a model card, and their held-out fact accuracy in manifest.json.
    A finished zoo is kept under the cache root (zoo/) and copied, not retrained, when the
    same world and options come again.

    Args:
        world: a world folder from `langadapt world generate`.
        out: output folder: base/, instruct/, teacher/, encoder/ and manifest.json.
        size: fast (seconds, for CI) or small (the demo's zoo: a few CPU minutes).
        seed: seed of initialisation, data order and masking; same world + seed = same models.
        max_steps: cap every training stage at this many steps (smoke tests).
        cache: reuse and fill the zoo cache (zoo/ under $LANGADAPT_CACHE, else
            $XDG_CACHE_HOME/langadapt, else ~/.cache/langadapt).
        force: replace an existing output folder.
    """
    if size not in SIZES:
        raise ConfigError(f"--size is {size!r}; choose one of: {', '.join(SIZES)}")
    if max_steps is not None and max_steps <= 0:
        raise ConfigError(f"--max-steps must be positive, not {max_steps}")
    manifest = data.check_world(world)
    # the recipe (every shape, step count and learning rate) is part of the identity, so a
    # changed recipe never reuses an old zoo from the cache or an old --out
    recipe = {k: asdict(v) if is_dataclass(v) else v for k, v in SIZES[size].items()}
    options = {"size": size, "seed": seed, "max_steps": max_steps, "recipe": recipe}
    stage = StageRun(
        "zoo.build", out, inputs={"world": world}, options=options, force=force, resumable=True
    )
    if stage.up_to_date():
        return stage.out
    digest = path_digest(world)
    ident = {**manifest["options"], "digest": digest}
    # the world's content and the options, not the stage fingerprint: that names the world's
    # path, and the same world generated in another folder must find the same zoo
    key = hashlib.sha256(f"{digest}|{json.dumps(options, sort_keys=True)}".encode()).hexdigest()
    key = key[:16]
    cached = cache_root() / "zoo" / key
    with stage.writing() as tmp:
        done = read_manifest(cached) if cache else None
        if done and done.get("status") == "complete":
            print(f"zoo build: copying the cached zoo {cached}")
            for name in MEMBERS:
                shutil.rmtree(tmp / name, ignore_errors=True)
                shutil.copytree(cached / name, tmp / name)
            info = done["results"]["members"]
            stage.results["cached_from"] = str(cached)
        else:
            with _one_thread():
                info = build_into(Path(world), tmp, size, seed, max_steps, ident)
        stage.results["members"] = info
        stage.results["world"] = ident
        if cache and not done:
            _fill_cache(tmp, cached, info)
    return stage.out


@contextmanager
def _one_thread() -> Iterator[None]:
    """Train on one CPU thread, so a zoo is the same on every machine.

    The summation order of a matmul depends on how many threads split it, and a few hundred
    steps of training turn those last-bit differences into different weights and scores (two
    threads gave 0.30 held-out fact accuracy where one gave 0.51, same seed). The cache key
    cannot tell machines apart, so the zoo must not depend on them.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fill_cache(tmp: Path, cached: Path, info: dict) -> None:
    """Copy the finished members into the cache, atomically (a complete manifest marks it)."""
    part = cached.with_name(f".{cached.name}.tmp-{os.getpid()}")
    shutil.rmtree(part, ignore_errors=True)
    for name in MEMBERS:
        shutil.copytree(tmp / name, part / name)
    write_json_atomic(part / "manifest.json", {"status": "complete", "results": {"members": info}})
    shutil.rmtree(cached, ignore_errors=True)
    part.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, cached)
