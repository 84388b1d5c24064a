"""LEP "Extended" vocabularies on the real Mistral-7B and Mistral-Nemo (tekken) tokenizers.

Learned on UD Russian GSD dev, measured on UD Russian GSD test and English EWT test.
"""

from __future__ import annotations

import json

import pytest

from langadapt.vocab.extend import run as extend
from langadapt.tokens.metrics import round_trip_failures, tokenizer_stats

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

# fixture, new tokens, min_frequency, least Russian gain in symbols per token.
# tekken (131k ids) already holds most frequent Russian words whole; on the 579 lines of the
# dev file only ~900 pairs occur twice or more, so it learns from pairs seen once as well.
CASES = [
    ("mistral_tokenizer_dir", 3000, 2, 0.10),
    ("tekken_tokenizer_dir", 3000, 1, 0.03),
]


def _lines(path):
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("fixture,n_new,min_freq,gain", CASES, ids=["mistral", "tekken"])
def test_extension_on_real_tokenizers(
    request, shared_data, tmp_path, fixture, n_new, min_freq, gain
):
    from transformers import AutoTokenizer

    base = request.getfixturevalue(fixture)
    ud = shared_data / "ud"
    out = extend(
        base=base,
        corpus=[ud / "ru_gsd-ud-dev.txt"],
        new_tokens=n_new,
        min_frequency=min_freq,
        out=tmp_path / "ext",
    )
    tb, te = AutoTokenizer.from_pretrained(base), AutoTokenizer.from_pretrained(out)
    figures = {}
    for name in ("ru_gsd-ud-test.txt", "en_ewt-ud-test.txt"):
        lines = _lines(ud / name)
        figures[name] = (
            tokenizer_stats(tb, lines).symbols_per_token,
            tokenizer_stats(te, lines).symbols_per_token,
        )
    results = json.loads((out / "manifest.json").read_text())["results"]
    print(f"\n{fixture}: added={results['added']} dropped_rank_dead={results['dropped_rank_dead']}")
    for name, (b, e) in figures.items():
        print(f"  {name}: symbols/token base {b:.3f} -> extended {e:.3f} ({e / b - 1:+.2%})")
    ru_b, ru_e = figures["ru_gsd-ud-test.txt"]
    en_b, en_e = figures["en_ewt-ud-test.txt"]
    assert ru_e >= ru_b * (1 + gain)
    assert abs(en_e / en_b - 1) < 0.01
    # every original id keeps its string
    vb = tb.backend_tokenizer.get_vocab(with_added_tokens=True)
    ve = te.backend_tokenizer.get_vocab(with_added_tokens=True)
    assert len(vb) == len(tb) and all(ve[t] == i for t, i in vb.items())
    assert [te.convert_ids_to_tokens(i) for i in range(len(tb))] == tb.convert_ids_to_tokens(
        list(range(len(tb)))
    )
    # exact round trip on every line of every file of ud/
    for path in sorted(ud.iterdir()):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert round_trip_failures(te, lines) == [], path.name


@pytest.mark.parametrize("fixture", ["mistral_tokenizer_dir", "tekken_tokenizer_dir"])
def test_optimization_on_real_tokenizers(request, shared_data, tmp_path, fixture):
    """LEP "Optimized": keep 16,000 base tokens used on Russian+English, add 3,000."""
    from transformers import AutoTokenizer

    from langadapt.vocab.optimize import run as optimize

    base = request.getfixturevalue(fixture)
    ud = shared_data / "ud"
    out = optimize(
        base=base,
        corpus=[ud / "ru_gsd-ud-dev.txt", ud / "en_ewt-ud-dev.txt"],
        keep=16000,
        new_tokens=3000,
        out=tmp_path / "opt",
    )
    tb, to = AutoTokenizer.from_pretrained(base), AutoTokenizer.from_pretrained(out)
    results = json.loads((out / "manifest.json").read_text())["results"]
    print(f"\n{fixture}: kept={results['kept']} added={results['added']} size={len(to)}")
    for name in ("ru_gsd-ud-test.txt", "en_ewt-ud-test.txt"):
        lines = _lines(ud / name)
        b = tokenizer_stats(tb, lines).symbols_per_token
        o = tokenizer_stats(to, lines).symbols_per_token
        print(f"  {name}: symbols/token base {b:.3f} -> optimized {o:.3f} ({o / b - 1:+.2%})")
    chat = [{"role": "user", "content": "Привет!"}, {"role": "assistant", "content": "Hi."}]
    assert to.apply_chat_template(chat, tokenize=False) == tb.apply_chat_template(
        chat, tokenize=False
    )
    assert len(to) < len(tb)
    for path in sorted(ud.iterdir()):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert round_trip_failures(to, lines) == [], path.name
