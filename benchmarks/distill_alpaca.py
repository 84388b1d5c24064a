"""TAPIR's first steps at scale: `distill seed`, `classify` and `balance` on the 5,000 Alpaca
records (../shared/data/alpaca) against a model served by `langadapt serve`, with records per
second, beside the same stages at one request in flight (the baseline, same run). Prints JSON.

    python benchmarks/distill_alpaca.py --model ~/.cache/langadapt/demo/zoo/teacher

The model is any local HF folder; `langadapt serve` runs it in its own process on 127.0.0.1 and
batches the concurrent greedy requests (`--batch-size`). The stages run exactly as on the
command line (item logs, the call cache, the distribution tables); the baseline asks the first
`--baseline-records` records with `client.concurrency=1` and the cache off, so every request
waits for the one before it, as a plain loop over an endpoint does. The label distribution is
what this model answers: a model that never saw the taxonomy (the world's tiny models) labels
everything Others, and the JSON says how each label was read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from langadapt.corpus import read_json_lines
from langadapt.distill import classify, rebalance, seed
from langadapt.llm.clientopts import Client

sys.path.insert(0, str(Path(__file__).parent))  # run as a script: its sibling
from backends import start_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ALPACA = ROOT.parent / "shared" / "data" / "alpaca" / "alpaca_5000.json"


def _serve(model: Path, batch_size: int) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "langadapt", "serve", str(model), "--port", "0",
           "--served-model", "model", "--batch-size", str(batch_size)]  # fmt: skip
    return start_server(cmd)


def _timed(func, **kwargs) -> tuple[Path, float]:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # the stages' own lines; stdout is the JSON
        out = func(**kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True, help="HF model folder to serve")
    ap.add_argument("--data", type=Path, default=ALPACA, help="seed file (Alpaca JSON)")
    ap.add_argument("--limit", type=int, default=None, help="first N records (default all)")
    ap.add_argument("--batch-size", type=int, default=32, help="langadapt serve --batch-size")
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    ap.add_argument("--baseline-records", type=int, default=128)
    ap.add_argument("--out", type=Path, default=None, help="keep the stage folders here")
    args = ap.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} is missing: it ships in ../shared/data/alpaca")
    result: dict = {"model": str(args.model), "cpus": os.cpu_count(),
                    "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.out or tmp)
        proc, url = _serve(args.model, args.batch_size)
        ep = {"served_model": "model", "progress": False, "force": True}
        try:
            one = Client(concurrency=1, cache="off")
            base = {"data": args.data, "teacher": url, "limit": args.baseline_records}
            _, s = _timed(seed.run, out=work / "baseline-seed", client=one, **base, **ep)
            _, c = _timed(classify.run, data=work / "baseline-seed" / "seed.jsonl", model=url,
                          out=work / "baseline-classify", client=one, **ep)  # fmt: skip
            n0 = args.baseline_records
            result["baseline_in_flight_1"] = {"records": n0, "seed_records_per_s": n0 / s,
                                              "classify_records_per_s": n0 / c}  # fmt: skip
            many = Client(concurrency=args.concurrency, cache_path=work / "calls.sqlite")
            full = {"data": args.data, "teacher": url, "limit": args.limit}
            s_out, s = _timed(seed.run, out=work / "seed", client=many, **full, **ep)
            n = len(read_json_lines(s_out / "seed.jsonl"))
            c_out, c = _timed(classify.run, data=s_out / "seed.jsonl", model=url,
                              out=work / "classify", client=many, **ep)  # fmt: skip
        finally:
            proc.kill()
        b_out, b = _timed(rebalance.run, data=c_out / "classified.jsonl", out=work / "balance",
                          force=True)  # fmt: skip
        dist = json.loads((c_out / "distribution.json").read_text())
        after = json.loads((b_out / "distribution.json").read_text())["quotas"]
        result[f"in_flight_{args.concurrency}"] = {
            "records": n,
            "seed_records_per_s": n / s,
            "classify_records_per_s": n / c,
            "balance_seconds": b,
            "seed_speedup": (n / s) / result["baseline_in_flight_1"]["seed_records_per_s"],
            "classify_speedup": (n / c) / result["baseline_in_flight_1"]["classify_records_per_s"],
        }
        result["labels"] = {k: v for k, v in dist["labels"].items() if v}
        result["labels_read"] = dist["read"]
        result["balanced"] = {"rows": len(read_json_lines(b_out / "balanced.jsonl")),
                              "quotas": after}  # fmt: skip
        if args.out:
            result["tables"] = [str(c_out / "distribution.md"), str(b_out / "distribution.md")]
    result["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(_rounded(result), indent=2))


def _rounded(obj):
    if isinstance(obj, float):
        return round(obj, 2)
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


if __name__ == "__main__":
    main()
