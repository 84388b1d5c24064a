"""init's "same string = same row" rule copies only rows the base tokenizer really produces."""

from __future__ import annotations

import json
import shutil

from langadapt.tokens.mapping import Side, build_transform, shared_tokens


def _write(folder, tj):
    (folder / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")


def test_a_string_the_base_never_produces_gets_the_mean_of_its_pieces(tiny_dir, tmp_path):
    """The old vocabulary holds A+B, but no merge makes it: its row was never trained."""
    from tokenizers import Tokenizer

    src = tiny_dir("llama", "sentencepiece-bpe")
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    shutil.copytree(src, old_dir)
    tj = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tj["model"]["vocab"]
    model = Tokenizer.from_file(str(src / "tokenizer.json")).model
    words = [t for t in vocab if t.startswith("▁") and len(t) > 2]
    rest = [t for t in vocab if t.isalpha() and len(t) > 1]
    a, b = next(
        (a, b)
        for a in words
        for b in rest
        if a + b not in vocab and [x.value for x in model.tokenize(a + b)] == [a, b]
    )
    dead = max(vocab.values()) + 1
    vocab[a + b] = dead  # in the vocabulary, reached by no merge (like a filler entry)
    _write(old_dir, tj)
    shutil.copytree(old_dir, new_dir)
    tj["model"]["merges"].append(
        [a, b] if isinstance(tj["model"]["merges"][0], list) else f"{a} {b}"
    )
    _write(new_dir, tj)  # the new tokenizer does produce it
    old, new = Side.load(old_dir), Side.load(new_dir)
    pairs = shared_tokens(old, new, None)
    assert dead not in pairs
    assert pairs[vocab[a]] == vocab[a] and pairs[vocab["▁"]] == vocab["▁"]  # produced: copied
    T = build_transform(old, new, len(old), len(new), None).T.to_dense()
    assert T[dead, vocab[a]] == T[dead, vocab[b]] == 0.5 and T[dead, dead] == 0
    assert T[vocab[a], vocab[a]] == 1
