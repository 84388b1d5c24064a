"""The zoo's encoder: a bilingual XLM-R masked LM (LUSIFER's multilingual encoder family)."""

from __future__ import annotations

import time
from pathlib import Path

from langadapt import tiny
from langadapt.corpus import read_json_lines
from langadapt.models import load_tokenizer
from langadapt.zoo import mlm
from langadapt.zoo.tokenizers import encoder_tokenizer


def build(world: Path, out: Path, spec: dict, seed: int) -> dict:
    """Train a Unigram tokenizer and an XLM-R MLM on both languages' world text into `out`.

    `spec`: vocab, hidden, layers, heads, steps, lr. Returns what the model card reports.
    """
    t0 = time.perf_counter()
    texts = [
        r["text"]
        for lang in ("en", "ru")
        for r in read_json_lines(Path(world) / f"pretrain/{lang}.jsonl")
    ]
    encoder_tokenizer(texts, spec["vocab"], out)
    tokenizer = load_tokenizer(out)
    model = tiny.tiny_xlmr(
        len(tokenizer),
        hidden=spec["hidden"],
        layers=spec["layers"],
        heads=spec["heads"],
        max_positions=514,
        seed=seed,
    )
    res = mlm.train_mlm(
        model,
        tokenizer,
        texts,
        steps=spec["steps"],
        lr=spec["lr"],
        batch_size=16,
        max_length=128,
        warmup_steps=max(1, spec["steps"] // 20),
        seed=seed,
    )
    mlm.save(res.pop("model"), tokenizer, out)
    return {
        "stage": "masked LM (XLM-R objective, 15% masked, from random init)",
        "data": ["pretrain/en.jsonl", "pretrain/ru.jsonl"],
        "documents": len(texts),
        "vocab": len(tokenizer),
        "hidden": spec["hidden"],
        "layers": spec["layers"],
        "lr": spec["lr"],
        "batch_size": 16,
        **res,
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
