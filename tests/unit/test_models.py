from __future__ import annotations

import json

import pytest

from langadapt.errors import ModelError, TokenizerError
from langadapt.models import arch_facts, load_causal_lm, load_tokenizer, weight_files
from langadapt.tiny import TINY_MATRIX
from langadapt.tokens.family import detect_family, folder_family


@pytest.mark.parametrize("arch,family,tied", TINY_MATRIX)
def test_tiny_folders_are_real_hf_folders(tiny_dir, arch, family, tied):
    d = tiny_dir(arch, family, tied)
    facts = arch_facts(d)
    assert facts.model_type == arch and facts.tied == tied
    assert (facts.output_key is None) == tied
    tok = load_tokenizer(d)
    assert folder_family(d) == family
    model = load_causal_lm(d)
    assert model.get_input_embeddings().weight.shape[0] == len(tok)
    text = "Привет, world!  \tend\r\nline 👩‍👩‍👧 q\u0301 é 日本"  # q+U+0301 has no NFC form
    assert tok.decode(tok.encode(text, add_special_tokens=False)) == text
    ids = tok.encode("hi")
    if tok.bos_token_id is not None:  # Qwen2 has no BOS
        assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1
    rendered = tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert "hi" in rendered


def test_pickle_only_checkpoint_is_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (tmp_path / "pytorch_model.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match="--allow-pickle"):
        weight_files(tmp_path)
    assert weight_files(tmp_path, allow_pickle=True)[0].name == "pytorch_model.bin"


def test_remote_code_and_unknown_arch_refused(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "auto_map": {"x": 1}}))
    with pytest.raises(ModelError, match="trust_remote_code"):
        arch_facts(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bloom", "hidden_size": 8}))
    with pytest.raises(ModelError, match="not supported"):
        arch_facts(tmp_path)
    with pytest.raises(ModelError, match="no config.json"):
        arch_facts(tmp_path / "nothing")


def test_folder_without_tokenizer(tmp_path):
    with pytest.raises(TokenizerError, match="holds no tokenizer"):
        load_tokenizer(tmp_path)
    with pytest.raises(TokenizerError, match="no tokenizer.json"):
        folder_family(tmp_path)


def test_unknown_family():
    with pytest.raises(TokenizerError, match="unknown tokenizer family"):
        detect_family(
            {"model": {"type": "WordPiece"}, "pre_tokenizer": {"type": "BertPreTokenizer"}}
        )
