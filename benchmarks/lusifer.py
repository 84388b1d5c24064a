"""LUSIFER encode throughput against the sum of its parts, measured in the same run.

`LusiferModel.encode` (format, sort by length, tokenize, encoder, connector, bidirectional LLM,
mean pooling, normalisation) in sentences/s, against the time of its two big parts alone on the
same batches: the encoder's forward on the same token ids, then the LLM's forward on random
`inputs_embeds` of the same shapes `[b, n + k, llm_hidden]` with the same masks. ratio =
(encoder + LLM time) / encode time; goal >= 0.8 (the connector, tokenization and pooling cost at
most a quarter on top of the parts). Each figure is the best of `--repeats` interleaved timed passes
after one warm-up pass. Models are random, of configurable sizes; prints JSON.

    python benchmarks/lusifer.py --sentences 512 --batch-size 32
    python benchmarks/lusifer.py --device cuda --enc-hidden 768 --enc-layers 12 \\
        --llm-hidden 2048 --llm-layers 16 --sentences 4096 --batch-size 128
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from langadapt.lusifer import text
from langadapt.lusifer.layers import attention
from langadapt.lusifer.model import LusiferModel, Settings
from langadapt.models import load_tokenizer
from langadapt.tiny import builtin_corpus, tiny_causal_lm, tiny_xlmr
from langadapt.zoo.tokenizers import encoder_tokenizer


def sentences(n: int) -> list[str]:
    """n texts of varied length from the built-in corpus (one to four sentences each)."""
    base = builtin_corpus()
    return [" ".join(base[(i + j) % len(base)] for j in range(1 + i % 4)) for i in range(n)]


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def best(fns: dict, repeats: int, device: str) -> dict[str, float]:
    """The fastest of `repeats` timed calls of each fn, in seconds, after one warm-up call each.

    The calls are interleaved (a round of every fn, `repeats` times), so a machine whose load
    changes during the run slows all of them alike rather than whichever ran last.
    """
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            times[name].append(time.perf_counter() - t0)
    return {name: min(t) for name, t in times.items()}


def build(args, tmp: Path) -> LusiferModel:
    tok_dir = encoder_tokenizer(builtin_corpus(), 2000, tmp / "tok")
    tok = load_tokenizer(tok_dir)
    enc = tiny_xlmr(
        len(tok), hidden=args.enc_hidden, layers=args.enc_layers, heads=args.enc_hidden // 64 or 4
    ).roberta
    llm = tiny_causal_lm(
        "qwen2",
        len(tok),
        hidden=args.llm_hidden,
        layers=args.llm_layers,
        heads=args.llm_hidden // 64 or 4,
        kv_heads=max(1, (args.llm_hidden // 64 or 4) // 4),
    )
    model = LusiferModel(enc, llm, tok, tok, Settings(max_length=args.max_length))
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[args.dtype]
    return model.to(args.device, dtype).eval()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--enc-hidden", type=int, default=256)
    ap.add_argument("--enc-layers", type=int, default=4)
    ap.add_argument("--llm-hidden", type=int, default=512)
    ap.add_argument("--llm-layers", type=int, default=4)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    args = ap.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        model = build(args, Path(tmp))
    texts = sentences(args.sentences)
    prefix = text.prompt("query", model.settings.instruction)
    formatted = sorted((prefix + t for t in texts), key=len, reverse=True)  # as encode() does
    batches = [
        {
            k: v.to(args.device)
            for k, v in model.tokenize(formatted[i : i + args.batch_size]).items()
        }
        for i in range(0, len(formatted), args.batch_size)
    ]
    k, h = model.settings.added_tokens, model.llm.config.hidden_size
    dtype = model.llm.get_input_embeddings().weight.dtype
    llm_inputs = [
        (
            torch.randn(
                b["input_ids"].shape[0],
                b["input_ids"].shape[1] + k,
                h,
                dtype=dtype,
                device=args.device,
            ),
            torch.nn.functional.pad(b["attention_mask"], (0, k), value=1),
        )
        for b in batches
    ]

    @torch.no_grad()
    def encoder_alone():
        for b in batches:
            model.encoder(**b)

    @torch.no_grad()
    def llm_alone():
        with attention(model.llm, True):
            for x, mask in llm_inputs:
                model.llm.get_decoder()(inputs_embeds=x, attention_mask=mask, use_cache=False)

    def whole():
        model.encode(texts, batch_size=args.batch_size)

    t = best({"enc": encoder_alone, "llm": llm_alone, "all": whole}, args.repeats, args.device)
    t_enc, t_llm, t_all = t["enc"], t["llm"], t["all"]
    n = len(texts)
    tokens = sum(int(b["attention_mask"].sum()) for b in batches)
    print(
        json.dumps(
            {
                "device": args.device,
                "dtype": args.dtype,
                "torch_threads": torch.get_num_threads(),
                "cpus": os.cpu_count(),
                "sentences": n,
                "batch_size": args.batch_size,
                "encoder_tokens_per_sentence": round(tokens / n, 1),
                "sizes": {
                    "encoder": [args.enc_hidden, args.enc_layers],
                    "llm": [args.llm_hidden, args.llm_layers],
                    "parameters_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 1),
                },
                "encoder_alone_per_s": round(n / t_enc, 1),
                "llm_alone_per_s": round(n / t_llm, 1),
                "sum_of_parts_per_s": round(n / (t_enc + t_llm), 1),
                "encode_per_s": round(n / t_all, 1),
                "ratio": round((t_enc + t_llm) / t_all, 3),
                "goal": 0.8,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
