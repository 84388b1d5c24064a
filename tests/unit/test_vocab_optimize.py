from __future__ import annotations

import json

import pytest

from langadapt.tokens.family import bytes_to_unicode
from langadapt.vocab.bpe_edit import BYTE_TOKEN, merge_pairs
from langadapt.vocab.optimize import run as optimize
from langadapt.vocab.prune import bpe_path

CASES = [("llama", "sentencepiece-bpe"), ("llama", "byte-level-bpe"), ("qwen2", "byte-level-bpe")]
CHAT = [
    {"role": "user", "content": "Как пройти в библиотеку?"},
    {"role": "assistant", "content": "Прямо и налево."},
    {"role": "user", "content": "Thanks!"},
]


@pytest.fixture
def corpus(tmp_path, builtin_texts):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(builtin_texts[::2] * 3) + "\n", encoding="utf-8")
    return path


def _json(folder):
    return json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("arch,family", CASES)
def test_optimize_keeps_specials_bytes_and_closure(tiny_dir, corpus, tmp_path, arch, family):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    base = tiny_dir(arch, family)
    out = optimize(base=base, corpus=[corpus], keep=60, new_tokens=25, out=tmp_path / "opt")
    old, new = _json(base), _json(out)
    vmap = json.loads((out / "vocab_map.json").read_text())
    o2n = vmap["old_to_new"]
    assert len(o2n) == vmap["old_vocab_size"]
    kept_old = [i for i, n in enumerate(o2n) if n is not None]
    assert [o2n[i] for i in kept_old] == list(range(len(kept_old)))  # compact, order kept
    assert 60 < len(kept_old) < len(old["model"]["vocab"])
    old_id2tok = {i: t for t, i in old["model"]["vocab"].items()}
    old_id2tok.update({t["id"]: t["content"] for t in old["added_tokens"]})
    new_vocab = new["model"]["vocab"]
    new_id2tok = {i: t for t, i in new_vocab.items()}
    new_id2tok.update({t["id"]: t["content"] for t in new["added_tokens"]})
    for i in kept_old:
        assert new_id2tok[o2n[i]] == old_id2tok[i]
    # specials keep their strings (at their new ids); every byte token stays
    assert [t["content"] for t in new["added_tokens"]] == [
        t["content"] for t in old["added_tokens"]
    ]
    for t in new["added_tokens"]:
        assert (
            o2n[next(a["id"] for a in old["added_tokens"] if a["content"] == t["content"])]
            == t["id"]
        )
    if family == "sentencepiece-bpe":
        byte_tokens = {t for t in old["model"]["vocab"] if BYTE_TOKEN.match(t)}
        assert len(byte_tokens) == 256
    else:
        byte_tokens = set(bytes_to_unicode().values())
    assert byte_tokens <= set(new_vocab)
    # closure: the BPE path of every kept base token is kept, so each still encodes to itself
    ranks = {p: i for i, p in reversed(list(enumerate(merge_pairs(old["model"]))))}
    model = Tokenizer.from_str(
        json.dumps(dict(new, model=dict(new["model"], ignore_merges=False)))
    ).model
    for i in kept_old:
        t = old_id2tok[i]
        if t in old["model"]["vocab"] and len(t) > 1 and not BYTE_TOKEN.match(t):
            path = bpe_path(t, ranks)
            assert set(path) <= set(new_vocab)
            if path and path[-1] == t:  # reachable in the base: reachable now
                assert [x.value for x in model.tokenize(t)] == [t]
    assert vmap["new_ids"] == list(range(len(kept_old), vmap["new_vocab_size"]))
    # the chat template renders the very same conversation text
    tb, to = AutoTokenizer.from_pretrained(base), AutoTokenizer.from_pretrained(out)
    assert len(to) == vmap["new_vocab_size"]
    for t in new["added_tokens"]:
        assert to.convert_tokens_to_ids(t["content"]) == t["id"]
    assert to.apply_chat_template(CHAT, tokenize=False) == tb.apply_chat_template(
        CHAT, tokenize=False
    )
    ids = to.apply_chat_template(CHAT, tokenize=True, return_dict=False)
    base_ids = tb.apply_chat_template(CHAT, tokenize=True, return_dict=False)
    assert to.decode(ids) == tb.decode(base_ids)
    if tb.bos_token_id is not None:
        assert to.encode("привет")[0] == to.bos_token_id == o2n[tb.bos_token_id]
    text = "Привет 👩🏽‍💻 e\u0301  x\t\r\n日本"
    assert to.decode(to.encode(text, add_special_tokens=False)) == text


def test_optimize_sentencepiece_model_matches(tiny_dir, corpus, tmp_path):
    import sentencepiece as spm

    base = tiny_dir("llama", "sentencepiece-bpe")
    out = optimize(base=base, corpus=[corpus], keep=40, new_tokens=10, out=tmp_path / "opt")
    vocab = _json(out)["model"]["vocab"]
    sp = spm.SentencePieceProcessor(model_file=str(out / "tokenizer.model"))
    assert sp.get_piece_size() == len(vocab)
    assert all(sp.id_to_piece(i) == t for t, i in vocab.items())
