"""`zoo build`: a smoke build on the fast world (2 steps per stage), cache, determinism, bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from langadapt.cli import main


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    from langadapt.world import generate

    return generate.run(seed=0, size="fast", out=tmp_path_factory.mktemp("w") / "world")


@pytest.fixture(scope="module")
def zoo(world, tmp_path_factory):
    """(zoo folder, cache root) of a fast build capped at 2 steps per stage."""
    cache = tmp_path_factory.mktemp("cache")
    out = tmp_path_factory.mktemp("z") / "zoo"
    argv = ["zoo", "build", "--world", str(world), "--out", str(out), "--size", "fast"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LANGADAPT_CACHE", str(cache))
        assert main([*argv, "--max-steps", "2"]) == 0
        yield out, cache


def test_members_are_real_hf_folders(zoo):
    from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

    out, _ = zoo
    for name in ("base", "instruct", "teacher"):
        model = AutoModelForCausalLM.from_pretrained(out / name)
        tok = AutoTokenizer.from_pretrained(out / name)
        assert model.config.model_type == "llama" and len(tok) == model.config.vocab_size
        assert tok.chat_template and "<|start_header_id|>" in tok.chat_template
        assert (out / name / "README.md").read_text().count("final_loss") >= 1
    assert (
        AutoModelForCausalLM.from_pretrained(out / "teacher").config.hidden_size
        > AutoModelForCausalLM.from_pretrained(out / "base").config.hidden_size
    )
    enc = AutoModelForMaskedLM.from_pretrained(out / "encoder")
    tok = AutoTokenizer.from_pretrained(out / "encoder")
    assert enc.config.model_type == "xlm-roberta" and type(tok).__name__ == "XLMRobertaTokenizer"
    ids = tok("Анна живёт в Париже.")["input_ids"]
    assert ids[0] == tok.bos_token_id == 0 and ids[-1] == tok.eos_token_id == 2
    assert tok.pad_token_id == enc.config.pad_token_id == 1
    assert tok.unk_token_id not in ids  # both scripts are covered by the Unigram vocabulary


def test_manifest_records_scores_and_steps(zoo):
    out, _ = zoo
    members = json.loads((out / "manifest.json").read_text())["results"]["members"]
    for name in ("instruct", "teacher"):
        for lang in ("en", "ru"):
            s = members[name]["scores"][f"facts.{lang}"]
            assert s["n"] > 0 and 0.0 <= s["exact"] <= 1.0 and s["examples"]
    assert all(st["steps"] == 2 for m in members.values() for st in m["stages"])
    assert "| eval/facts.en.jsonl |" in (out / "instruct" / "README.md").read_text()


def test_second_build_is_a_no_op_and_cache_is_reused(zoo, world, tmp_path, capsys):
    out, cache = zoo
    before = (out / "manifest.json").read_text()
    argv = ["zoo", "build", "--world", str(world), "--size", "fast", "--max-steps", "2"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (out / "manifest.json").read_text() == before
    assert len(list((cache / "zoo").iterdir())) == 1
    again = tmp_path / "again"
    assert main([*argv, "--out", str(again)]) == 0
    assert json.loads((again / "manifest.json").read_text())["results"]["cached_from"]
    for name in ("base", "encoder"):
        a, b = (p / name / "model.safetensors" for p in (out, again))
        assert a.read_bytes() == b.read_bytes()
    # the same world in another folder (another demo run directory) finds the same zoo
    moved = shutil.copytree(world, tmp_path / "elsewhere" / "world")
    third = tmp_path / "third"
    argv[argv.index(str(world))] = str(moved)
    assert main([*argv, "--out", str(third)]) == 0
    assert json.loads((third / "manifest.json").read_text())["results"]["cached_from"]


def test_same_world_and_seed_same_weights(world, tmp_path):
    from dataclasses import replace

    from langadapt.zoo.build import SIZES
    from langadapt.zoo.causal import pretrained

    spec = replace(SIZES["fast"]["base"], pretrain_steps=2)
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        pretrained(spec, world, tmp_path / run, tmp_path / run / "base", seed=3)
    a, b = (tmp_path / r / "base" / "model.safetensors" for r in "ab")
    assert a.read_bytes() == b.read_bytes()
    other = tmp_path / "c"
    other.mkdir()
    pretrained(spec, world, other, other / "base", seed=4)
    assert (other / "base" / "model.safetensors").read_bytes() != a.read_bytes()


def test_second_process_changes_nothing(zoo, world, tmp_path, monkeypatch):
    """teacher and encoder train in a second process on a 2-core machine; on a 1-core machine
    everything trains in one: the weights are the same either way."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("the `zoo` fixture trained in one process too: nothing to compare")
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    out = tmp_path / "zoo"
    argv = ["zoo", "build", "--world", str(world), "--out", str(out), "--size", "fast"]
    assert main([*argv, "--max-steps", "2", "--no-cache"]) == 0
    for name in ("base", "instruct", "teacher", "encoder"):
        ours, theirs = (z / name / "model.safetensors" for z in (out, zoo[0]))
        assert ours.read_bytes() == theirs.read_bytes(), name


