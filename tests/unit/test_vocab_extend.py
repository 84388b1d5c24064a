from __future__ import annotations

import json

import pytest

from langadapt.vocab import extend as extend_mod
from langadapt.vocab.bpe_edit import merge_pairs, prune_rank_dead
from langadapt.vocab.extend import run as extend

# (arch, family) of the tiny tokenizers: SentencePiece BPE (Llama-2/Mistral style), byte-level
# BPE with Llama-3 specials (BOS, specials after the vocabulary) and with Qwen2's (no BOS)
CASES = [("llama", "sentencepiece-bpe"), ("llama", "byte-level-bpe"), ("qwen2", "byte-level-bpe")]
HARD = [
    "Привет, мир! Как дела?",
    "  leading spaces\tand tabs\r\nCRLF",
    "👩🏽‍💻 and 👨‍👩‍👧‍👦 e\u0301 日本語のテキスト",
    "mixed: abc Ωμέγα 123 456 😀😀",
]
VMAP_KEYS = {"base", "family", "old_vocab_size", "new_vocab_size", "old_to_new", "new_ids"}


@pytest.fixture
def corpus(tmp_path, builtin_texts):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(builtin_texts * 3) + "\n", encoding="utf-8")
    return path


def _json(folder):
    return json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("arch,family", CASES)
