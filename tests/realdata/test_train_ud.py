"""LEP embeddings-only pretraining on real Russian text (UD Russian-GSD) lowers the loss."""

from __future__ import annotations

import json

import pytest
from safetensors.torch import load_file

from langadapt.engine.schedule import stage_default
from langadapt.tiny import tiny_model_folder
from langadapt.train import pretrain

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


def test_embeddings_only_on_ud_russian(shared_data, tmp_path):
    dev = shared_data / "ud" / "ru_gsd-ud-dev.txt"
    test = shared_data / "ud" / "ru_gsd-ud-test.txt"
    lines = [x for x in dev.read_text(encoding="utf-8").splitlines() if x.strip()]
    model = tiny_model_folder(tmp_path / "m", arch="qwen2", tied=True, vocab_size=800, texts=lines)
    out = pretrain.run(
        model=model,
        corpus=[test],
        out=tmp_path / "lep",
        block_size=128,
        schedule=stage_default(pretrain.run, lr=2e-2, batch_size=8, warmup_steps=5, max_steps=40),
    )
    curve = [json.loads(x)["loss"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert sum(curve[-5:]) / 5 < sum(curve[:5]) / 5 - 0.5, curve
    before, after = load_file(model / "model.safetensors"), load_file(out / "model.safetensors")
    frozen = [k for k in before if k != "model.embed_tokens.weight"]
    assert frozen and all((before[k] == after[k]).all() for k in frozen)


def test_alpaca_records_render_with_output_only_labels(shared_data, tiny_dir):
    from langadapt.models import load_tokenizer
    from langadapt.train.chat import IGNORE, encode, read_conversations

    convs = read_conversations([shared_data / "alpaca" / "alpaca_5000.json"])
    assert len(convs) == 4998  # two records have an empty output and are skipped
    tok = load_tokenizer(tiny_dir("llama", "byte-level-bpe", False))
    for conv in convs[:25]:
        ex = encode(tok, conv.messages, 100_000)
        labels = [t for t in ex["labels"] if t != IGNORE]
        assert tok.decode(labels) == conv.messages[-1]["content"] + "<|eot_id|>"
