"""LUSIFER's model: bidirectional attention, pooling, encode, save/load, bad input."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

from langadapt.lusifer.layers import Connector, attention, mean_pool, set_bidirectional


def tiny_encoder_folder(out: Path, max_positions: int = 130) -> Path:
    """A tiny XLM-R (hidden 32) with an XLM-R style Unigram tokenizer, saved as an HF folder.

    `max_positions` 130 lets it read 128 tokens, so the truncation path is cheap to reach.
    """
    from langadapt.models import load_tokenizer
    from langadapt.tiny import builtin_corpus, tiny_xlmr
    from langadapt.zoo.tokenizers import encoder_tokenizer

    encoder_tokenizer(builtin_corpus(), 300, out)
    tiny_xlmr(len(load_tokenizer(out)), max_positions=max_positions).save_pretrained(str(out))
    return out


@pytest.fixture(scope="session")
def lusifer_parts(tmp_path_factory, tiny_dir):
    """(encoder folder, Llama folder, SentencePiece-Mistral folder without a pad token)."""
    enc = tiny_encoder_folder(tmp_path_factory.mktemp("lusifer-enc") / "enc")
    return enc, tiny_dir("llama"), tiny_dir("mistral", "sentencepiece-bpe")


@pytest.fixture()
def model(lusifer_parts):
    from langadapt.lusifer import LusiferModel

    enc, llm, _ = lusifer_parts
    return LusiferModel.build(enc, llm).eval()


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_bidirectional_attention_reaches_the_first_position(tiny_dir, arch, impl):
    from langadapt.models import load_causal_lm

    lm = load_causal_lm(tiny_dir(arch), dtype="float32").eval()
    lm.set_attn_implementation(impl)
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    changed = ids.clone()
    changed[0, -1] = 20

    def first(x):
        with torch.no_grad():
            return lm.get_decoder()(input_ids=x).last_hidden_state[0, 0]

    assert torch.equal(first(ids), first(changed)), "a causal decoder's first position is blind"
    with attention(lm, bidirectional=True):
        assert not torch.allclose(first(ids), first(changed))
    assert torch.equal(first(ids), first(changed)), "attention() restores causal attention"
    # a layer's flag alone does not make eager attention bidirectional (the mask is causal)
    for layer in lm.get_decoder().layers:
        layer.self_attn.is_causal = False
    if impl == "eager":
        assert torch.equal(first(ids), first(changed))
    set_bidirectional(lm, False)


def test_connector_puts_added_tokens_after_the_real_tokens():
    conn = Connector(4, 6, added_tokens=2)
    states = torch.randn(2, 3, 4)
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    x, m = conn(states, mask)
    assert x.shape == (2, 5, 6)
    assert m.tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    assert torch.equal(x[1, 1:3], conn.added) and torch.equal(x[0, 3:5], conn.added)
    assert torch.equal(mean_pool(x, m)[1], x[1, :3].mean(0))


def test_encode_is_normalised_and_independent_of_the_batch(model):
    alone = model.encode(["short text"])
    mixed = model.encode(["a much longer text with many more words in it", "short text"])
    assert alone.shape == (1, 32)
    assert torch.allclose(alone.norm(dim=-1), torch.ones(1))
    assert torch.allclose(alone[0], mixed[1], atol=1e-5)
    # the instruction is part of the encoder's text: query and document formats differ
    assert not torch.allclose(alone, model.encode(["short text"], kind="document"))


def test_save_and_load_back_in_one_call(model, tmp_path):
    from langadapt.lusifer import LusiferModel

    model.settings.output = "projected"
    model.save(tmp_path / "m")
    again = LusiferModel.load(tmp_path / "m")
    texts = ["the cat sleeps", "кошка спит"]
    assert again.settings.output == "projected"
    assert torch.allclose(model.encode(texts), again.encode(texts), atol=1e-6)
    assert not list((tmp_path / "m").rglob("*.py")), "a LUSIFER folder holds no code"


def test_long_texts_are_truncated_warned_and_counted(model):
    limit = model.truncations.limit
    assert limit == 128  # 130 positions, XLM-R numbers them from pad_token_id + 1 = 2
    long = " ".join(["word"] * 200)
    with pytest.warns(UserWarning, match="longer than the encoder.s limit of 128"):
        model.encode([long, "short"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # counted, not warned again
        model.encode([long])
    assert model.truncations.count == 2 and model.truncations.longest > 128


def test_tokenizers_without_pad_tokens_are_handled(lusifer_parts):
    from langadapt.lusifer import LusiferModel
    from langadapt.lusifer.alignment import AlignCollate

    enc, _, mistral = lusifer_parts
    model = LusiferModel.build(enc, mistral)
    assert model.llm_tokenizer.pad_token_id is None
    collate = AlignCollate(model, mask_ratio=0.5, bidirectional=False, max_target=16, seed=0)
    assert "pad" in collate.note and model.llm_tokenizer.pad_token_id is not None
    batch = collate([(0, "Repeat", "hello world", "hello world"), (1, "Repeat", "a", "a b c")])
    assert batch["lm_inputs"].shape == batch["lm_labels"].shape
    loss, count = model(mode="lm", **batch)
    assert torch.isfinite(loss) and int(count) == int((batch["lm_labels"] != -100).sum())
    # an encoder tokenizer without a pad token gets one too
    model.enc_tokenizer.pad_token = None
    assert model.enc_tokenizer.pad_token_id is None
    from langadapt.lusifer.text import ensure_pad

    assert ensure_pad(model.enc_tokenizer, "enc") and model.enc_tokenizer.pad_token_id is not None
