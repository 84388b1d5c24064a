"""Repetition penalty (the paper's decoding: greedy, 1.2) in both generation backends."""

from __future__ import annotations

import torch

from langadapt.llm.client import EndpointBackend
from langadapt.llm.local import LocalBackend
from langadapt.models import load_causal_lm, load_tokenizer


def test_local_penalty_is_hf_repetition_penalty(tiny_dir):
    folder = tiny_dir("llama", "byte-level-bpe", seed=3)
    model = load_causal_lm(folder, dtype="float32").eval()
    tok = load_tokenizer(folder)
    backend = LocalBackend.from_model(model, tok, batch_size=2)
    prompt = "The cat sleeps and the cat"
    ids = torch.tensor([tok(prompt)["input_ids"]])
    for penalty in (1.0, 1.2):
        ref = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=12,
            do_sample=False,
            repetition_penalty=penalty,
            eos_token_id=backend.stop_ids,
            pad_token_id=backend.pad_id,
        )
        want = tok.decode(ref[0, ids.shape[1] :].tolist(), skip_special_tokens=True)
        got = backend.generate([prompt], max_new_tokens=12, repetition_penalty=penalty)
        assert got == [want]


def test_endpoint_request_carries_penalty_only_when_set(tmp_path):
    backend = EndpointBackend("http://127.0.0.1:9/v1", "m", cache="off")
    plain = backend.request("hi")
    assert "repetition_penalty" not in plain  # same cache key as before the option existed
    assert backend.request("hi", repetition_penalty=1.2)["repetition_penalty"] == 1.2
