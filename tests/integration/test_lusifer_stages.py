"""LUSIFER's two stages end to end on tiny models: align leaves the LLM bit-identical, finetune
trains, both write folders that load back."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from langadapt.engine.schedule import Schedule

pytestmark = pytest.mark.slow


def tiny_encoder_folder(out):
    """A tiny XLM-R with an XLM-R style Unigram tokenizer (as in tests/unit/test_lusifer_model)."""
    from langadapt.models import load_tokenizer
    from langadapt.tiny import builtin_corpus, tiny_xlmr
    from langadapt.zoo.tokenizers import encoder_tokenizer

    encoder_tokenizer(builtin_corpus(), 300, out)
    tiny_xlmr(len(load_tokenizer(out)), max_positions=130).save_pretrained(str(out))
    return out


def _pairs(path, n=8):
    rows = [
        {
            "query": f"where does person {i} live?",
            "positive": f"person {i} lives in town {i % 3}",
            "negatives": [f"person {i} is {20 + i} years old"],
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def aligned(tmp_path_factory, tiny_dir):
    from langadapt.lusifer import align

    tmp = tmp_path_factory.mktemp("lusifer-stages")
    enc = tiny_encoder_folder(tmp / "enc")
    llm = tiny_dir("qwen2", tied=True)
    out = align.run(
        encoder=enc,
        llm=llm,
        data=[_pairs(tmp / "pairs.jsonl")],
        out=tmp / "aligned",
        task="completion",
        schedule=Schedule(lr=1e-2, batch_size=4, max_steps=2, save_every=0),
        precision="no",
    )
    return enc, llm, tmp, out


def test_align_leaves_the_llm_bit_identical_and_trains_the_connector(aligned):
    enc, llm, _, out = aligned
    before, after = load_file(llm / "model.safetensors"), load_file(out / "llm/model.safetensors")
    assert before.keys() == after.keys()
    assert all(
        torch.equal(before[k], after[k]) and before[k].dtype == after[k].dtype for k in before
    )
    e0, e1 = load_file(enc / "model.safetensors"), load_file(out / "encoder/model.safetensors")
    name = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(e0[f"roberta.{name}"], e1[name]), "the encoder's LoRA is merged in"
    results = json.loads((out / "manifest.json").read_text())["results"]
    assert results["steps"] == 2 and results["llm_frozen"] and results["examples"] == 8


def test_finetune_trains_and_writes_a_loadable_folder(aligned):
    from langadapt.lusifer import LusiferModel, finetune

    _, _, tmp, aligned_dir = aligned
    out = finetune.run(
        model=aligned_dir,
        data=[_pairs(tmp / "pairs.jsonl")],
        out=tmp / "tuned",
        schedule=Schedule(lr=1e-2, batch_size=4, max_steps=2, save_every=0),
        precision="no",
    )
    results = json.loads((out / "manifest.json").read_text())["results"]
    assert results["steps"] == 2 and set(results["lora_targets"]) == {"encoder", "llm"}
    assert "lm_head" not in results["lora_targets"]["llm"]
    assert results["hard_negatives_per_row"] == 1.0
    a, b = LusiferModel.load(aligned_dir), LusiferModel.load(out)
    texts = ["where does person 1 live?"]
    assert not torch.allclose(a.encode(texts), b.encode(texts))


def test_world_comparison_end_to_end_on_the_fast_world(tmp_path, monkeypatch):
    """configs/lusifer-world.yaml on the fast world and zoo: data, (A) base alone tuned, (B)
    LUSIFER aligned and tuned, both on English only, evaluated on held-out people in Russian,
    ru -> en and English, with intervals, paired differences and summary.md."""
    from pathlib import Path

    from langadapt import pipeline

    monkeypatch.setenv("LANGADAPT_CACHE", str(tmp_path / "cache"))  # leave the user's zoo alone
    config = Path(__file__).resolve().parents[2] / "configs" / "lusifer-world.yaml"
    out = pipeline.run(
        config, overrides=["world.size=fast", "zoo.size=fast"], run_dir=tmp_path / "run"
    )
    assert out == tmp_path / "run" / "emb_eval"
    data = json.loads((tmp_path / "run/emb_data/manifest.json").read_text())["results"]
    assert data["train_rows"] > 0 and data["dropped_questions"] == 0
    train = (tmp_path / "run/emb_data/train.en.jsonl").read_text()
    for row in (tmp_path / "run/emb_data/world_ru.retrieval.jsonl").read_text().splitlines():
        assert json.loads(row)["positive"] not in train  # held-out people only
    base = json.loads((tmp_path / "run/emb_base/lusifer.json").read_text())
    assert base["architecture"] == "decoder"
    results = json.loads((out / "results.json").read_text())
    assert [m["name"] for m in results["models"]] == ["base alone", "LUSIFER"]
    assert [m["kind"] for m in results["models"]] == ["tuned-decoder", "lusifer"]
    subsets = {(e["task"], e["subset"]) for e in results["tasks"]}
    assert {("world_ru", "ru->ru"), ("world_ru_en", "ru->en"), ("world_en", "all")} <= subsets
    for e in results["tasks"]:
        for name in ("base alone", "LUSIFER"):
            est = e["scores"][name]["ndcg_at_10"]
            assert est["low"] <= est["value"] <= est["high"] and est["method"] == "bootstrap"
        p = e["paired"]["LUSIFER"]["ndcg_at_10"]
        assert p["low"] <= p["diff"] <= p["high"] and isinstance(p["significant"], bool)
    summary = (out / "summary.md").read_text()
    assert summary.startswith("## LUSIFER vs the base LLM alone")
    assert "world_ru_en" in summary and "| world_ru |" in summary
    assert any(w in summary for w in ("LUSIFER wins", "base alone wins", "neither wins", "mixed"))
    assert (out / "report.html").is_file()
