"""Bits per byte on real Russian and English sentences (Universal Dependencies, ../shared/data)."""

from __future__ import annotations

import json

import pytest
import yaml

from langadapt.cli import main
from langadapt.tokens.metrics import tokenizer_stats

pytestmark = pytest.mark.realdata


def test_bpb_task_on_ud_sentences(shared_data, tiny_dir, tmp_path):
    ud = shared_data / "ud"
    texts = {}
    for lang, name in (("ru", "ru_gsd-ud-dev.txt"), ("en", "en_ewt-ud-dev.txt")):
        lines = [x for x in (ud / name).read_text("utf-8").splitlines() if x.strip()][:40]
        (tmp_path / f"{lang}.txt").write_text("\n".join(lines) + "\n", "utf-8")
        texts[lang] = lines
        (tmp_path / f"bpb_{lang}.yaml").write_text(
            yaml.safe_dump(
                {
                    "name": f"bpb_{lang}",
                    "group": "lm",
                    "dataset": {"path": f"{lang}.txt"},
                    "method": "bits-per-byte",
                    "metrics": ["bpb", "bpc", "bits_per_token", "symbols_per_token"],
                }
            )
        )
    model = tiny_dir("qwen2", "byte-level-bpe", True)
    out = tmp_path / "out"
    args = ["eval", "--model", str(model), "--out", str(out), "--no-progress", "--batch-size", "8"]
    assert (
        main([*args, "--tasks", str(tmp_path / "bpb_ru.yaml"), str(tmp_path / "bpb_en.yaml")]) == 0
    )
    res = json.loads((out / "results.json").read_text())["scores"]["model"]["tasks"]
    from langadapt.models import load_tokenizer

    tok = load_tokenizer(model)
    for lang in ("ru", "en"):
        sc = res[f"bpb_{lang}"]
        assert sc["bytes"] == sum(len(t.encode("utf-8")) for t in texts[lang])
        assert sc["chars"] == sum(len(t) for t in texts[lang])
        assert sc["bpb"] == pytest.approx(sc["bits"] / sc["bytes"])
        assert sc["bpc"] == pytest.approx(sc["bits"] / sc["chars"])
        assert sc["symbols_per_token"] == pytest.approx(
            tokenizer_stats(tok, texts[lang]).symbols_per_token
        )
    # Cyrillic takes 2 bytes per letter: per character the cost is higher than per byte
    assert res["bpb_ru"]["bpc"] > 1.7 * res["bpb_ru"]["bpb"]
    assert res["bpb_en"]["bpc"] == pytest.approx(res["bpb_en"]["bpb"], rel=0.05)
