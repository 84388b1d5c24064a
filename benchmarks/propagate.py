"""Speed and memory of `langadapt init` and `langadapt propagate` on a Mistral-7B-shaped checkpoint.

Writes a random bf16 checkpoint with Mistral-7B shapes (32 layers, hidden 4096, intermediate
14336, 32 heads, 8 kv heads, vocab 32,000, untied head; ~14.5 GB in ~5 GB shards) tensor by tensor
(never the whole model in memory), a new tokenizer of 55,328 entries (the real Mistral
tokenizer.model.v1 from mistral-common, extended with synthetic merges), then runs in
subprocesses, reading each one's peak RSS (ru_maxrss):

- baseline: a plain `shutil.copyfile` of the shards (then deleted);
- `init` (LEP mean) and `propagate --method conversion` (streaming, copy mode);
- at a ~1B shape (TinyLlama: 22 layers, hidden 2048, intermediate 5632), the naive route users
  take today: load with transformers, resize_token_embeddings, assign rows, save_pretrained.

Prints one JSON object. Run: `OMP_NUM_THREADS=2 PYTHONPATH=src python benchmarks/propagate.py`
(`--small` for a quick check). Disk: ~40 GB at the peak, all deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

NEW_VOCAB = 55_328
SHAPES = {
    "7b": dict(layers=32, hidden=4096, inter=14336, heads=32, kv=8, shard=5 * 10**9),
    "1b": dict(layers=22, hidden=2048, inter=5632, heads=32, kv=4, shard=2 * 10**9),
    "small": dict(layers=4, hidden=1024, inter=2816, heads=16, kv=4, shard=10**8),
}


def tensors(s: dict, vocab: int) -> list[tuple[str, tuple[int, ...]]]:
    """Names and shapes of a Mistral/Llama checkpoint, in Hugging Face's order."""
    h, i, hd = s["hidden"], s["inter"], s["hidden"] // s["heads"]
    out = [("model.embed_tokens.weight", (vocab, h))]
    for n in range(s["layers"]):
        p = f"model.layers.{n}."
        out += [
            (p + "input_layernorm.weight", (h,)),
            (p + "mlp.down_proj.weight", (h, i)),
            (p + "mlp.gate_proj.weight", (i, h)),
            (p + "mlp.up_proj.weight", (i, h)),
            (p + "post_attention_layernorm.weight", (h,)),
            (p + "self_attn.k_proj.weight", (s["kv"] * hd, h)),
            (p + "self_attn.o_proj.weight", (h, h)),
            (p + "self_attn.q_proj.weight", (h, h)),
            (p + "self_attn.v_proj.weight", (s["kv"] * hd, h)),
        ]
    return out + [("model.norm.weight", (h,)), ("lm_head.weight", (vocab, h))]


def write_checkpoint(folder: Path, s: dict, vocab: int, tok: Path) -> None:
    """A random bf16 Mistral-shaped model folder, written one tensor at a time."""
    from transformers import MistralConfig

    folder.mkdir(parents=True)
    cfg = MistralConfig(
        vocab_size=vocab,
        hidden_size=s["hidden"],
        intermediate_size=s["inter"],
        num_hidden_layers=s["layers"],
        num_attention_heads=s["heads"],
        num_key_value_heads=s["kv"],
        tie_word_embeddings=False,
        dtype="bfloat16",
    )
    cfg.save_pretrained(folder)
    shards, cur, size = [], [], 0
    for name, shape in tensors(s, vocab):
        n = 2 * torch.Size(shape).numel()
        if cur and size + n > s["shard"]:
            shards.append(cur)
            cur, size = [], 0
        cur.append((name, shape))
        size += n
    shards.append(cur)
    weight_map, total = {}, 0
    for k, shard in enumerate(shards):
        fname = f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        header, off = {"__metadata__": {"format": "pt"}}, 0
        for name, shape in shard:
            n = 2 * torch.Size(shape).numel()
            header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [off, off + n]}
            off += n
            weight_map[name] = fname
        total += off
        blob = json.dumps(header).encode()
        blob += b" " * (-len(blob) % 8)
        with open(folder / fname, "wb") as f:
            f.write(struct.pack("<Q", len(blob)) + blob)
            for _, shape in shard:
                t = torch.empty(shape, dtype=torch.bfloat16).normal_(std=0.02)
                f.write(memoryview(t.view(torch.uint8).numpy().reshape(-1)))
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    for f in tok.iterdir():
        shutil.copyfile(f, folder / f.name)


