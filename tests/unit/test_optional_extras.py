"""A missing optional extra never loses work: without matplotlib (the `plot` extra) training
stages finish and keep their model, charts are skipped with one warning, and no stage deletes
its checkpoint before its output is complete."""

from __future__ import annotations

import json
import sys

import pytest

from langadapt.engine.schedule import stage_default
from langadapt.report import plots
from langadapt.train import pretrain, sft


@pytest.fixture
def no_matplotlib(monkeypatch):
    """An environment where `import matplotlib` fails, as without the `plot` extra."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr(plots, "_warned", False)


def _corpus(tmp_path, texts):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(texts * 3) + "\n", encoding="utf-8")
    return path


def _chats(tmp_path, texts):
    path = tmp_path / "d.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]}
        for q, a in zip(texts[::2], texts[1::2])
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def test_training_without_matplotlib_keeps_its_model_and_warns_once(
    no_matplotlib, tiny_dir, tmp_path, builtin_texts, capsys
):
    model = tiny_dir()
    sched = dict(lr=1e-2, batch_size=2, max_steps=2, warmup_steps=1)
    pre = pretrain.run(
        model=model,
        corpus=[_corpus(tmp_path, builtin_texts)],
        out=tmp_path / "pre",
        block_size=32,
        schedule=stage_default(pretrain.run, **sched),
    )
    tuned = sft.run(
        model=model,
        data=[_chats(tmp_path, builtin_texts)],
        out=tmp_path / "sft",
        schedule=stage_default(sft.run, **sched),
    )
    for out in (pre, tuned):
        assert (out / "model.safetensors").is_file() and not (out / "loss.png").exists()
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"] == "complete"
        assert manifest["results"]["skipped"] == [
            "loss.png: the 'plot' extra (matplotlib) is not installed"
        ]
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "pip install 'langadapt[plot]'" in err


def test_vocab_stats_and_report_charts_skip_without_matplotlib(
    no_matplotlib, tiny_dir, tmp_path, builtin_texts, capsys
):
    from langadapt.cli import main
    from langadapt.errors import MissingExtraError

    out_json, out_png = tmp_path / "s.json", tmp_path / "s.png"
    argv = ["vocab", "stats", "--tokenizer", str(tiny_dir()), "--corpus"]
    argv += [str(_corpus(tmp_path, builtin_texts)), "--json", str(out_json), "--plot", str(out_png)]
    assert main(argv) == 0
    assert out_json.is_file() and not out_png.exists()
    with pytest.raises(MissingExtraError, match="langadapt\\[plot\\]"):  # the report skips it
        plots.grouped_bars(["a"], {"m": [1.0]})
    assert capsys.readouterr().err.count("warning:") == 1


def test_a_failure_after_training_keeps_the_checkpoint(
    tiny_dir, tmp_path, builtin_texts, monkeypatch
):
    """Whatever fails after the last step (here the loss plot), the rerun resumes, not restarts."""
    corpus = _corpus(tmp_path, builtin_texts)
    opts = dict(model=tiny_dir(), corpus=[corpus], out=tmp_path / "out", block_size=32)
    opts["schedule"] = stage_default(
        pretrain.run, lr=1e-2, batch_size=2, max_steps=4, warmup_steps=1, save_every=2
    )

    def broken(*args, **kwargs):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(pretrain, "plot_loss", broken)
    with pytest.raises(RuntimeError, match="plotting failed"):
        pretrain.run(**opts)
    assert (tmp_path / ".out.partial" / "checkpoint" / "step.json").is_file()
    monkeypatch.undo()
    out = pretrain.run(**opts)
    assert json.loads((out / "manifest.json").read_text())["results"]["resumed_from_step"] == 2
    assert not (out / "checkpoint").exists() and (out / "loss.png").is_file()
