"""The LLM alone as an embedding model (decoder_embedder.py): tuned by `lusifer finetune`,
saved, loaded by `lusifer eval`, sentence-transformers and MTEB's wrapper."""

from __future__ import annotations

import json

import pytest
import torch

from langadapt.engine.schedule import Schedule
from langadapt.errors import ConfigError


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
def tuned(tmp_path_factory, tiny_dir):
    from langadapt.lusifer import finetune

    tmp = tmp_path_factory.mktemp("decoder-embedder")
    llm = tiny_dir("mistral", "sentencepiece-bpe")  # a tokenizer without a pad token
    out = finetune.run(
        model=llm,
        data=[_pairs(tmp / "pairs.jsonl")],
        out=tmp / "tuned",
        grad_cache_chunk=5,
        schedule=Schedule(lr=1e-2, batch_size=4, max_steps=2, save_every=0),
        precision="no",
    )
    return llm, out


def test_finetune_tunes_a_plain_decoder_as_an_embedding_model(tuned):
    from langadapt.lusifer.decoder_embedder import DecoderEmbedder
    from langadapt.lusifer.embedders import kind_of, load_embedder
    from langadapt.lusifer.folder import load

    llm, out = tuned
    meta = json.loads((out / "lusifer.json").read_text())
    assert meta["architecture"] == "decoder" and meta["settings"]["bidirectional"]
    results = json.loads((out / "manifest.json").read_text())["results"]
    assert results["architecture"] == "decoder" and set(results["lora_targets"]) == {"llm"}
    assert any("pad token" in n for n in results["padding"])
    model = load(out)
    assert isinstance(model, DecoderEmbedder) and kind_of(out) == "tuned-decoder"
    texts = ["where does person 1 live?", "person 1 lives in town 1"]
    e = model.encode(texts)
    assert e.shape == (2, model.llm.config.hidden_size)
    assert torch.allclose(e.norm(dim=-1), torch.ones(2), atol=1e-5)
    # tuned: not the plain decoder read the same way (bidirectional, mean-pooled)
    plain = load_embedder(llm, bidirectional=True)
    assert not torch.allclose(e, plain.encode(texts), atol=1e-4)
    assert torch.allclose(load_embedder(out).encode(texts), e, atol=1e-6)


def test_the_tuned_decoder_is_a_sentence_transformer(tuned):
    pytest.importorskip("sentence_transformers")
    from langadapt.lusifer.folder import load
    from langadapt.lusifer.st import sentence_transformer

    _, out = tuned
    st = sentence_transformer(out)
    q = st.encode_query(["where does person 2 live?"], convert_to_tensor=True)
    assert torch.allclose(q.cpu(), load(out).encode(["where does person 2 live?"]), atol=1e-5)


def test_finetune_refuses_a_plain_encoder(tmp_path):
    from test_lusifer_model import tiny_encoder_folder

    from langadapt.lusifer import finetune

    enc = tiny_encoder_folder(tmp_path / "enc")
    with pytest.raises(ConfigError, match="plain encoder"):
        finetune.run(model=enc, data=[_pairs(tmp_path / "p.jsonl")], out=tmp_path / "o")
