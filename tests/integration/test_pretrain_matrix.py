"""pretrain over every tiny architecture: what is frozen stays bit-identical, the loss falls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safetensors.torch import load_file

from langadapt.engine.schedule import stage_default
from langadapt.models import arch_facts
from langadapt.tiny import TINY_MATRIX
from langadapt.train import pretrain

pytestmark = pytest.mark.slow


def weights(folder: Path) -> dict:
    out = {}
    for f in sorted(Path(folder).glob("*.safetensors")):
        out.update(load_file(f))
    return out


def losses(folder: Path) -> list[float]:
    lines = (Path(folder) / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["loss"] for line in lines]


def corpus_file(tmp_path: Path, texts: list[str]) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(texts * 3) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("arch,family,tied", TINY_MATRIX)
def test_embeddings_and_new_rows(tiny_dir, tmp_path, builtin_texts, arch, family, tied):
    model = tiny_dir(arch, family, tied)
    facts = arch_facts(model)
    corpus = corpus_file(tmp_path, builtin_texts)
    sched = stage_default(pretrain.run, lr=2e-2, batch_size=4, warmup_steps=2, max_steps=12)
    common = dict(block_size=64, schedule=sched)
    before = weights(model)
    vocab = {facts.input_key} | ({facts.output_key} if facts.output_key else set())

    emb = pretrain.run(model=model, corpus=[corpus], out=tmp_path / "emb", **common)
    after = weights(emb)
    assert set(after) == set(before)  # a tied model stays tied: no lm_head tensor appears
    for key, tensor in before.items():
        if key in vocab:
            assert not (after[key] == tensor).all(), f"{key} did not change"
        else:
            assert (after[key] == tensor).all(), f"{key} changed although frozen"
    curve = losses(emb)
    assert sum(curve[-3:]) / 3 < sum(curve[:3]) / 3 - 0.3, curve

    first_new = facts.vocab_size - 100
    rows = pretrain.run(
        model=model,
        corpus=[corpus],
        out=tmp_path / "rows",
        train="new-rows",
        first_new_id=first_new,
        **common,
    )
    after = weights(rows)
    for key, tensor in before.items():
        if key in vocab:
            assert (after[key][:first_new] == tensor[:first_new]).all(), f"old rows of {key} moved"
            assert not (after[key][first_new:] == tensor[first_new:]).all()
        else:
            assert (after[key] == tensor).all(), f"{key} changed although frozen"
    manifest = json.loads((rows / "manifest.json").read_text())
    assert manifest["results"]["steps"] == 12 and (rows / "loss.png").stat().st_size > 1000


def test_train_all_moves_every_matrix(tiny_dir, tmp_path, builtin_texts):
    model = tiny_dir("mistral", "sentencepiece-bpe", False)
    out = pretrain.run(
        model=model,
        corpus=[corpus_file(tmp_path, builtin_texts)],
        out=tmp_path / "all",
        train="all",
        block_size=64,
        schedule=stage_default(pretrain.run, lr=5e-3, batch_size=4, warmup_steps=2, max_steps=6),
    )
    before, after = weights(model), weights(out)
    assert all(not (after[k] == v).all() for k, v in before.items() if v.ndim == 2)


def test_gradient_checkpointing_gives_the_same_weights(tiny_dir, tmp_path, builtin_texts):
    model = tiny_dir("qwen2", "byte-level-bpe", True)
    corpus = corpus_file(tmp_path, builtin_texts)
    sched = dict(lr=1e-2, batch_size=4, warmup_steps=2, max_steps=4)
    plain = pretrain.run(
        model=model,
        corpus=[corpus],
        out=tmp_path / "plain",
        block_size=64,
        schedule=stage_default(pretrain.run, **sched),
    )
    ckpt = pretrain.run(
        model=model,
        corpus=[corpus],
        out=tmp_path / "ckpt",
        block_size=64,
        schedule=stage_default(pretrain.run, gradient_checkpointing=True, **sched),
    )
    a, b = weights(plain), weights(ckpt)
    assert all((a[k] - b[k]).abs().max() <= 1e-6 for k in a)


def test_gradient_accumulation_matches_a_bigger_batch(tiny_dir, tmp_path, builtin_texts):
    model = tiny_dir("llama", "byte-level-bpe", False)
    corpus = corpus_file(tmp_path, builtin_texts)
    common = dict(corpus=[corpus], block_size=64, train="all")
    sched = dict(lr=1e-2, warmup_steps=2, max_steps=4)
    big = pretrain.run(
        model=model,
        out=tmp_path / "b4",
        schedule=stage_default(pretrain.run, batch_size=4, **sched),
        **common,
    )
    acc = pretrain.run(
        model=model,
        out=tmp_path / "b2x2",
        schedule=stage_default(pretrain.run, batch_size=2, grad_accum=2, **sched),
        **common,
    )
    a, b = weights(big), weights(acc)
    assert all((a[k] - b[k]).abs().max() <= 1e-5 for k in a)
