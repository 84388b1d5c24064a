from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from langadapt import registry
from langadapt.cli import main
from langadapt.errors import ModelError, OutputExistsError
from langadapt.init.stage import run
from langadapt.models import load_tokenizer
from langadapt.tiny import builtin_corpus, tiny_causal_lm, train_byte_level_bpe, train_spm_bpe
from langadapt.tokens.mapping import Side, load_transform

KEY = "model.embed_tokens.weight"


@pytest.fixture(scope="module")
def new_tok(tmp_path_factory):
    """A larger tokenizer of each family trained on the same corpus: 'the new vocabulary'."""
    root = tmp_path_factory.mktemp("newtok")
    texts = builtin_corpus()
    return {
        "sentencepiece-bpe": train_spm_bpe(texts, 700, root / "spm"),
        "llama3": train_byte_level_bpe(texts, 700, root / "bl", style="llama3"),
        "qwen2": train_byte_level_bpe(texts, 700, root / "qw", style="qwen2"),
    }


def _weights(folder):
    return load_file(str(folder / "model.safetensors"))


def _hand_mean(base, old_tok, new_tok, key):
    """Rows of a few word-initial new tokens: mean of the base rows of old_tok.encode(text)."""
    w = _weights(base)[key].float()
    out = {}
    old_vocab = old_tok.get_vocab()
    for s, i in sorted(new_tok.get_vocab().items(), key=lambda kv: -kv[1]):
        spm = s.startswith("▁")
        text = s.replace("▁", " ") if spm else new_tok.convert_tokens_to_string([s])
        if s in old_vocab or not text.startswith(" ") or len(text) < 4 or "\ufffd" in text:
            continue
        # the old tokenizer's own encode: SentencePiece adds the "▁" of a word start itself
        ids = old_tok.encode(text[1:] if spm else text, add_special_tokens=False)
        out[i] = w[ids].mean(0)
        if len(out) == 4:
            break
    assert len(out) == 4
    return out


@pytest.mark.parametrize(
    "arch,family,tied,style",
    [
        ("llama", "sentencepiece-bpe", False, "sentencepiece-bpe"),
        ("qwen2", "byte-level-bpe", True, "qwen2"),
    ],
)
def test_mean_rows_equal_hand_computed_means(
    tiny_dir, new_tok, tmp_path, arch, family, tied, style
):
    base = tiny_dir(arch, family, tied)
    out = run(base, new_tok[style], out=tmp_path / "out")
    old, new = Side.load(base), Side.load(new_tok[style])
    got = _weights(out)
    for key in [KEY] + ([] if tied else ["lm_head.weight"]):
        hand = _hand_mean(base, load_tokenizer(base), load_tokenizer(new_tok[style]), key)
        for i, row in hand.items():
            torch.testing.assert_close(got[key][i].float(), row, rtol=1e-6, atol=1e-7)
        # tokens of both vocabularies copy their row exactly
        w = _weights(base)[key]
        for s in ["<s>", "</s>", "▁the", "<|im_end|>", "Ġthe", "the"]:
            if s in old.vocab and s in new.vocab:
                assert torch.equal(got[key][new.vocab[s]], w[old.vocab[s]])
    assert ("lm_head.weight" in got) == (not tied)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["vocab_size"] == len(new) == got[KEY].shape[0] and cfg["tie_word_embeddings"] == tied
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["method"] == "mean" and manifest["results"]["averaged"] > 100
    T = load_transform(out / "init_transform.safetensors")
    assert T.shape == (len(new), len(old))
    torch.testing.assert_close(
        torch.sparse.mm(T, _weights(base)[KEY].double()).float(), got[KEY].float()
    )


def test_same_tokenizer_leaves_model_unchanged(tiny_dir, tmp_path):
    base = tiny_dir("llama", "sentencepiece-bpe", False)
    out = run(base, base, out=tmp_path / "out")
    a, b = _weights(base), _weights(out)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_spm_pieces_have_no_dummy_prefix_and_bytes_stay_bytes(tiny_dir):
    old = Side.load(tiny_dir("llama", "sentencepiece-bpe", False))
    mid = old.pieces("ет".encode())
    assert mid and all(not old.tokens[i].startswith("▁") for i in mid)
    start = old.pieces(" при".encode())
    assert old.tokens[start[0]].startswith("▁")
    # half of a two-byte character becomes its byte-fallback token
    assert [old.tokens[i] for i in old.pieces("п".encode()[:1])] == ["<0xD0>"]
    bl = Side.load(tiny_dir("llama", "byte-level-bpe", False))
    assert bl.text_bytes(bl.vocab["Ġ"]) == b" "
    assert b"".join(bl.text_bytes(i) for i in bl.pieces("п".encode()[:1])) == b"\xd0"