def tokenizers(root: Path) -> tuple[Path, Path]:
    """The real Mistral-7B tokenizer, and it extended to NEW_VOCAB entries with synthetic merges."""
    import mistral_common

    from langadapt.tokens.convert import spm_bpe_tokenizer_json, write_hf_tokenizer

    spm = Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"
    tj = spm_bpe_tokenizer_json(spm)
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    old = write_hf_tokenizer(tj, root / "tok-old", specials=specials, spm_model=spm)
    vocab, merges = tj["model"]["vocab"], tj["model"]["merges"]
    pieces = [t for t in vocab if len(t) > 1 and not t.startswith("<")]
    heads = [t for t in pieces if t.startswith("▁")]
    tails = [t for t in pieces if not t.startswith("▁")]
    rng = random.Random(0)
    n0 = len(vocab)
    while len(vocab) < NEW_VOCAB:  # word-start piece + continuation: a new whole-word token
        a, b = rng.choice(heads), rng.choice(tails)
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
            merges.append([a, b] if isinstance(merges[0], list) else f"{a} {b}")
    new = write_hf_tokenizer(tj, root / "tok-new", specials=specials)
    vm = {"base": "mistral-7b", "family": "sentencepiece-bpe", "old_vocab_size": n0}
    vm |= {"new_vocab_size": len(vocab), "old_to_new": list(range(n0))}
    vm["new_ids"] = list(range(n0, len(vocab)))
    (new / "vocab_map.json").write_text(json.dumps(vm))
    return old, new


