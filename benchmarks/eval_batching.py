"""Items per second of `langadapt eval`'s scoring methods, batched vs one item at a time.

Prints JSON: for next-token choice, continuation log-probability and generation on a small
Llama (byte-level BPE), the rate with --batch-size B and the baseline rate with batch size 1,
measured in the same run, and the largest difference of scores between the two (must be ~0).

    OMP_NUM_THREADS=1 python benchmarks/eval_batching.py --items 64 --batch-size 16
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from langadapt.evaluate.lm import LM
from langadapt.evaluate.methods.generate import generate
from langadapt.evaluate.methods.loglik import continuation_logprob
from langadapt.evaluate.methods.next_token import next_token_choice
from langadapt.llm.local import LocalBackend
from langadapt.tiny import builtin_corpus, tiny_model_folder


def _flat(value) -> list[float]:
    return value if isinstance(value, list) else [value]


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    args = ap.parse_args()
    text = builtin_corpus()
    with tempfile.TemporaryDirectory() as tmp:
        folder = tiny_model_folder(
            Path(tmp) / "m",
            arch="llama",
            family="byte-level-bpe",
            texts=text + ["Answer: A", "Answer: B", "Answer: C", "Answer: D"] * 40,
            hidden=args.hidden,
            layers=args.layers,
            heads=4,
            kv_heads=2,
        )
        lm = LM(folder, chat="off")
        ctx = [
            "\n".join(text[i % 40 : i % 40 + 1 + i % 5]) + "\nA. x\nB. y\nC. z\nD. w\nAnswer:"
            for i in range(args.items)
        ]
        choice = [{"id": str(i), "context": c, "choices": list("ABCD")} for i, c in enumerate(ctx)]
        cont = [
            {"id": str(i), "context": c, "continuation": text[i % 50]} for i, c in enumerate(ctx)
        ]
        gen = [
            {"id": str(i), "prompt": c, "gold": "x"} for i, c in enumerate(ctx[: args.items // 4])
        ]
        report = {"items": args.items, "batch_size": args.batch_size, "device": str(lm.device)}
        for name, fn, items, opts, key in (
            ("next-token-choice", next_token_choice, choice, {}, "logprobs"),
            ("continuation-logprob", continuation_logprob, cont, {}, "pred"),
            ("generate", generate, gen, {"max_tokens": 16}, "pred"),
        ):
            runs = []
            for bs in (1, args.batch_size):
                if name == "generate":  # through a Backend over the same weights
                    backend = LocalBackend.from_model(lm.model, lm.tok, batch_size=bs)
                    run = _timed(fn, backend, items, options=opts, batch_size=bs, tokenizer=lm.tok)
                else:
                    run = _timed(fn, lm, items, options=opts, batch_size=bs)
                runs.append(run)
            (base, t1), (fast, tb) = runs
            if name == "generate":
                diff = float(sum(a[key] != b[key] for a, b in zip(base, fast)))
            else:
                diff = max(
                    abs(x - y)
                    for a, b in zip(base, fast)
                    for x, y in zip(_flat(a[key]), _flat(b[key]))
                )
            report[name] = {
                "items_per_s_batched": round(len(items) / tb, 1),
                "items_per_s_baseline_bs1": round(len(items) / t1, 1),
                "speedup": round(t1 / tb, 2),
                "max_score_difference" if name != "generate" else "differing_generations": diff,
            }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