def test_vocab_map_renumbered_ids(tiny_dir, tmp_path):
    base = tiny_dir("llama", "byte-level-bpe", False)
    newdir = tmp_path / "renumbered"
    shutil.copytree(base, newdir, ignore=shutil.ignore_patterns("*.safetensors", "config.json"))
    tj = json.loads((newdir / "tokenizer.json").read_text())
    vocab = tj["model"]["vocab"]
    a, b = vocab["Ġthe"], vocab["a"]
    vocab["Ġthe"], vocab["a"] = b, a  # BPE merges are by string: ids can move freely
    (newdir / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    n = len(Side.load(base))
    old_to_new = list(range(n))
    old_to_new[a], old_to_new[b] = b, a
    vm = {"base": str(base), "family": "byte-level-bpe", "old_vocab_size": n}
    vm |= {"new_vocab_size": n, "old_to_new": old_to_new, "new_ids": []}
    (newdir / "vocab_map.json").write_text(json.dumps(vm))
    got, w = _weights(run(base, newdir, out=tmp_path / "out"))[KEY], _weights(base)[KEY]
    assert torch.equal(got[b], w[a]) and torch.equal(got[a], w[b])


def test_padded_matrix_rows_survive_and_pad_option(tmp_path):
    base = tmp_path / "qwen"
    train_byte_level_bpe(builtin_corpus(), 400, base, style="qwen2")
    n = len(Side.load(base))
    tiny_causal_lm(
        "qwen2", n + 37, tied=True, bos_token_id=None, eos_token_id=n - 2
    ).save_pretrained(base)
    w = _weights(base)[KEY]
    same = _weights(run(base, base, out=tmp_path / "same"))[KEY]
    assert torch.equal(same, w)  # padding rows (ids >= len(tokenizer)) survive
    padded = _weights(run(base, base, out=tmp_path / "p64", pad_to_multiple_of=64))[KEY]
    assert padded.shape[0] == 448 and torch.equal(padded[: n + 37], w)
    torch.testing.assert_close(padded[-1].float(), w[:n].float().mean(0))


@pytest.mark.parametrize("method", ["random", "focus"])
def test_other_methods_copy_shared_rows_and_fill_new_ones(tiny_dir, new_tok, tmp_path, method):
    base = tiny_dir("llama", "sentencepiece-bpe", False)
    out = run(base, new_tok["sentencepiece-bpe"], out=tmp_path / method, method=method)
    mean = _weights(run(base, new_tok["sentencepiece-bpe"], out=tmp_path / "mean"))[KEY]
    got, w = _weights(out)[KEY], _weights(base)[KEY]
    old, new = Side.load(base), Side.load(new_tok["sentencepiece-bpe"])
    shared = [new.vocab[s] for s in old.vocab if s in new.vocab]
    fresh = [i for i in range(len(new)) if i not in set(shared)]
    assert torch.equal(got[shared], mean[shared])
    assert torch.isfinite(got).all() and not torch.equal(got[fresh], mean[fresh])
    if method == "focus":  # convex mixes of real rows: never longer than the longest row
        assert got[fresh].float().norm(dim=1).max() <= w.float().norm(dim=1).max() + 1e-5
    else:  # N(mu, 1e-9 Sigma): all new rows sit at the mean of the old rows
        torch.testing.assert_close(got[fresh].float().mean(0), w.float().mean(0), atol=1e-4, rtol=0)
    assert {m.name for m in registry.methods("init")} >= {"mean", "random", "focus"}


def test_bad_inputs_exit_2_and_write_nothing(tiny_dir, new_tok, tmp_path, capsys):
    base = tiny_dir("llama", "sentencepiece-bpe", False)
    short = tmp_path / "short"
    shutil.copytree(base, short, ignore=shutil.ignore_patterns("*.safetensors", "config.json"))
    tiny_causal_lm("llama", 300).save_pretrained(short)  # 300 rows < 400 tokens
    with pytest.raises(ModelError, match="has only 300 rows"):
        run(short, new_tok["sentencepiece-bpe"], out=tmp_path / "o1")
    pickled = tmp_path / "pickled"
    shutil.copytree(base, pickled, ignore=shutil.ignore_patterns("*.safetensors"))
    torch.save(_weights(base), pickled / "pytorch_model.bin")
    with pytest.raises(ModelError, match="--allow-pickle"):
        run(pickled, base, out=tmp_path / "o2")
    ok = run(pickled, base, out=tmp_path / "o3", allow_pickle=True)
    assert torch.equal(_weights(ok)[KEY], _weights(base)[KEY])
    with pytest.raises(OutputExistsError, match="inside the input folder"):
        run(base, base, out=base / "sub")
    for args in (
        ["--model", str(short), "--tokenizer", str(base), "--out", str(tmp_path / "o4")],
        ["--model", str(pickled), "--tokenizer", str(base), "--out", str(tmp_path / "o5")],
        ["--model", str(base), "--tokenizer", str(base), "--out", str(base / "sub")],
    ):
        assert main(["init", *args]) == 2
    err = capsys.readouterr().err
    assert "init: error:" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o3", "pickled", "short"]
    assert not (base / "sub").exists()
