"""LEP "Extended" vocabularies on the real Mistral-7B and Mistral-Nemo (tekken) tokenizers.

Learned on UD Russian GSD dev, measured on UD Russian GSD test and English EWT test. Mistral-7B
is tested in both layouts transformers writes: the Hub's (Prepend/Replace normalizer) and
transformers 5's `save_pretrained` (Metaspace pre-tokenizer with `split: false`).
"""

from __future__ import annotations

import json

import pytest

from langadapt.tokens.metrics import round_trip_failures, tokenizer_stats
from langadapt.vocab.extend import run as extend

pytestmark = [pytest.mark.slow, pytest.mark.realdata]

# fixture, new tokens, min_frequency, least Russian gain in symbols per token.
# tekken (131k ids) already holds most frequent Russian words whole; on the 579 lines of the
# dev file only ~900 pairs occur twice or more, so it learns from pairs seen once as well.
CASES = [
    ("mistral_tokenizer_dir", 3000, 2, 0.10),
    ("mistral_metaspace_tokenizer_dir", 3000, 2, 0.10),
    ("tekken_tokenizer_dir", 3000, 1, 0.03),
]


@pytest.fixture(scope="session")
def mistral_metaspace_tokenizer_dir(mistral_tokenizer_dir):
    """Mistral-7B as transformers 5's save_pretrained writes it, with its tokenizer.model."""
    from realtok import mistral_metaspace_tokenizer_dir as build

    return build()


def _lines(path):
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _word_boundary_inside(token: str, family: str) -> bool:
    """True for a token that spans words: a space after its first character."""
    if family == "sentencepiece-bpe":
        return "▁" in token[1:]
    from langadapt.tokens.family import bytes_to_unicode

    back = {c: b for b, c in bytes_to_unicode().items()}
    text = bytes(back[c] for c in token if c in back).decode("utf-8", "replace")
    return " " in text.strip()


def spm_disagreements(folder, paths) -> list[str]:
    """Lines of `paths` that tokenizer.model and tokenizer.json encode to different ids."""
    import sentencepiece as spm
    from tokenizers import Tokenizer

    sp = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    bad = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        for line, enc in zip(lines, tok.encode_batch(lines, add_special_tokens=False)):
            if sp.encode(line) != enc.ids:
                bad.append(line)
    return bad


@pytest.mark.parametrize(
    "fixture,n_new,min_freq,gain", CASES, ids=["mistral", "mistral-metaspace", "tekken"]
)
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
    family = results["family"]
    base_vocab = tb.get_vocab()
    new_tokens = [t for t in te.get_vocab() if t not in base_vocab]
    used = {i for x in _lines(ud / "ru_gsd-ud-test.txt") for i in te.encode(x) if i >= len(tb)}
    print(f"\n{fixture}: added={results['added']} dropped_rank_dead={results['dropped_rank_dead']}")
    print(f"  stop: {results['stop']['stop']}; {'; '.join(results['stop']['why']) or '-'}")
    print(f"  new tokens used on ru_gsd test: {len(used)}")
    for name, (b, e) in figures.items():
        print(f"  {name}: symbols/token base {b:.3f} -> extended {e:.3f} ({e / b - 1:+.2%})")
    assert len(new_tokens) == results["added"] == results["stop"]["added"]
    assert [t for t in new_tokens if _word_boundary_inside(t, family)] == []
    if family == "sentencepiece-bpe":
        assert spm_disagreements(out, sorted(ud.glob("*-ud-*.txt"))) == []
    else:  # tiktoken semantics survive the extension
        assert json.loads((out / "tokenizer.json").read_text())["model"]["ignore_merges"]
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
    # exact round trip on every line of every file of ud/ that the base itself round-trips
    # (transformers 5's Metaspace layout adds no "▁" before a leading space, and its decoder
    # strips one: the base already loses a space on the indented lines of the licence files)
    for path in sorted(ud.iterdir()):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert round_trip_failures(te, lines) == round_trip_failures(tb, lines), path.name
    assert all(round_trip_failures(te, _lines(p)) == [] for p in ud.glob("*-ud-*.txt"))


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
    assert results["keep_note"] is None or "occur in the base tokenization" in results["keep_note"]
    if results["family"] == "sentencepiece-bpe":
        assert spm_disagreements(out, sorted(ud.glob("*-ud-*.txt"))) == []
    for path in sorted(ud.iterdir()):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert round_trip_failures(to, lines) == [], path.name
