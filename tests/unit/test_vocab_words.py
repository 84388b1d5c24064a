from __future__ import annotations

from collections import Counter

from langadapt.tokens.convert import HUB_SPM_NORMALIZER
from langadapt.tokens.family import read_tokenizer_json
from langadapt.vocab.words import count_hub_spm_units, count_lines, count_units, is_hub_spm

TEXTS = [
    "Привет, мир!",
    "  two leading spaces and  double  spaces ",
    "▁literal▁metaspace ▁ and\ttabs\r\nCRLF",
    "👩🏽‍💻 e\u0301 日本語",
    "Привет, мир!",
    " ",
]


def test_hub_spm_fast_path_equals_normalizer_path(tiny_dir, builtin_texts):
    tok_json = read_tokenizer_json(tiny_dir("llama", "sentencepiece-bpe"))
    assert is_hub_spm(tok_json) and tok_json["normalizer"] == HUB_SPM_NORMALIZER
    texts = TEXTS + builtin_texts
    fast = count_hub_spm_units(count_lines(texts))
    slow = count_units(count_lines(texts), tok_json, "sentencepiece-bpe")
    assert fast == slow
    assert all(u.startswith("▁") and "▁" not in u[1:] for u in fast)


def test_byte_level_units_follow_the_pre_tokenizer(tiny_dir):
    from tokenizers import Tokenizer

    folder = tiny_dir("llama", "byte-level-bpe")
    tok_json = read_tokenizer_json(folder)
    units = count_units(Counter(TEXTS), tok_json, "byte-level-bpe")
    pre = Tokenizer.from_file(str(folder / "tokenizer.json")).pre_tokenizer
    expected = Counter(p for t in TEXTS for p, _ in pre.pre_tokenize_str(t))
    assert units == expected and units["ĠÐ¼Ð¸ÑĢ"] == 2  # " мир" twice
