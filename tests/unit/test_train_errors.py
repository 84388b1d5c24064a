"""Bad input to pretrain / sft / calibrate: a clear error, exit 2, and nothing written."""

from __future__ import annotations

import json
import shutil

import pytest

from langadapt.cli import main

GOOD = {
    "messages": [
        {"role": "user", "content": "Where does the cat sleep?"},
        {"role": "assistant", "content": "On the roof."},
    ]
}


def _fails(capsys, argv, out, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err
    for f in fragments:
        assert f in err, err
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*")), "a partial folder was left behind"
    return err


def test_corpus_smaller_than_one_block(tiny_dir, tmp_path, capsys):
    (tmp_path / "c.txt").write_text("just a few words\n")
    out = tmp_path / "out"
    argv = ["pretrain", "--model", str(tiny_dir()), "--corpus", str(tmp_path / "c.txt")]
    argv += ["--schedule.lr", "1e-3", "--block-size", "512", "--out", str(out)]
    _fails(capsys, argv, out, "tokens after tokenization", "needs 512", "c.txt")


def test_new_rows_needs_to_know_the_new_ids(tiny_dir, tmp_path, capsys):
    (tmp_path / "c.txt").write_text("words\n")
    out = tmp_path / "out"
    argv = ["pretrain", "--model", str(tiny_dir()), "--corpus", str(tmp_path / "c.txt")]
    argv += ["--schedule.lr", "1e-3", "--train", "new-rows", "--out", str(out)]
    _fails(capsys, argv, out, "--new-rows-from")
    (tmp_path / "map.json").write_text(json.dumps({"new_ids": [5, 100000]}))
    _fails(capsys, argv + ["--new-rows-from", str(tmp_path / "map.json")], out, "100000")


def _sft(model, data, out, *extra):
    return [
        "sft",
        "--model",
        str(model),
        "--data",
        str(data),
        "--schedule.lr",
        "1e-3",
        "--out",
        str(out),
    ] + [str(e) for e in extra]


def test_chat_without_assistant_turn_names_file_and_line(tiny_dir, tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(GOOD) + "\n" + json.dumps({"messages": GOOD["messages"][:1]}) + "\n")
    out = tmp_path / "out"
    _fails(capsys, _sft(tiny_dir(), data, out), out, "d.jsonl line 2 has no assistant turn")


def test_malformed_jsonl(tiny_dir, tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(GOOD) + "\n{oops\n")
    out = tmp_path / "out"
    _fails(capsys, _sft(tiny_dir(), data, out), out, "d.jsonl line 2 is not valid JSON")


def test_model_without_chat_template(tiny_dir, tmp_path, capsys):
    model = tmp_path / "base"
    shutil.copytree(tiny_dir(), model)
    (model / "chat_template.jinja").unlink()
    cfg = json.loads((model / "tokenizer_config.json").read_text())
    cfg.pop("chat_template", None)
    (model / "tokenizer_config.json").write_text(json.dumps(cfg))
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(GOOD) + "\n")
    out = tmp_path / "out"
    _fails(capsys, _sft(model, data, out), out, "has no chat template", "--chat-template")
    _fails(
        capsys,
        _sft(model, data, out, "--chat-template", tmp_path / "missing.jinja"),
        out,
        "missing.jinja does not exist",
    )


def test_lora_targets_that_match_nothing(tiny_dir, tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(GOOD) + "\n")
    out = tmp_path / "out"
    argv = _sft(tiny_dir(), data, out, "--lora", "--target-modules", "query", "value")
    _fails(capsys, argv, out, "query, value match no module", "q_proj", "down_proj")


@pytest.mark.parametrize("mix", ["1.0", "0.5"])
def test_copy_task_mix_checks(tiny_dir, tmp_path, capsys, mix):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(GOOD) + "\n")
    out = tmp_path / "out"
    want = "[0, 1)" if mix == "1.0" else "--copy-corpus"
    _fails(capsys, _sft(tiny_dir(), data, out, "--copy-task-mix", mix), out, want)


def test_copy_corpus_without_a_mix_is_not_silently_ignored(tiny_dir, tmp_path, capsys):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps(GOOD) + "\n")
    texts = tmp_path / "ru.txt"
    texts.write_text("Текст для копирования.\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = _sft(tiny_dir(), data, out, "--copy-corpus", str(texts))
    _fails(capsys, argv, out, "--copy-task-mix is 0", "--copy-task-mix 0.2")


@pytest.mark.parametrize(
    "content,fragment",
    [
        (None, "p.jsonl does not exist"),
        ('{"prompt": "hi"}\n[1, 2\n', "p.jsonl line 2 is not valid JSON"),
        ('[{"role": "system", "content": "be brief"}]\n', "does not end with a user turn"),
    ],
)
def test_calibrate_bad_prompts(tiny_dir, tmp_path, capsys, content, fragment):
    prompts = tmp_path / "p.jsonl"
    if content is not None:
        prompts.write_text(content)
    out = tmp_path / "out"
    model = str(tiny_dir())
    argv = ["calibrate", "--model", model, "--reference", model, "--prompts", str(prompts)]
    _fails(capsys, argv + ["--out", str(out)], out, fragment)
