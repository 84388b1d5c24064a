"""Block options: a dataclass-typed option is given as a YAML mapping, `block.field=value`
overrides or `--block.field` flags, merged field by field over the stage's defaults."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from langadapt.config import block_fields, options_of, problems, resolve
from langadapt.errors import ConfigError


@dataclass(frozen=True)
class Knobs:
    """Settings of the fake stage.

    Attributes:
        lr: how fast.
        steps: how long,
            in steps.
        betas: two rates.
        mode: a or b.
        fast: go fast.
    """

    lr: float
    steps: int = 10
    betas: tuple[float, float] = (0.9, 0.99)
    mode: str = "a"
    fast: bool = False


def stage(*, name: str, knobs: Knobs = Knobs(lr=None, steps=20), out: Path | None = None):  # noqa: B008
    """A stage with a block.

    Args:
        name: a name.
        knobs: the knobs.
        out: where.
    """


def test_block_fields_take_the_stage_defaults_and_the_class_help():
    (opt,) = [o for o in options_of(stage) if o.name == "knobs"]
    fields = {f.name: f for f in block_fields(opt)}
    assert list(fields) == ["knobs.lr", "knobs.steps", "knobs.betas", "knobs.mode", "knobs.fast"]
    assert fields["knobs.lr"].required  # None in the stage's default: the stage has none
    assert fields["knobs.steps"].default == 20  # the stage's default, not the class's 10
    assert fields["knobs.steps"].help == "how long, in steps."
    assert fields["knobs.steps"].flag == "--knobs.steps"


def test_mapping_dotted_keys_and_sources_merge_field_by_field():
    got = resolve(
        stage,
        {"name": "x", "knobs": {"lr": "2e-4", "mode": "b"}},  # YAML block, a string coerced
        {"knobs.steps": "7", "knobs": {"fast": "true"}},  # a later source keeps earlier fields
        {"knobs.betas": "0.8,0.9"},
    )
    assert got["knobs"] == Knobs(lr=2e-4, steps=7, betas=(0.8, 0.9), mode="b", fast=True)
    # within one source a single field is more specific than the block's mapping
    got = resolve(stage, {"name": "x", "knobs.lr": 1.0, "knobs": {"lr": 2.0}})
    assert got["knobs"].lr == 1.0 and got["knobs"].steps == 20
    # an instance replaces every field; `knobs:` with nothing under it is the defaults
    assert resolve(stage, {"name": "x", "knobs": Knobs(lr=3.0)})["knobs"] == Knobs(lr=3.0)
    assert resolve(stage, {"name": "x", "knobs": None}, {"knobs.lr": 1})["knobs"].steps == 20


@pytest.mark.parametrize(
    "given,fragment",
    [
        ({"knobs": {"lr": 1, "stpes": 3}}, "unknown option 'knobs.stpes'"),
        ({"knobs.stpes": 3, "knobs.lr": 1}, "valid fields of knobs are: lr, steps, betas, mode"),
        ({"knobs": {"steps": 3}}, "missing required option --knobs.lr"),
        ({}, "--knobs.lr VALUE, knobs.lr=VALUE or in YAML as knobs: {lr: VALUE}"),
        ({"knobs": {"lr": "fast"}}, "option 'knobs.lr' must be a number"),
        ({"knobs": {"lr": 1, "betas": [0.9]}}, "needs 2 values, not 1"),
        ({"knobs": 3}, "is a block of settings (lr, steps, betas, mode, fast)"),
        ({"name.first": "x", "knobs.lr": 1}, "'name' is a single value, not a block"),
    ],
)
def test_block_errors_name_the_field_and_the_fix(given, fragment):
    with pytest.raises(ConfigError) as err:
        resolve(stage, {"name": "x", **given}, where="'fake'")
    assert fragment in str(err.value) and "'fake'" in str(err.value)


def test_problems_lists_every_block_problem_at_once():
    found = problems(options_of(stage), {"knobs": {"stpes": 1}, "knobs.mode": 3}, "stage 's'")
    text = "\n".join(found)
    assert "missing required option --name" in text
    assert "unknown option 'knobs.stpes'" in text
    assert "missing required option --knobs.lr" in text
    assert problems(options_of(stage), {"name": "x", "knobs.lr": 1}) == []


MODULE = '''
from __future__ import annotations
from dataclasses import dataclass
from pathlib import Path

CALLS = []


@dataclass(frozen=True)
class Knobs:
    """Settings.

    Attributes:
        lr: how fast.
        steps: how long.
        fast: go fast.
    """

    lr: float
    steps: int = 10
    fast: bool = False


def go(*, out: Path, knobs: Knobs = Knobs(lr=None, steps=20)) -> Path:
    """Go somewhere.

    Args:
        out: where to write.
        knobs: the stage's knobs.
    """
    CALLS.append(knobs)
    return out
'''


@pytest.fixture
def fake(tmp_path, monkeypatch):
    (tmp_path / "blockstage.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    sys.modules.pop("blockstage", None)
    mod = importlib.import_module("blockstage")
    return {"go": ("blockstage:go", "goes")}, mod


def test_flags_overrides_and_config_blocks(fake, tmp_path, capsys):
    from langadapt.cliargs import dispatch

    table, mod = fake
    cfg = tmp_path / "c.yaml"
    cfg.write_text("knobs: {lr: 0.5, steps: 3}\n")
    assert dispatch(table, ["go", "--out", "o", "--config", str(cfg), "knobs.steps=4"]) == 0
    assert mod.CALLS[-1] == mod.Knobs(lr=0.5, steps=4)
    argv = ["go", "--out", "o", "--knobs.lr", "2e-4", "knobs.steps=5", "--knobs.steps", "6"]
    assert dispatch(table, [*argv, "--knobs.fast"]) == 0
    assert mod.CALLS[-1] == mod.Knobs(lr=2e-4, steps=6, fast=True)  # flags win
    assert dispatch(table, ["go", "--out", "o"]) == 2
    assert "missing required option --knobs.lr" in capsys.readouterr().err
    assert dispatch(table, ["go", "--out", "o", "knobs.lrr=1"]) == 2
    assert "valid fields of knobs are: lr, steps, fast" in capsys.readouterr().err


def test_help_lists_each_field_once_with_its_docstring_help(fake, capsys):
    from langadapt.cliargs import dispatch

    table, _ = fake
    with pytest.raises(SystemExit):
        dispatch(table, ["go", "--help"])
    out = capsys.readouterr().out
    assert out.count("--knobs.steps STEPS ") == 1 and "how long. (default: 20)" in out
    assert "--knobs.lr LR" in out and "how fast. (required)" in out
    assert "--knobs.fast, --no-knobs.fast" in out
    assert "the stage's knobs." in out and "knobs.FIELD=VALUE" in out


def test_pipeline_stage_block_and_two_dot_override(tmp_path):
    from langadapt import pipeline
    from langadapt.train import pretrain

    p = tmp_path / "p.yaml"
    p.write_text(
        "stages:\n"
        "  - name: emb\n"
        "    command: pretrain\n"
        "    options: {model: m, corpus: [c.txt], schedule: {lr: 1e-3, warmup_steps: 7}}\n"
    )
    _, planned = pipeline.plan(p, ["emb.schedule.lr=3e-4", "emb.schedule.max_steps=9"])
    sched = resolve(pretrain.run, planned[0].options)["schedule"]
    assert (sched.lr, sched.warmup_steps, sched.max_steps) == (3e-4, 7, 9)
    assert sched.weight_decay == 0.1  # pretrain's own default, field by field
    with pytest.raises(ConfigError, match="valid fields of schedule"):
        pipeline.plan(p, ["emb.schedule.lrr=3e-4"])
    p.write_text(p.read_text().replace("lr: 1e-3, ", ""))
    with pytest.raises(ConfigError, match="missing required option --schedule.lr"):
        pipeline.plan(p)
