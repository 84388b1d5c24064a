"""The 113 parallel prompts of ../shared/data/xling (en/fr/pt/ru) as cross-lingual retrieval
through `lusifer eval`, a tiny untrained LUSIFER against its LLM alone: the path, not figures."""

from __future__ import annotations

import json

import pytest
import torch

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

LANGS = ["en", "fr", "pt", "ru"]


def test_xling_prompts_as_cross_lingual_retrieval(shared_data, tmp_path, tiny_dir):
    from langadapt.lusifer import LusiferModel
    from langadapt.lusifer.evaluation import run
    from langadapt.lusifer.parallel import parallel_rows, read_parallel, write_rows
    from langadapt.models import load_tokenizer
    from langadapt.tiny import tiny_xlmr
    from langadapt.zoo.tokenizers import encoder_tokenizer

    texts = read_parallel(
        shared_data / "xling" / "data", "alpacaeval_test_subset.{lang}.jsonl", LANGS
    )
    assert {len(t) for t in texts.values()} == {113}
    data = write_rows(parallel_rows(texts), tmp_path / "xling.retrieval.jsonl")
    enc = tmp_path / "enc"
    encoder_tokenizer([t for ts in texts.values() for t in ts], 2000, enc)
    tiny_xlmr(len(load_tokenizer(enc)), max_positions=514).save_pretrained(str(enc))
    llm = tiny_dir("qwen2", tied=True)
    torch.manual_seed(0)  # the connector's initialisation, so the printed figures repeat
    lus = LusiferModel.build(enc, llm).save(tmp_path / "lusifer")
    out = run(model=[lus, llm], data=[data], out=tmp_path / "ev", iters=200)
    results = json.loads((out / "results.json").read_text())
    subsets = {e["subset"]: e for e in results["tasks"]}
    assert set(subsets) == {"all"} | {f"{x}->{y}" for x in LANGS for y in LANGS if x != y}
    assert subsets["all"]["n"] == 12 * 113 and subsets["ru->en"]["n"] == 113
    for e in subsets.values():
        for name in ("lusifer", llm.name):
            est = e["scores"][name]["ndcg_at_10"]
            assert 0 <= est["low"] <= est["value"] <= est["high"] <= 1
        assert "ndcg_at_10" in e["paired"][llm.name]
    for key in ("all", "ru->en", "en->ru", "fr->pt"):  # the figures docs/lusifer.md quotes
        for name, s in subsets[key]["scores"].items():
            est = s["ndcg_at_10"]
            print(f"{key} {name} {est['value']:.3f} [{est['low']:.3f}, {est['high']:.3f}]")
        p = subsets[key]["paired"][llm.name]["ndcg_at_10"]
        print(f"{key} diff {p['diff']:+.3f} [{p['low']:+.3f}, {p['high']:+.3f}]")
    assert (out / "report.html").is_file()
