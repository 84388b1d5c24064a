"""A pipeline is checked whole before its first stage runs; the check reads signatures from source."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import typing

import pytest

from langadapt import commands
from langadapt.config import options_of
from langadapt.errors import ConfigError
from langadapt.pipeline import plan, run
from langadapt.signature import static_options


def _same(static, real) -> bool:
    if dataclasses.is_dataclass(real) and dataclasses.is_dataclass(static):
        return dataclasses.asdict(static) == dataclasses.asdict(real)
    return static == real


def _describe(tp):
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)  # the real class's annotations are strings
        return [(f.name, _describe(hints[f.name]), f.default) for f in dataclasses.fields(tp)]
    return tp


@pytest.mark.parametrize("command", sorted(commands.COMMANDS))
def test_source_reader_matches_the_imported_signature(command):
    """The static reader is what the check trusts: it must equal `options_of` for every command."""
    target = commands.COMMANDS[command][0]
    static = static_options(target)
    real = options_of(commands.load(target))
    assert [o.name for o in static] == [o.name for o in real]
    for s, r in zip(static, real):
        assert _describe(s.annotation) == _describe(r.annotation), s.name
        assert _same(s.default, r.default) or type(s.default).__name__ == "_HasDefault", s.name
        assert s.help == r.help, s.name


def _write(tmp_path, text: str):
    p = tmp_path / "p.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_three_mistakes_in_the_last_stage_are_named_and_nothing_runs(tmp_path):
    """A wrong command, a wrong option and a wrong ${ref}, all in the last stage."""
    p = _write(
        tmp_path,
        f"""
        run_dir: {tmp_path}/run
        stages:
          - {{name: world, command: world generate, options: {{size: fast}}}}
          - {{name: tok, command: vocab extend,
              options: {{base: "${{world}}", corpus: ["${{world}}"], new_tokens: 5}}}}
          - name: last
            command: pretrian
            options: {{model: "${{tokk}}", corpus: ["${{world}}"], schedule: {{lr: 1e-4}},
                       colour: red}}
        """,
    )
    with pytest.raises(ConfigError) as info:
        run(p)
    text = str(info.value)
    assert "unknown command 'pretrian'; did you mean 'pretrain'?" in text
    assert "(checked as 'pretrain'): unknown option 'colour'" in text
    assert "${tokk}, which is not an earlier stage; did you mean ${tok}?" in text
    assert "3 problem(s); nothing was run" in text
    assert not (tmp_path / "run").exists()


def test_wrong_types_and_missing_required_options_are_all_listed(tmp_path):
    p = _write(
        tmp_path,
        """
        stages:
          - {name: a, command: init, options: {seed: lots}}
        """,
    )
    with pytest.raises(ConfigError) as info:
        plan(p)
    text = str(info.value)
    assert "'seed' must be an integer" in text
    assert "missing required option --model" in text
    assert "missing required option --tokenizer" in text


def test_overrides_are_checked_too(tmp_path):
    p = _write(tmp_path, "stages:\n  - {name: w, command: world generate}\n")
    with pytest.raises(ConfigError, match=r"unknown option 'sise'"):
        plan(p, ["w.sise=fast"])
    with pytest.raises(ConfigError, match=r"override of pipeline stage 'w' refers to \$\{nope\}"):
        plan(p, ["w.out=${nope}/x"])
    _, planned = plan(p, ["w.size=fast"])
    assert planned[0].options["size"] == "fast"


def test_the_check_imports_no_torch(tmp_path):
    """Why the check is fast: it reads signatures from source, so it never imports torch."""
    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from langadapt.pipeline import plan
        plan(Path(sys.argv[1]))
        heavy = [m for m in ("torch", "transformers", "peft", "accelerate") if m in sys.modules]
        print("heavy:", heavy)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "configs/lep-mistral-7b-ru.yaml"],
        capture_output=True,
        text=True,
        check=True,
        cwd=commands.__file__.rsplit("/src/", 1)[0],
    ).stdout
    assert "heavy: []" in out


def test_validate_command(tmp_path, capsys):
    from langadapt.cli import main

    p = _write(tmp_path, "stages:\n  - {name: w, command: world generate, options: {size: fast}}\n")
    assert main(["validate", str(p)]) == 0
    assert "1 stages, all options valid" in capsys.readouterr().out
    bad = _write(tmp_path, "stages:\n  - {name: w, command: world generate, options: {s: 1}}\n")
    assert main(["validate", str(bad)]) == 2
    assert "unknown option 's'" in capsys.readouterr().err