def test_extend_adds_real_vocabulary_and_keeps_ids(tiny_dir, corpus, tmp_path, arch, family):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    base = tiny_dir(arch, family)
    out = extend(base=base, corpus=[corpus], new_tokens=40, out=tmp_path / "ext")
    old, new = _json(base), _json(out)
    # every base token and every added (special) token keeps its id and string
    for tok, i in old["model"]["vocab"].items():
        assert new["model"]["vocab"][tok] == i
    assert [(t["id"], t["content"]) for t in new["added_tokens"]] == [
        (t["id"], t["content"]) for t in old["added_tokens"]
    ]
    specials = {t["content"] for t in old["added_tokens"]}
    added = {
        t: i
        for t, i in new["model"]["vocab"].items()
        if t not in old["model"]["vocab"] and t not in specials
    }
    assert 0 < len(added) <= 40
    top = max([*old["model"]["vocab"].values(), *(t["id"] for t in old["added_tokens"])])
    assert sorted(added.values()) == list(range(top + 1, top + 1 + len(added)))
    # real vocabulary: base merges first, then merges building every new multi-symbol token
    old_m, new_m = merge_pairs(old["model"]), merge_pairs(new["model"])
    assert new_m[: len(old_m)] == old_m
    results = {a + b for a, b in new_m[len(old_m) :]}
    assert all(t in results or len(t) == 1 for t in added)
    assert not set(added) & {t["content"] for t in new["added_tokens"]}
    # reachability: each new token is what BPE makes of its own symbols
    backend = Tokenizer.from_file(str(out / "tokenizer.json"))
    for t in added:
        assert [x.value for x in backend.model.tokenize(t)] == [t]
    # vocab_map.json schema
    vmap = json.loads((out / "vocab_map.json").read_text())
    assert set(vmap) == VMAP_KEYS and vmap["family"] == family
    assert vmap["old_vocab_size"] == len(AutoTokenizer.from_pretrained(base))
    assert vmap["old_to_new"] == list(range(vmap["old_vocab_size"]))
    assert vmap["new_ids"] == sorted(added.values())
    tok = AutoTokenizer.from_pretrained(out)
    for t in old["added_tokens"]:
        assert tok.convert_tokens_to_ids(t["content"]) == t["id"]
    assert tok.is_fast and len(tok) == vmap["new_vocab_size"] == top + 1 + len(added)
    for text in HARD:
        assert tok.decode(tok.encode(text, add_special_tokens=False)) == text
    assert any(
        i in added.values() for i in tok.encode("\n".join(corpus.read_text().split("\n")[:5]))
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["added"] == len(added)
    assert manifest["results"]["dropped_rank_dead"] == 0


def test_sentencepiece_model_gets_the_new_pieces_last(tiny_dir, corpus, tmp_path):
    import sentencepiece as spm

    base = tiny_dir("llama", "sentencepiece-bpe")
    out = extend(base=base, corpus=[corpus], new_tokens=30, out=tmp_path / "ext")
    vocab = _json(out)["model"]["vocab"]
    sp = spm.SentencePieceProcessor(model_file=str(out / "tokenizer.model"))
    assert sp.get_piece_size() == len(vocab)
    assert all(sp.id_to_piece(i) == t for t, i in vocab.items())
    old = spm.SentencePieceProcessor(model_file=str(base / "tokenizer.model"))
    low = min(old.get_score(i) for i in range(old.get_piece_size()))
    assert all(sp.get_score(i) < low for i in range(old.get_piece_size(), sp.get_piece_size()))
    assert not any("▁" in t[1:] for t in vocab if vocab[t] >= old.get_piece_size())


def _tiny_bpe_json(vocab: list[str], merges: list[tuple[str, str]]) -> dict:
    from tokenizers import Tokenizer, models

    tok = Tokenizer(models.BPE({t: i for i, t in enumerate(vocab)}, merges))
    return json.loads(tok.to_str())


def test_rank_dead_tokens_and_their_dependents_are_dropped():
    # base merges a+b first; a new merge a+bc can never fire on "abc": BPE makes "ab" first
    base = _tiny_bpe_json(["a", "b", "c", "d", "ab"], [("a", "b")])
    new = ["bc", "abc", "abcd"]
    merges = [("b", "c"), ("a", "bc"), ("abc", "d")]
    tj, kept, kept_merges, dropped = prune_rank_dead(base, new, merges, "sentencepiece-bpe")
    assert dropped == ["abc", "abcd"] and kept == ["bc"] and kept_merges == [("b", "c")]
    assert "abc" not in tj["model"]["vocab"] and tj["model"]["vocab"]["bc"] == 5


def test_stage_reports_rank_dead_tokens(tiny_dir, corpus, tmp_path, monkeypatch, capsys):
    base = tiny_dir("llama", "byte-level-bpe")
    tj = _json(base)
    vocab = tj["model"]["vocab"]
    # a base merge x+y and a symbol z: new merges y+z then x+yz; "xyz" alone gives xy, z
    x, y, z = next(
        (a, b, c)
        for a, b in merge_pairs(tj["model"])
        if len(a) == len(b) == 1 and (a + b).isascii()
        for c in "qjzxkv"
        if b + c not in vocab and a + b + c not in vocab
    )
    real = extend_mod.learn_merges

    def with_dead(*args, **kwargs):
        learned = real(*args, **kwargs)
        learned.merges += [(y, z), (x, y + z)]
        return learned

    monkeypatch.setattr(extend_mod, "learn_merges", with_dead)
    out = extend(base=base, corpus=[corpus], new_tokens=20, out=tmp_path / "ext")
    new_vocab = _json(out)["model"]["vocab"]
    assert x + y + z not in new_vocab and y + z in new_vocab
    assert json.loads((out / "manifest.json").read_text())["results"]["dropped_rank_dead"] == 1
    assert "dropped_rank_dead=1" in capsys.readouterr().out


def test_jsonl_corpus_with_text_field_learns_the_same(tiny_dir, corpus, tmp_path):
    base = tiny_dir("llama", "sentencepiece-bpe")
    jsonl = tmp_path / "corpus.jsonl"
    rows = [json.dumps({"body": t, "id": i}, ensure_ascii=False) for i, t in enumerate(
        corpus.read_text(encoding="utf-8").splitlines())]  # fmt: skip
    jsonl.write_text("\n".join(rows) + "\n", encoding="utf-8")
    a = extend(base=base, corpus=[corpus], new_tokens=20, out=tmp_path / "a")
    b = extend(base=base, corpus=[jsonl], new_tokens=20, out=tmp_path / "b", text_field="body")
    assert _json(a) == _json(b)
