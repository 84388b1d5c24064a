"""TAPIR's seed -> classify -> balance on a slice of real Alpaca records (../shared/data).

The classifier is a loopback endpoint that answers by keyword, so the path is real (Alpaca
JSON in, the shipped prompt and taxonomy, HTTP calls, `<answer>` parsing, exact quotas out)
and the figures are checkable without a model.
"""

from __future__ import annotations

import json

import pytest

from langadapt.corpus import read_json_lines
from langadapt.distill import balance, classify, rebalance, seed, taxonomy
from langadapt.llm.clientopts import Client
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")
pytestmark = [pytest.mark.slow, pytest.mark.realdata]

SLICE = 200


def keyword_label(messages) -> str:
    text = messages[-1]["content"].split("Request:")[1].lower()
    for word, label in (("code", "Code Generation"), ("calculate", "Math"), ("poem", "Writing")):
        if word in text:
            return f"<answer>{label}</answer>"
    return "<answer>none of these</answer>"


def test_alpaca_slice_seed_classify_balance(shared_data, tmp_path):
    src = shared_data / "alpaca" / "alpaca_5000.json"
    s = seed.run(data=src, out=tmp_path / "seed", limit=SLICE, progress=False)
    rows = read_json_lines(s / "seed.jsonl")
    assert len(rows) == SLICE and all(r["teacher"] for r in rows)  # Alpaca's own outputs
    with EchoEndpoint(reply=keyword_label) as stub:
        c = classify.run(data=s / "seed.jsonl", out=tmp_path / "cls", model=stub.url,
                         served_model="echo", client=Client(cache_path=tmp_path / "c.sqlite"),
                         progress=False)  # fmt: skip
        assert stub.total == SLICE
    labelled = read_json_lines(c / "classified.jsonl")
    assert {r["label"] for r in labelled} <= set(taxonomy.load_taxonomy())
    dist = json.loads((c / "distribution.json").read_text())
    assert sum(dist["labels"].values()) == SLICE
    b = rebalance.run(data=c / "classified.jsonl", out=tmp_path / "bal", n=300, seed=0)
    out = read_json_lines(b / "balanced.jsonl")
    present = {r["label"] for r in labelled}
    ratios = {k: v for k, v in balance.default_ratios(taxonomy.load_taxonomy()).items()
              if k in present}  # fmt: skip
    want = balance.quotas(ratios, 300)
    assert {k: sum(r["label"] == k for r in out) for k in want} == want and len(out) == 300
    again = rebalance.run(data=c / "classified.jsonl", out=tmp_path / "bal2", n=300, seed=0)
    assert read_json_lines(again / "balanced.jsonl") == out
