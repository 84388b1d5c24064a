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
