"""Bad input to `vocab extend` / `vocab optimize` through the CLI: exit 2, a fix, nothing written."""

from __future__ import annotations

import json

import pytest

from langadapt.cli import COMMANDS, main


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("привет мир\nпривет всем\n" * 5, encoding="utf-8")
    return path


def _run(capsys, argv: list[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    return err


def _args(cmd, base, corpus, out, n="10"):
    extra = ["--keep", "50"] if cmd == "optimize" else []
    return ["vocab", cmd, "--base", str(base), "--corpus", str(corpus), "--new-tokens", n,
            "--out", str(out), *extra]  # fmt: skip


def test_commands_are_registered():
    assert COMMANDS["vocab extend"][0] == "langadapt.vocab.extend:run"
    assert COMMANDS["vocab optimize"][0] == "langadapt.vocab.optimize:run"


@pytest.mark.parametrize("cmd", ["extend", "optimize"])
@pytest.mark.parametrize("n", ["0", "-3"])
def test_new_tokens_must_be_positive(tiny_dir, corpus, tmp_path, capsys, cmd, n):
    out = tmp_path / "out"
    err = _run(capsys, _args(cmd, tiny_dir("llama", "byte-level-bpe"), corpus, out, n))
    assert "--new-tokens" in err and "at least 1" in err
    assert not out.exists()


def test_keep_must_be_positive(tiny_dir, corpus, tmp_path, capsys):
    out = tmp_path / "out"
    argv = _args("optimize", tiny_dir("llama", "byte-level-bpe"), corpus, out)
    argv[argv.index("--keep") + 1] = "0"
    err = _run(capsys, argv)
    assert "--keep" in err and "at least 1" in err
    assert not out.exists()


@pytest.mark.parametrize("cmd", ["extend", "optimize"])
@pytest.mark.parametrize(
    "content,fragment",
    [(b"\n  \n\n", "holds no text"), (b"ok line\n\xff\xfe bad\n", "not UTF-8")],
    ids=["empty", "not-utf8"],
)
def test_bad_corpus(tiny_dir, tmp_path, capsys, cmd, content, fragment):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    out = tmp_path / "out"
    err = _run(capsys, _args(cmd, tiny_dir("llama", "sentencepiece-bpe"), bad, out))
    assert fragment in err and "bad.txt" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize("cmd", ["extend", "optimize"])
def test_folder_without_tokenizer(tmp_path, corpus, capsys, cmd):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    err = _run(capsys, _args(cmd, empty, corpus, out))
    assert "holds no tokenizer.json" in err
    assert not out.exists()


def _unigram_folder(path):
    from tokenizers import Tokenizer, models, normalizers

    tok = Tokenizer(models.Unigram([("<unk>", 0.0), ("▁a", -1.0), ("a", -2.0)], 0))
    tok.normalizer = normalizers.Replace(" ", "▁")
    path.mkdir()
    tok.save(str(path / "tokenizer.json"))
    return path


def _wordlevel_folder(path):
    from tokenizers import Tokenizer, models

    path.mkdir()
    Tokenizer(models.WordLevel({"a": 0, "[UNK]": 1}, "[UNK]")).save(str(path / "tokenizer.json"))
    return path


@pytest.mark.parametrize("cmd", ["extend", "optimize"])
def test_unsupported_families(tmp_path, corpus, capsys, cmd):
    out = tmp_path / "out"
    err = _run(capsys, _args(cmd, _unigram_folder(tmp_path / "uni"), corpus, out))
    assert "sentencepiece-unigram" in err and "BPE families" in err
    err = _run(capsys, _args(cmd, _wordlevel_folder(tmp_path / "wl"), corpus, out))
    assert "unknown tokenizer family" in err
    assert not out.exists()


@pytest.mark.parametrize("cmd", ["extend", "optimize"])
def test_existing_output_folder(tiny_dir, corpus, tmp_path, capsys, cmd):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    err = _run(capsys, _args(cmd, tiny_dir("llama", "byte-level-bpe"), corpus, out))
    assert "already exists" in err and "--force" in err
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_cli_success_writes_vocab_map(tiny_dir, corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_args("extend", tiny_dir("llama", "byte-level-bpe"), corpus, out)) == 0
    assert "dropped_rank_dead=" in capsys.readouterr().out
    vmap = json.loads((out / "vocab_map.json").read_text())
    assert vmap["new_vocab_size"] > vmap["old_vocab_size"]
    assert main(_args("extend", tiny_dir("llama", "byte-level-bpe"), corpus, out)) == 0  # resume
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("cmd", ["extend", "optimize"])
def test_corpus_of_one_repeated_sentence(tiny_dir, tmp_path, capsys, cmd):
    same = tmp_path / "same.txt"
    same.write_text("Привет, как дела у всех сегодня?\n" * 40, encoding="utf-8")
    out = tmp_path / "out"
    err = _run(capsys, _args(cmd, tiny_dir("llama", "sentencepiece-bpe"), same, out))
    assert "same.txt" in err and "all 40 lines are the same text" in err and "varied" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize("cmd", ["extend", "optimize"])
def test_min_frequency_above_every_pair(tiny_dir, corpus, tmp_path, capsys, cmd):
    out = tmp_path / "out"
    argv = [*_args(cmd, tiny_dir("llama", "byte-level-bpe"), corpus, out),
            "--min-frequency", "1000"]  # fmt: skip
    err = _run(capsys, argv)
    assert "--min-frequency 1000" in err and "corpus.txt" in err
    assert "Lower --min-frequency (to 10 or less)" in err  # "привет" pairs occur 10 times
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
