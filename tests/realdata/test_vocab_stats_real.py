"""The LEP paper's base figure: Mistral-7B's tokenizer gives 2.45 symbols per token on Russian."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langadapt.cli import main

pytestmark = pytest.mark.realdata


def _mistral_folder(out: Path) -> Path:
    mistral_common = pytest.importorskip("mistral_common")
    from langadapt.tokens.convert import spm_bpe_tokenizer_json, write_hf_tokenizer

    model = Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    tj = spm_bpe_tokenizer_json(model)
    return write_hf_tokenizer(tj, out, specials=specials, spm_model=model)


def test_mistral_symbols_per_token_on_ru_gsd_is_the_papers(shared_data, tmp_path, capsys):
    corpus = shared_data / "ud" / "ru_gsd-ud-test.txt"
    folder = _mistral_folder(tmp_path / "mistral-7b")
    out = tmp_path / "stats.json"
    argv = ["vocab", "stats", "--tokenizer", str(folder), "--corpus", str(corpus)]
    assert main([*argv, "--json", str(out)]) == 0
    stats = json.loads(out.read_text())["corpora"][str(corpus)]["mistral-7b"]
    assert stats["symbols_per_token"] == pytest.approx(2.45, abs=0.01)
    assert stats["vocab_size"] == 32000 and stats["round_trip"] == 1.0
    assert "2.446" in capsys.readouterr().out
