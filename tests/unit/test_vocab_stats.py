"""`langadapt vocab stats`: the table, the JSON figures and the chart, and its bad inputs."""

from __future__ import annotations

import json

import pytest

from langadapt.cli import main


@pytest.fixture(scope="module")
def setup(tmp_path_factory, builtin_texts):
    from langadapt import tiny

    root = tmp_path_factory.mktemp("stats")
    spm = tiny.train_spm_bpe(builtin_texts, 420, root / "spm")
    bl = tiny.train_byte_level_bpe(builtin_texts, 400, root / "bytelevel")
    ru = root / "ru.txt"
    ru.write_text("\n".join(t for t in builtin_texts if not t.isascii()) + "\n", encoding="utf-8")
    en = root / "en.txt"
    en.write_text("\n".join(t for t in builtin_texts if t.isascii()) + "\n", encoding="utf-8")
    return spm, bl, ru, en


def test_stats_table_json_and_plot(setup, tmp_path, capsys):
    from langadapt.models import load_tokenizer
    from langadapt.tokens.metrics import tokenizer_stats

    spm, bl, ru, en = setup
    out_json, out_png = tmp_path / "r" / "stats.json", tmp_path / "r" / "spt.png"
    argv = ["vocab", "stats", "--tokenizer", str(spm), str(bl), "--corpus", str(ru), str(en)]
    assert main([*argv, "--json", str(out_json), "--plot", str(out_png)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("symbols/token") == 2  # one table per corpus
    data = json.loads(out_json.read_text())
    assert set(data["corpora"]) == {str(ru), str(en)}
    for corpus in (ru, en):
        for name, folder in (("spm", spm), ("bytelevel", bl)):
            lines = corpus.read_text(encoding="utf-8").splitlines()
            want = tokenizer_stats(load_tokenizer(folder), lines)
            got = data["corpora"][str(corpus)][name]
            assert got == pytest.approx(want.as_dict())
            assert f"{want.symbols_per_token:.3f}" in printed
            assert got["round_trip"] == 1.0 and got["unknown_share"] == 0.0
    # aligned: every row is as wide as the header
    table = [ln for ln in printed.splitlines() if ln.startswith(("spm", "bytelevel"))]
    header = next(ln for ln in printed.splitlines() if ln.startswith("tokenizer"))
    assert all(len(ln) == len(header) for ln in table)
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out_png.parent.iterdir() if p.name.startswith(".")]


def test_max_lines_limits_each_corpus(setup, capsys):
    spm, _, ru, _ = setup
    from langadapt.vocab.stats import run

    res = run(tokenizer=[spm], corpus=[ru], max_lines=3)
    assert res[str(ru)]["spm"]["lines"] == 3


@pytest.mark.parametrize(
    "case,fragment",
    [
        ("no_tokenizer_dir", "does not exist"),
        ("empty_tokenizer_dir", "holds no tokenizer"),
        ("missing_corpus", "does not exist"),
        ("empty_corpus", "holds no text"),
        ("negative_lines", "--max-lines must not be negative"),
    ],
)
def test_stats_bad_input(setup, case, fragment, tmp_path, capsys):
    spm, _, ru, _ = setup
    tok, corpus, extra = str(spm), str(ru), []
    if case == "no_tokenizer_dir":
        tok = str(tmp_path / "nope")
    elif case == "empty_tokenizer_dir":
        (tmp_path / "empty").mkdir()
        tok = str(tmp_path / "empty")
    elif case == "missing_corpus":
        corpus = str(tmp_path / "missing.txt")
    elif case == "empty_corpus":
        corpus = tmp_path / "blank.txt"
        corpus.write_text("\n\n")
    elif case == "negative_lines":
        extra = ["--max-lines", "-1"]
    out_json = tmp_path / "stats.json"
    argv = ["vocab", "stats", "--tokenizer", tok, "--corpus", str(corpus), *extra]
    rc = main([*argv, "--json", str(out_json)])
    err = capsys.readouterr().err
    assert rc == 2 and fragment in err and "Traceback" not in err, err
    assert not out_json.exists()