def test_encoder_tokenizer_is_the_same_on_every_run(tmp_path):
    """The Unigram trainer alone gives a different tokenizer.json on every run (last-bit scores,
    the order of the characters it appends); the zoo's is canonical, so the encoder's weights
    can be the same on every run."""
    from langadapt.tiny import builtin_corpus
    from langadapt.zoo.tokenizers import canonical_unigram, encoder_tokenizer

    files = [
        (
            encoder_tokenizer(builtin_corpus(), 300, tmp_path / str(i)) / "tokenizer.json"
        ).read_bytes()
        for i in range(3)
    ]
    assert files[0] == files[1] == files[2]
    # what two trainer runs looked like: one score 1 ulp apart, the appended run permuted
    a = [["<s>", 0.0], ["ab", -2.0000000000000004], ["b", -3.0], ["a", -9.0], ["c", -9.0001]]
    b = [["<s>", 0.0], ["ab", -2.0], ["b", -3.0], ["c", -9.0], ["a", -9.0001]]
    want = [["<s>", 0.0], ["ab", -2.0], ["b", -3.0], ["a", -9.0], ["c", -9.0001]]
    assert canonical_unigram(a, 1) == canonical_unigram(b, 1) == want


def test_mask_tokens_never_masks_specials():
    import torch

    from langadapt.zoo.mlm import mask_tokens

    ids = torch.arange(4, 404).reshape(4, 100)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = special[:, -1] = True
    inputs, labels = mask_tokens(ids, special, 3, 500, torch.Generator().manual_seed(0))
    asked = labels != -100
    assert not asked[special].any() and (inputs[special] == ids[special]).all()
    assert 0.08 < asked.float().mean() < 0.22  # about 15% of the tokens
    assert (labels[asked] == ids[asked]).all() and (inputs[~asked] == ids[~asked]).all()
    assert (inputs[asked] == 3).float().mean() > 0.6  # mostly <mask>


def test_scoring_runs_the_world_facts_eval_task(zoo):
    """The zoo's scorer is the harness's world_facts task: its prompt, its ids (those the former
    scorer built: BOS text cut off the rendering, the tokenizer's BOS added), its options, and
    exact match with a final full stop ignored."""
    from transformers import AutoTokenizer

    from langadapt import registry
    from langadapt.llm.chat import encode_prompt, prompt_text
    from langadapt.zoo.score import METRIC, fact_items

    em = registry.get("metric", METRIC).func
    assert em([{"pred": "Paris.", "gold": ["paris"]}, {"pred": "paris", "gold": "Paris."}]) == 1.0
    assert em([{"pred": "в Париже", "gold": ["Париж"]}]) == 0.0
    tok = AutoTokenizer.from_pretrained(zoo[0] / "instruct")
    row = {"id": "q1", "question": "How old is Anna?", "answer": "5", "answers": ["5", "She is 5."]}
    (item,), options = fact_items([row], "en", tok)
    text = prompt_text(tok, item["prompt"])
    assert text.endswith("<|end_header_id|>\n\nAnswer:") and "Question: How old is Anna?" in text
    assert text.startswith(tok.bos_token)
    assert encode_prompt(tok, item["prompt"]) == tok(text[len(tok.bos_token) :])["input_ids"]
    assert item["gold"] == ["5", "She is 5."]
    assert options["stop"] == ["\n"] and options["max_tokens"] == 32


def test_chat_qa_documents_are_what_the_chat_template_renders(zoo, world):
    """The base reads its train-people QA as chats ("chat" qa_form): the same text, token for
    token, that the instruct model and the `world_facts` task see."""
    from transformers import AutoTokenizer

    from langadapt.zoo import data

    tok = AutoTokenizer.from_pretrained(zoo[0] / "base")
    row = data.train_qa(world, "en")[0]
    msgs = data.qa_chat(row, "en")["messages"]
    doc = data.qa_text(row, "en", "chat")
    assert tok.bos_token + doc == tok.apply_chat_template(msgs, tokenize=False)
    ids = tok(doc, add_special_tokens=False)["input_ids"]
    assert ids.count(tok.convert_tokens_to_ids("<|eot_id|>")) == 2
    assert doc.endswith(f"Answer: {row['answers'][data.PRONOUN_SENTENCE]}<|eot_id|>")


def _fails(capsys, argv, out, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err
    for f in fragments:
        assert f in err, err
    assert "Traceback" not in err
    assert not list(out.parent.glob(f".{out.name}*")), "a partial folder was left behind"


@pytest.mark.parametrize("missing", ["eval/facts.en.jsonl", "manifest.json", "pretrain/ru.jsonl"])
def test_folder_that_is_not_a_world(world, tmp_path, capsys, missing):
    bad = tmp_path / "w"
    shutil.copytree(world, bad)
    (bad / missing).unlink()
    out = tmp_path / "zoo"
    argv = ["zoo", "build", "--world", str(bad), "--out", str(out), "--max-steps", "1"]
    _fails(capsys, argv, out, missing, "langadapt world generate")
    assert not out.exists()


def test_world_that_does_not_exist(tmp_path, capsys):
    out = tmp_path / "zoo"
    argv = ["zoo", "build", "--world", str(tmp_path / "nope"), "--out", str(out)]
    _fails(capsys, argv, out, "nope", "not a folder", "langadapt world generate")
    assert not out.exists()


def test_out_exists(world, tmp_path, capsys):
    out = tmp_path / "zoo"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    argv = ["zoo", "build", "--world", str(world), "--out", str(out), "--max-steps", "1"]
    _fails(capsys, argv, out, str(out), "already exists", "--force")
    assert [p.name for p in out.iterdir()] == ["mine.txt"]


def test_bad_size_and_steps(world, tmp_path, capsys):
    out = tmp_path / "zoo"
    base = ["zoo", "build", "--world", str(world), "--out", str(out)]
    with pytest.raises(SystemExit) as exc:  # argparse refuses a size that is not a choice
        main([*base, "--size", "huge"])
    assert exc.value.code == 2 and "'huge'" in capsys.readouterr().err
    _fails(capsys, [*base, "--max-steps", "0"], out, "--max-steps")
    assert not out.exists()
