"""`Side.load` reads tokenizer.json without transformers; it must see what transformers sees."""

from __future__ import annotations

import json

import pytest

from langadapt import models
from langadapt.models import load_tokenizer
from langadapt.tiny import builtin_corpus, train_byte_level_bpe, train_spm_bpe
from langadapt.tokens.mapping import Side
from langadapt.zoo.tokenizers import encoder_tokenizer

TEXTS = ["Hello world, the cat", " привет, мир", "ünïcödé 東京 🙂", "  two  spaces\tand tab"]


def _no_transformers(monkeypatch) -> None:
    """Make the transformers route fail, so a passing test took the direct one."""

    def refuse(folder):
        raise AssertionError(f"{folder}: Side.load went through transformers")

    monkeypatch.setattr(models, "load_tokenizer", refuse)


def _same_as_transformers(folder, monkeypatch=None) -> None:
    if monkeypatch is None:
        side = Side.load(folder)
    else:
        with monkeypatch.context() as m:
            _no_transformers(m)
            side = Side.load(folder)
    tok = load_tokenizer(folder)
    decoder = tok.backend_tokenizer.get_added_tokens_decoder()
    assert len(side) == len(tok)
    assert side.vocab == tok.get_vocab()
    assert side.added == {i for i in decoder if i < len(tok)}
    assert side.special == {i for i, t in decoder.items() if t.special and i < len(tok)}
    assert side.unk == tok.unk_token_id
    for text in TEXTS:  # the old tokenizer's own split, as init's averaging uses it
        want = [t.id for t in tok.backend_tokenizer.model.tokenize(text.replace(" ", "▁"))]
        got = [t.id for t in side.backend.model.tokenize(text.replace(" ", "▁"))]
        assert got == want


@pytest.mark.parametrize("kind", ["spm", "llama3", "qwen2", "xlmr"])
def test_side_load_matches_transformers_on_each_family(kind, tmp_path, monkeypatch):
    texts = builtin_corpus()
    if kind == "spm":
        folder = train_spm_bpe(texts, 500, tmp_path / "t")
    elif kind == "xlmr":
        folder = encoder_tokenizer(texts, 400, tmp_path / "t")
    else:
        folder = train_byte_level_bpe(texts, 500, tmp_path / "t", style=kind)
    _same_as_transformers(folder, monkeypatch)


def test_side_load_matches_transformers_on_real_tokenizers(
    mistral_tokenizer_dir, tekken_tokenizer_dir, monkeypatch
):
    _same_as_transformers(mistral_tokenizer_dir, monkeypatch)
    _same_as_transformers(tekken_tokenizer_dir, monkeypatch)


ADDED = {"content": "<|x|>", "special": True, "lstrip": False, "rstrip": False, "normalized": False}


@pytest.mark.parametrize(
    "key,value",
    [
        ("extra_special_tokens", ["<|x|>"]),
        ("pad_token", "<|x|>"),
        ("added_tokens_decoder", {"400": ADDED}),
    ],
)
def test_side_load_defers_to_transformers_when_the_config_adds_a_token(key, value, tmp_path):
    """A token declared only in tokenizer_config.json exists for transformers, so for us too."""
    folder = train_byte_level_bpe(builtin_corpus(), 400, tmp_path / "t")
    cfg_path = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg[key] = value
    cfg_path.write_text(json.dumps(cfg))
    side = Side.load(folder)
    assert side.vocab["<|x|>"] == 400 and 400 in side.special
    _same_as_transformers(folder)
