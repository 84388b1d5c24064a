"""Every shipped YAML (configs/, the package's configs) loads and names real options."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from langadapt.cli import COMMANDS
from langadapt.cliargs import load_target
from langadapt.config import load_yaml, resolve
from langadapt.pipeline import load_pipeline

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "configs").rglob("*.yaml")) + sorted(
    (ROOT / "src" / "langadapt" / "configs").glob("*.yaml")
)


def _fill(value):
    """Stand-ins for ${stage} references, so options can be type-checked."""
    if isinstance(value, str):
        return re.sub(r"\$\{[\w-]+\}", "ref", value)
    if isinstance(value, list):
        return [_fill(v) for v in value]
    if isinstance(value, dict):  # a block option (schedule: {...})
        return {k: _fill(v) for k, v in value.items()}
    return value


def test_there_are_shipped_configs():
    assert len(SHIPPED) >= 4


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_yaml_is_documented_and_valid(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), "a shipped YAML starts with a comment saying what it does"
    assert "langadapt " in text.split("run_dir")[0], "and the command that runs it"
    assert load_yaml(path)
    _, stages = load_pipeline(path)
    for st in stages:
        assert st["command"] in COMMANDS, st["command"]
        func = load_target(COMMANDS[st["command"]][0])
        options = {k: _fill(v) for k, v in (st.get("options") or {}).items()}
        options.setdefault("out", "ref")
        resolve(func, options, where=f"{path.name}:{st['name']}")
