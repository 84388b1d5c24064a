"""The base's own rules in `vocab extend`: word boundaries on every layout, digits, scores, reports."""

from __future__ import annotations

import json
import random
import shutil

import pytest

from langadapt.vocab.bpe_edit import descending_scores, spm_append_pieces
from langadapt.vocab.extend import run as extend
from langadapt.vocab.limits import splits_digits

METASPACE = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}


def _json(folder):
    return json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))


def _new_tokens(base, out) -> list[str]:
    old = _json(base)["model"]["vocab"]
    return [t for t in _json(out)["model"]["vocab"] if t not in old]


@pytest.fixture
def corpus(tmp_path, builtin_texts):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(builtin_texts * 3) + "\n", encoding="utf-8")
    return path


def _metaspace_copy(src, dst):
    """The tokenizer as transformers 5 saves it: no normalizer, Metaspace with split: false."""
    shutil.copytree(src, dst)
    tj = _json(dst)
    tj["normalizer"], tj["pre_tokenizer"] = None, METASPACE
    (dst / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    return dst


def test_split_false_layout_learns_the_same_word_pieces(tiny_dir, corpus, tmp_path):
    import sentencepiece as spm
    from tokenizers import Tokenizer

    hub = tiny_dir("llama", "sentencepiece-bpe")
    meta = _metaspace_copy(hub, tmp_path / "meta")
    a = extend(base=hub, corpus=[corpus], new_tokens=60, out=tmp_path / "a")
    b = extend(base=meta, corpus=[corpus], new_tokens=60, out=tmp_path / "b")
    new = _new_tokens(meta, b)
    assert len(new) == 60 and new == _new_tokens(hub, a)
    assert not [t for t in new if "▁" in t[1:]]  # never a word boundary inside
    sp = spm.SentencePieceProcessor(model_file=str(b / "tokenizer.model"))
    tok = Tokenizer.from_file(str(b / "tokenizer.json"))
    lines = corpus.read_text(encoding="utf-8").splitlines()
    assert [sp.encode(x) for x in lines] == [
        e.ids for e in tok.encode_batch(lines, add_special_tokens=False)
    ]


def test_new_scores_are_distinct_float32_below_minus_1e9():
    import numpy as np
    from sentencepiece import sentencepiece_model_pb2 as pb

    scores = descending_scores(-1e9, 3000)  # float32 steps by 64 here
    as32 = np.array(scores, dtype=np.float32)
    assert (np.diff(as32) < 0).all() and as32[0] < np.float32(-1e9)
    m = pb.ModelProto()
    for text, score in [("<unk>", 0.0), ("▁a", -1.0), ("▁▁", -1e9)]:
        p = m.pieces.add()
        p.piece, p.score = text, score
    back = pb.ModelProto()
    back.ParseFromString(spm_append_pieces(m.SerializeToString(), [f"x{i}" for i in range(3000)]))
    stored = [p.score for p in back.pieces[3:]]
    assert len(set(stored)) == 3000 and stored == sorted(stored, reverse=True)
    assert descending_scores(-3.0, 3) == [-4.0, -5.0, -6.0]


def _number_lines(n: int) -> list[str]:
    rng = random.Random(0)
    return [
        f"В {rng.randint(1900, 2030)} году было {rng.choice([10, 100, 1000, 250])} домов "
        f"и {rng.randint(2, 99)} улиц, на странице {rng.randint(1, 500)}."
        for _ in range(n)
    ]


def test_filler_entries_do_not_hide_digit_splitting(tmp_path, builtin_texts):
    from langadapt.tiny import train_spm_bpe

    base = train_spm_bpe(builtin_texts + _number_lines(60), 400, tmp_path / "base")
    tj = _json(base)
    vocab = tj["model"]["vocab"]
    top = max(vocab.values())
    for k in range(8):  # real vocabularies hold such never-produced filler entries
        vocab[f"[PAD{top + 1 + k}]"] = top + 1 + k
    (base / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    (base / "tokenizer.model").unlink()  # the filler is not in it; the rule needs only the json
    assert any(len(t) > 1 and any(c.isdecimal() for c in t) for t in vocab)
    assert splits_digits(tj)
    corpus = tmp_path / "numbers.txt"
    corpus.write_text("\n".join(_number_lines(400)) + "\n", encoding="utf-8")
    out = extend(base=base, corpus=[corpus], new_tokens=200, out=tmp_path / "ext")
    new = _new_tokens(base, out)
    assert new and not [t for t in new if len(t) > 1 and any(c.isdecimal() for c in t)]
    stop = json.loads((out / "manifest.json").read_text())["results"]["stop"]
    assert stop["excluded"]["digits"] > 0


def test_byte_level_digit_probe(tiny_dir):
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.BPE({c: i for i, c in enumerate("0123456789 .,xв")}, []))
    tok.pre_tokenizer = pre_tokenizers.Digits(individual_digits=True)
    assert splits_digits(json.loads(tok.to_str()))
    grouped = Tokenizer(models.BPE({"1": 0, "0": 1, "10": 2, "100": 3}, [("1", "0"), ("10", "0")]))
    assert not splits_digits(json.loads(grouped.to_str()))


def test_short_count_is_explained(tiny_dir, builtin_texts, tmp_path, capsys):
    base = tiny_dir("llama", "sentencepiece-bpe")
    corpus = tmp_path / "once.txt"
    corpus.write_text("\n".join(builtin_texts) + "\n", encoding="utf-8")
    out = extend(base=base, corpus=[corpus], new_tokens=5000, min_frequency=3, out=tmp_path / "e")
    printed = capsys.readouterr().out
    results = json.loads((out / "manifest.json").read_text())["results"]
    stop = results["stop"]
    assert stop["asked"] == 5000 and stop["added"] == results["added"] < 5000
    assert stop["stop"] == "min_frequency" and 0 < stop["best_left"] < 3
    assert "--min-frequency (now 3" in stop["fix"] and "larger corpus" in stop["fix"]
    assert f"added {results['added']} of the 5000 tokens asked for" in printed
    assert "--min-frequency" in printed


@pytest.mark.parametrize("stage", ["extend", "optimize"])
def test_ignore_merges_is_kept(tiny_dir, corpus, tmp_path, stage):
    from langadapt.vocab.optimize import run as optimize

    base = tiny_dir("llama", "byte-level-bpe")
    assert _json(base)["model"]["ignore_merges"] is True  # as in the real Llama-3
    if stage == "extend":
        out = extend(base=base, corpus=[corpus], new_tokens=30, out=tmp_path / "o")
    else:
        out = optimize(base=base, corpus=[corpus], keep=80, new_tokens=30, out=tmp_path / "o")
    assert _json(out)["model"]["ignore_merges"] is True