# Runs each measured step. Linux starts a child's peak RSS (ru_maxrss) at its parent's RSS when
# it forks, so steps forked from this process (torch loaded, checkpoints written) would all carry
# a ~0.5 GB floor; this launcher is a fresh interpreter with a few MB of its own.
LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    req = json.loads(line)
    t0 = time.perf_counter()
    argv = [sys.executable, "-c", req["code"]]
    p = subprocess.Popen(argv, env=req["env"], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    res = {"status": status, "seconds": wall, "maxrss_kib": usage.ru_maxrss}
    print(json.dumps(res), flush=True)
"""
_launcher: subprocess.Popen | None = None


def measure(code: str) -> dict:
    """Run Python code in a subprocess; its wall time and peak RSS (GiB)."""
    global _launcher
    if _launcher is None:
        _launcher = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    env = dict(os.environ, PYTHONPATH="src", TOKENIZERS_PARALLELISM="false")
    _launcher.stdin.write(json.dumps({"code": code, "env": env}) + "\n")
    _launcher.stdin.flush()
    r = json.loads(_launcher.stdout.readline())
    if r["status"] != 0:
        raise SystemExit(f"benchmark step failed (status {r['status']}): {code[:200]}")
    return {"seconds": round(r["seconds"], 2), "peak_rss_gib": round(r["maxrss_kib"] / 2**20, 3)}


def copy_baseline(src: Path, dst: Path) -> dict:
    code = (
        "import shutil, pathlib\n"
        f"src, dst = pathlib.Path({str(src)!r}), pathlib.Path({str(dst)!r})\n"
        "dst.mkdir()\n"
        "for f in sorted(src.glob('*.safetensors')): shutil.copyfile(f, dst / f.name)\n"
    )
    r = measure(code)
    shutil.rmtree(dst)
    return r


NAIVE_INIT = """
import torch
from transformers import AutoModelForCausalLM
from langadapt.tokens.mapping import Side, build_transform
m = AutoModelForCausalLM.from_pretrained({base!r}, dtype=torch.bfloat16)
old, new = Side.load({base!r}), Side.load({tok!r})
T = build_transform(old, new, len(old), len(new), None).T.float()
e, h = m.get_input_embeddings().weight, m.get_output_embeddings().weight
rows_e, rows_h = torch.sparse.mm(T, e.float()), torch.sparse.mm(T, h.float())
m.resize_token_embeddings(len(new), mean_resizing=False)
with torch.no_grad():
    m.get_input_embeddings().weight.copy_(rows_e)
    m.get_output_embeddings().weight.copy_(rows_h)
m.save_pretrained({out!r})
"""

NAIVE_PROPAGATE = """
import torch
from transformers import AutoModelForCausalLM
from langadapt.tokens.mapping import load_transform
base = AutoModelForCausalLM.from_pretrained({base!r}, dtype=torch.bfloat16)
inst = AutoModelForCausalLM.from_pretrained({inst!r}, dtype=torch.bfloat16)
donor = AutoModelForCausalLM.from_pretrained({donor!r}, dtype=torch.bfloat16)
T = load_transform({donor!r} + '/init_transform.safetensors')
inst.resize_token_embeddings(T.shape[0], mean_resizing=False)
for get in ('get_input_embeddings', 'get_output_embeddings'):
    b = getattr(base, get)().weight.double()
    i = getattr(inst, get)().weight[: b.shape[0]].double()
    D = torch.linalg.lstsq(torch.sparse.mm(T, b), torch.sparse.mm(T, i)).solution
    with torch.no_grad():
        getattr(inst, get)().weight.copy_(getattr(donor, get)().weight.double() @ D)
inst.save_pretrained({out!r})
"""


def stages(root: Path, base: Path, tok: Path, tag: str, naive: bool) -> dict:
    donor, lep = root / f"donor-{tag}", root / f"lep-{tag}"
    init_code = f"from langadapt.init.stage import run; run({str(base)!r}, {str(tok)!r}, out={str(donor)!r})"
    prop_code = (
        "from langadapt.propagate.stage import run; "
        f"run({str(base)!r}, [{str(base)!r}], {str(donor)!r}, out={str(lep)!r}, method='conversion')"
    )
    res = {"copy": copy_baseline(base, root / f"copy-{tag}")}
    res["init"] = measure(init_code)
    for f in donor.glob("model-*.safetensors"):  # unchanged copies -> links, to save disk
        if (base / f.name).is_file() and f.stat().st_size == (base / f.name).stat().st_size:
            f.unlink()
            os.link(base / f.name, f)
    res["propagate"] = measure(prop_code)
    shutil.rmtree(lep)
    if naive:
        out = root / f"naive-{tag}"
        res["naive_init"] = measure(NAIVE_INIT.format(base=str(base), tok=str(tok), out=str(out)))
        shutil.rmtree(out)
        code = NAIVE_PROPAGATE.format(
            base=str(base), inst=str(base), donor=str(donor), out=str(out)
        )
        res["naive_propagate"] = measure(code)
        shutil.rmtree(out)
        for st in ("init", "propagate"):
            res[f"{st}_speedup_vs_naive"] = round(
                res[f"naive_{st}"]["seconds"] / res[st]["seconds"], 2
            )
            res[f"{st}_memory_ratio_vs_naive"] = round(
                res[f"naive_{st}"]["peak_rss_gib"] / res[st]["peak_rss_gib"], 2
            )
    for st in ("init", "propagate"):
        res[f"{st}_time_vs_copy"] = round(res[st]["seconds"] / res["copy"]["seconds"], 2)
    shutil.rmtree(donor)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="a 4-layer model: a quick check")
    ap.add_argument(
        "--workdir", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    ap.add_argument("--no-naive", action="store_true", help="skip the naive transformers route")
    ap.add_argument("--only", choices=["1b", "7b"], help="run one shape only")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="lep-bench-", dir=args.workdir))
    report = {"threads": torch.get_num_threads(), "new_vocab": NEW_VOCAB}
    try:
        old, new = tokenizers(root)
        from langadapt.models import load_tokenizer

        vocab = len(load_tokenizer(old))
        report["old_vocab"] = vocab
        for tag in ["small"] if args.small else [args.only] if args.only else ["1b", "7b"]:
            base = root / f"base-{tag}"
            t0 = time.perf_counter()
            write_checkpoint(base, SHAPES[tag], vocab, old)
            gb = sum(f.stat().st_size for f in base.glob("*.safetensors")) / 1e9
            report[tag] = {
                "checkpoint_gb": round(gb, 2),
                "write_seconds": round(time.perf_counter() - t0, 1),
            }
            report[tag].update(
                stages(root, base, new, tag, naive=not args.no_naive and tag != "7b")
            )
            shutil.rmtree(base)
            print(json.dumps({tag: report[tag]}), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
