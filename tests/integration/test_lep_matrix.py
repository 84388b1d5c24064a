"""init -> (embedding 'training') -> propagate over every real tiny architecture/tokenizer combination."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from langadapt.checkpoint import Checkpoint
from langadapt.cli import main
from langadapt.models import load_causal_lm, load_tokenizer
from langadapt.tiny import TINY_MATRIX, builtin_corpus, train_byte_level_bpe, train_spm_bpe
from langadapt.tokens.mapping import Side

KEY, HEAD = "model.embed_tokens.weight", "lm_head.weight"
RUSSIAN = [line for line in builtin_corpus() if any("а" <= c <= "я" for c in line)]


def tuned_copy(src, dst, seed):
    """A copy of a model folder with every tensor moved a little (an 'instruct' model, in bf16)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("model*.safetensors", "manifest.json"))
    g = torch.Generator().manual_seed(seed)
    sd = load_file(str(src / "model.safetensors"))
    sd = {
        k: (v + 0.01 * torch.randn(v.shape, generator=g)).to(torch.bfloat16) for k, v in sd.items()
    }
    save_file(sd, str(dst / "model.safetensors"), metadata={"format": "pt"})
    cfg = json.loads((dst / "config.json").read_text())
    (dst / "config.json").write_text(json.dumps(cfg | {"dtype": "bfloat16"}))
    return dst


@pytest.mark.slow
@pytest.mark.parametrize("arch,family,tied", TINY_MATRIX)
def test_init_then_conversion_over_tiny_matrix(tiny_dir, tmp_path, arch, family, tied):
    base = tiny_dir(arch, family, tied)
    texts = builtin_corpus() + RUSSIAN * 3  # the new vocabulary leans Russian
    if family == "sentencepiece-bpe":
        newtok = train_spm_bpe(texts, 640, tmp_path / "newtok")
    else:
        style = "qwen2" if arch == "qwen2" else "llama3"
        newtok = train_byte_level_bpe(texts, 640, tmp_path / "newtok", style=style)
    assert main(["init", "--model", str(base), "--tokenizer", str(newtok), "--out",
                 str(tmp_path / "init")]) == 0  # fmt: skip
    donor = tuned_copy(tmp_path / "init", tmp_path / "donor", seed=2)  # 'embedding training'
    shutil.copy(tmp_path / "init" / "init_transform.safetensors", donor)
    inst = tuned_copy(base, tmp_path / "inst", seed=1)
    out = tmp_path / "lep"
    assert main(["propagate", "--base", str(base), "--instruct", str(inst), "--donor",
                 str(donor), "--method", "conversion", "--out", str(out)]) == 0  # fmt: skip

    # init: a new token's row is the mean of the base rows of its old pieces
    old, new = Side.load(base), Side.load(newtok)
    init_w = load_file(str(tmp_path / "init" / "model.safetensors"))
    base_w = load_file(str(base / "model.safetensors"))
    fresh = [i for i in range(len(new)) if new.tokens[i] not in old.vocab][-3:]
    for i in fresh:
        pieces = old.pieces(new.text_bytes(i))
        assert pieces and len(pieces) >= 1
        torch.testing.assert_close(init_w[KEY][i], base_w[KEY][pieces].mean(0))

    # propagate: loads, generates, keeps the instruct's other tensors byte for byte
    model, tok = load_causal_lm(out), load_tokenizer(out)
    assert len(tok) == len(new) == model.get_input_embeddings().weight.shape[0]
    assert model.config.tie_word_embeddings == tied
    if tied:
        assert model.lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    ids = tok(RUSSIAN[0][:40], return_tensors="pt")
    gen = model.generate(**ids, max_new_tokens=4, do_sample=False)
    assert gen.shape[1] == ids["input_ids"].shape[1] + 4
    assert tok.apply_chat_template([{"role": "user", "content": "привет"}], tokenize=False)
    with safe_open(str(out / "model.safetensors"), "pt") as a:
        with safe_open(str(inst / "model.safetensors"), "pt") as b:
            assert set(a.keys()) == set(b.keys())
            for n in b.keys():
                if n not in (KEY, HEAD):
                    assert a.get_tensor(n).view(torch.uint8).numpy().tobytes() == (
                        b.get_tensor(n).view(torch.uint8).numpy().tobytes()
                    )
    assert Checkpoint(out).get(KEY).dtype == torch.bfloat16
    fit = json.loads((out / "manifest.json").read_text())["results"]["models"]["inst"]
    assert set(fit) == {KEY, "surgery"} | (set() if tied else {HEAD})
    assert fit[KEY]["r2"] > 0.5
