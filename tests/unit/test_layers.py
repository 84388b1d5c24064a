"""The import graph keeps its layers: data flows down (cli -> pipeline -> stage -> core).

Every `import langadapt...` of the package, at module level or inside a function, is an edge.
A stage package never imports another stage package (what two stages share belongs to a core
module: tokens/, llm/, engine/, ...), nothing below the CLI imports it, and core modules
import no stage. `python tests/unit/test_layers.py` prints the cross-package edges.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "langadapt"

CLI = {"cli", "cliargs", "__main__"}
# compose other stages: a pipeline file, the zoo (trains models with the train stages), the demo
ORCHESTRATION = {"pipeline", "zoo", "demo"}
# one package per part of the toolkit; each may import core modules and itself only
STAGES = {"vocab", "init", "propagate", "train", "evaluate", "world", "lusifer", "xling", "distill"}


def top(module: str) -> str:
    """`langadapt.train.sft` -> `train`; `langadapt` -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer(package: str) -> str:
    if package in CLI:
        return "cli"
    if package in ORCHESTRATION:
        return "orchestration"
    if package in STAGES:
        return "stage"
    return "core"


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def edges() -> dict[str, set[str]]:
    """{importing module: {imported langadapt modules}} over every file of the package."""
    out: dict[str, set[str]] = defaultdict(set)
    for path in sorted(SRC.rglob("*.py")):
        name = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.level:
                    continue  # the package uses absolute imports only
                if node.module == "langadapt":
                    out[name] |= {f"langadapt.{a.name}" for a in node.names}
                elif node.module.startswith("langadapt."):
                    out[name].add(node.module)
            elif isinstance(node, ast.Import):
                out[name] |= {a.name for a in node.names if a.name.startswith("langadapt.")}
    return out


def violations() -> list[str]:
    bad = []
    for src, targets in edges().items():
        a = top(src)
        for dst in targets:
            b = top(dst)
            if not a or not b or a == b:
                continue
            la, lb = layer(a), layer(b)
            if lb == "cli" and la != "cli":
                bad.append(f"{src} -> {dst}: only the CLI imports the CLI")
            elif la == "stage" and lb in ("stage", "orchestration"):
                bad.append(f"{src} -> {dst}: a stage package imports another stage package")
            elif la == "core" and lb != "core":
                bad.append(f"{src} -> {dst}: a core module imports a {lb} package")
    return sorted(bad)


def test_no_stage_imports_another_stage_and_nothing_imports_the_cli():
    assert violations() == []


def test_the_checker_sees_a_forbidden_edge(tmp_path, monkeypatch):
    """The check itself can fail: a planted stage -> stage import is reported."""
    fake = tmp_path / "langadapt"
    for sub in ("init", "propagate"):
        (fake / sub).mkdir(parents=True)
        (fake / sub / "__init__.py").write_text("")
    (fake / "propagate" / "stage.py").write_text("from langadapt.init.stage import run\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake)
    assert violations() == [
        "langadapt.propagate.stage -> langadapt.init.stage: a stage package imports another "
        "stage package"
    ]


def test_every_package_has_a_layer():
    """A new top-level package must be placed in a layer here on purpose (core by default)."""
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    unplaced = (
        packages - STAGES - ORCHESTRATION - {"llm", "report", "tokens", "engine", "configs", "data"}
    )
    assert unplaced == set(), f"place {sorted(unplaced)} in STAGES, ORCHESTRATION or core"


if __name__ == "__main__":
    for src, targets in sorted(edges().items()):
        for dst in sorted(targets):
            if top(src) and top(dst) and top(src) != top(dst):
                print(f"{layer(top(src)):>13} {src} -> {dst} ({layer(top(dst))})")
    print("violations:", violations() or "none")
