"""Tokens/s of `pretrain --train embeddings` (LEP) against `--train all`, same model, same run.

Embeddings-only training still backpropagates through every layer (the gradient has to reach
the input embeddings) but computes no weight gradients for the layers and keeps AdamW state
for two matrices only, so it should be faster. Model: Llama, 6 layers, hidden 256, vocabulary
8192; blocks of 256 tokens, batch 4, on this machine's CPU.

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/train.py [--steps 20]

Prints one JSON object. On a GPU machine the same script measures GPU throughput; MFU is not
computed here.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from langadapt.engine.schedule import stage_default
from langadapt.tiny import builtin_corpus, tiny_causal_lm, train_byte_level_bpe
from langadapt.train import pretrain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    texts = builtin_corpus()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "model"
        train_byte_level_bpe(texts, 400, model)
        tiny_causal_lm(
            "llama", 8192, hidden=256, layers=6, heads=8, kv_heads=4, max_positions=512
        ).save_pretrained(str(model))
        corpus = tmp / "corpus.txt"
        corpus.write_text("\n".join(texts * 40) + "\n", encoding="utf-8")
        figures = {}

        def one(mode: str, steps: int, tag: str) -> tuple[float, dict]:
            cpu0 = time.process_time()
            out = pretrain.run(
                model=model,
                corpus=[corpus],
                out=tmp / f"{mode}-{tag}",
                train=mode,
                block_size=256,
                schedule=stage_default(
                    pretrain.run,
                    lr=1e-3,
                    batch_size=4,
                    max_steps=steps,
                    warmup_steps=5,
                    save_every=0,
                ),
            )
            rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
            return time.process_time() - cpu0, rows[-1]

        for mode in ("embeddings", "all"):
            # the CPU time of the loop alone: a long run minus a short one cancels loading,
            # packing and saving; CPU time, unlike wall time, ignores other jobs on the machine
            short, _ = one(mode, 5, "short")
            long, last = one(mode, 5 + args.steps, "long")
            figures[mode] = {
                "tokens_per_s_wall": last["tokens_per_s"],
                "tokens_per_cpu_s": round(args.steps * 1024 / (long - short), 1),
                "final_loss": last["loss"],
            }
    print(
        json.dumps(
            {
                "benchmark": "train",
                "model": "llama 6x256, vocab 8192",
                "steps": args.steps,
                "tokens_per_step": 1024,
                "threads": os.environ.get("OMP_NUM_THREADS", "all"),
                "embeddings": figures["embeddings"],
                "all": figures["all"],
                "speedup_wall": round(
                    figures["embeddings"]["tokens_per_s_wall"]
                    / figures["all"]["tokens_per_s_wall"],
                    2,
                ),
                "speedup_cpu_time": round(
                    figures["embeddings"]["tokens_per_cpu_s"] / figures["all"]["tokens_per_cpu_s"],
                    2,
                ),
                "gpu_mfu": "not measured (no GPU on this machine)",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
