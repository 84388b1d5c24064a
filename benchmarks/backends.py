"""Requests per second of the endpoint client at 1, 4 and 16 in flight, vs a plain sequential loop.

Two endpoints, each in its own process on 127.0.0.1: a loopback echo stub that answers after a
fixed latency (100 ms: what a remote API costs, where concurrency should scale almost linearly;
goal >= 12x the sequential loop at 16 in flight), and `langadapt serve` on a tiny model (CPU
bound: batching of concurrent greedy requests is what helps). The baseline, measured in the same
run, is the loop a user writes first: the official synchronous `openai` client, one call after
another. Then cached lookups per second (a rerun of a finished job). Prints JSON.

    python benchmarks/backends.py --calls 64 --latency-ms 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from langadapt.llm.client import EndpointBackend

STUB = (
    "import sys, time\n"
    "from langadapt.llm.loopback import EchoEndpoint\n"
    "e = EchoEndpoint(latency_s=float(sys.argv[1]))\n"
    "print('serving echo at', e.url, flush=True)\n"
    "time.sleep(3600)\n"
)


def start_server(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    """Start an endpoint process that prints "... at URL" first; the process and the URL."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if " at " not in line:
        proc.kill()
        raise SystemExit(f"server did not start: {cmd}")
    return proc, line.split(" at ")[1].strip()


def _prompts(tag: str, n: int) -> list[list[dict]]:
    return [[{"role": "user", "content": f"{tag}: tell me about item {i}."}] for i in range(n)]


def _sequential(url: str, model: str, prompts, max_tokens: int) -> float:
    """Calls per second of a plain loop over the synchronous openai client."""
    import openai

    client = openai.OpenAI(base_url=url, api_key="not-needed", max_retries=0)
    t0 = time.perf_counter()
    for p in prompts:
        client.chat.completions.create(model=model, messages=p, max_tokens=max_tokens)
    client.close()
    return len(prompts) / (time.perf_counter() - t0)


def _measure(url: str, model: str, n: int, max_tokens: int, levels: list[int]) -> dict:
    # a few calls first, untimed: the first generations of a freshly loaded model are slow
    # (allocator, kernels), which would make the sequential baseline look worse than it is
    _sequential(url, model, _prompts("warm", 4), max_tokens)
    row = {"sequential_rps": round(_sequential(url, model, _prompts("seq", n), max_tokens), 2)}
    for c in levels:
        client = EndpointBackend(url, model, concurrency=c, cache="off")
        prompts = _prompts(f"c{c}", n)
        # timed from a fresh client: building it and opening its connections is part of a job
        t0, cpu0 = time.perf_counter(), time.process_time()
        client.generate(prompts, max_new_tokens=max_tokens)
        rps = n / (time.perf_counter() - t0)
        client.close()
        row[f"in_flight_{c}_rps"] = round(rps, 2)
        # the client's own CPU per call: what caps the rate once latency is overlapped
        row[f"in_flight_{c}_client_cpu_ms_per_call"] = round(
            1000 * (time.process_time() - cpu0) / n, 2
        )
        row[f"in_flight_{c}_speedup"] = round(rps / row["sequential_rps"], 2)
    return row


def _cached(url: str, model: str, n: int, folder: Path) -> float:
    client = EndpointBackend(url, model, concurrency=16, cache_path=folder / "bench.sqlite")
    prompts = _prompts("cached", n)
    client.generate(prompts, max_new_tokens=8)
    t0 = time.perf_counter()
    client.generate(prompts, max_new_tokens=8)
    assert client.stats.cached == n
    rate = n / (time.perf_counter() - t0)
    client.close()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=64, help="calls per measurement (stub)")
    ap.add_argument("--serve-calls", type=int, default=32, help="calls per measurement (serve)")
    ap.add_argument("--latency-ms", type=float, default=100.0)
    ap.add_argument("--max-tokens", type=int, default=16, help="tokens per serve answer")
    ap.add_argument("--cached-calls", type=int, default=2000)
    ap.add_argument("--skip-serve", action="store_true")
    args = ap.parse_args()
    levels = [1, 4, 16]
    result: dict = {
        "calls": args.calls,
        "latency_ms": args.latency_ms,
        "cpus": os.cpu_count(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server([sys.executable, "-c", STUB, str(args.latency_ms / 1000)])
        try:
            result["stub"] = _measure(url, "echo", args.calls, 8, levels)
            result["cached_lookups_per_s"] = round(
                _cached(url, "echo", args.cached_calls, Path(tmp)), 1
            )
        finally:
            proc.kill()
        if not args.skip_serve:
            from langadapt.tiny import tiny_model_folder

            model = tiny_model_folder(Path(tmp) / "tiny", hidden=64)
            cmd = [sys.executable, "-m", "langadapt", "serve", str(model), "--port", "0"]
            proc, url = start_server(cmd + ["--batch-size", "16"])
            try:
                result["serve"] = _measure(url, "tiny", args.serve_calls, args.max_tokens, levels)
                result["serve"]["max_tokens"] = args.max_tokens
            finally:
                proc.kill()
    result["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
