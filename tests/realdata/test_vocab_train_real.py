"""`vocab train` on real Russian text (UD Russian-GSD): exact, SentencePiece-consistent, efficient."""

from __future__ import annotations

import pytest

from langadapt.vocab.train import run as train

pytestmark = pytest.mark.realdata


@pytest.mark.parametrize("kind", ["bpe", "unigram"])
def test_russian_tokenizer_on_held_out_sentences(shared_data, kind, tmp_path):
    import sentencepiece as spm

    from langadapt.models import load_tokenizer
    from langadapt.tokens.metrics import tokenizer_stats

    ud = shared_data / "ud"
    out = train(
        [ud / "ru_gsd-ud-dev.txt"], type=kind, vocab_size=4000, threads=1, out=tmp_path / kind
    )
    test = (ud / "ru_gsd-ud-test.txt").read_text(encoding="utf-8").splitlines()
    tok = load_tokenizer(out)
    stats = tokenizer_stats(tok, test)
    assert stats.round_trip == 1.0 and stats.unknown_share == 0.0
    # a 4,000-token Russian tokenizer already beats Mistral-7B's 32,000 (2.45 symbols/token)
    assert stats.symbols_per_token > 2.45
    sp = spm.SentencePieceProcessor(model_file=str(out / "tokenizer.model"))
    pairs = [(sp.encode(t), tok.encode(t, add_special_tokens=False)) for t in test]
    mismatched = [(a, b) for a, b in pairs if a != b]
    if kind == "bpe":
        assert not mismatched
    else:
        # Unigram picks the most probable segmentation; where two tie exactly ("XVIII" as
        # XV+II+I or XV+I+II) the two libraries may break the tie differently, nowhere else
        assert len(mismatched) <= 3
        for a, b in mismatched:
            assert sum(map(sp.get_score, a)) == pytest.approx(sum(map(sp.get_score, b)), abs=1e-4)
