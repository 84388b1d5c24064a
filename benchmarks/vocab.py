"""Speed and memory of `langadapt vocab extend` against a plain SentencePiece BPE trainer.

Builds a ~50 MB corpus by repeating and shuffling (seeded) the lines of ../shared/data/ud/*.txt,
then runs, each in its own subprocess, timed with peak RSS from `os.wait4`:

(a) `langadapt vocab extend` on the real Mistral-7B tokenizer with --new-tokens N;
(b) sentencepiece's trainer, BPE, vocab_size N, default settings, num_threads=2.

Prints JSON with both and the ratio extend/trainer (target: time ratio < 1.5).

    python benchmarks/vocab.py [--mb 50] [--new-tokens 8000] [--seed 0] [--shuffle-words]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UD = ROOT.parent / "shared" / "data" / "ud"

SPM_TRAIN = """
import sys, sentencepiece as spm
spm.SentencePieceTrainer.train(input=sys.argv[1], model_prefix=sys.argv[2], model_type="bpe",
                               vocab_size=int(sys.argv[3]), num_threads=2, minloglevel=2)
"""


def build_corpus(path: Path, mb: float, seed: int, shuffle_words: bool = False) -> dict:
    lines = []
    for f in sorted(UD.glob("*.txt")):
        lines += [x for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
    rng = random.Random(seed)
    target = int(mb * 2**20)
    size = 0
    out = []
    while size < target:
        batch = lines[:]
        rng.shuffle(batch)
        for x in batch:
            if shuffle_words:  # (nearly) every line unique: no help from counting lines first
                words = x.split(" ")
                rng.shuffle(words)
                x = " ".join(words)
            out.append(x)
            size += len(x.encode("utf-8")) + 1
            if size >= target:
                break
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return {"bytes": path.stat().st_size, "lines": len(out), "unique_lines": len(set(out))}


def measure(cmd: list[str], env: dict) -> dict:
    """Wall seconds and peak RSS (MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    output = proc.stdout.read().decode(errors="replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{output[-3000:]}")
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--new-tokens", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--shuffle-words",
        action="store_true",
        help="shuffle the words of each repeated line, so that almost no line repeats",
    )
    ap.add_argument("--prepare", metavar="CORPUS", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))  # realtok: the test-only real-tokenizer builder
    if args.prepare:  # child: write the corpus, build (and cache) the base tokenizer
        from realtok import mistral_tokenizer_dir

        info = build_corpus(Path(args.prepare), args.mb, args.seed, args.shuffle_words)
        print(json.dumps({"info": info, "base": str(mistral_tokenizer_dir())}))
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.txt"
        # in a child: Linux carries a parent's peak RSS over fork+exec into the children's
        prep = [sys.executable, __file__, "--prepare", str(corpus), "--mb", str(args.mb),
                "--seed", str(args.seed)] + (["--shuffle-words"] if args.shuffle_words else [])  # fmt: skip
        prepared = json.loads(subprocess.run(prep, env=env, check=True, capture_output=True).stdout)
        info, base = prepared["info"], prepared["base"]
        extend = measure(
            [sys.executable, "-m", "langadapt", "vocab", "extend", "--base", str(base),
             "--corpus", str(corpus), "--new-tokens", str(args.new_tokens),
             "--out", str(tmp / "ext")],
            env,
        )  # fmt: skip
        results = json.loads((tmp / "ext" / "manifest.json").read_text())["results"]
        extend.update(added=results["added"], dropped_rank_dead=results["dropped_rank_dead"])
        shutil.rmtree(tmp / "ext")
        trainer = measure(
            [sys.executable, "-c", SPM_TRAIN, str(corpus), str(tmp / "spm"), str(args.new_tokens)],
            env,
        )
    print(
        json.dumps(
            {
                "corpus": info,
                "new_tokens": args.new_tokens,
                "extend": extend,
                "sentencepiece_train": trainer,
                "time_ratio": round(extend["seconds"] / trainer["seconds"], 3),
                "rss_ratio": round(extend["peak_rss_mib"] / trainer["peak_rss_mib"], 3),
                "target_time_ratio": 1.5,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
