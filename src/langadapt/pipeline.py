"""`langadapt run pipeline.yaml`: run stages in order; each skips itself when up to date.

A pipeline file::

    # what this pipeline does; how to run it
    run_dir: runs/my-run          # relative paths are relative to the working directory
    stages:
      - name: tokenizer           # the stage's output is run_dir/tokenizer unless `out` is set
        command: vocab extend     # any `langadapt` command
        options: {base: models/base, corpus: [data/ru.txt], new_tokens: 2000}
      - name: init
        command: init
        options: {model: models/base, tokenizer: "${tokenizer}"}

`${name}` is the output folder of an earlier stage, `${run_dir}` the run folder. Overrides on
the command line address a stage by name: `tokenizer.new_tokens=3000`, and may use the same
references: `embeddings.new_rows_from='${init}/vocab_map.json'`. Because every stage
compares its manifest with its options and input digests, a killed run continues where it
stopped when started again.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langadapt.config import load_yaml, options_of, parse_overrides, resolve
from langadapt.errors import ConfigError

_REF = re.compile(r"\$\{([\w-]+)\}")
_STAGE_KEYS = {"name", "command", "options"}


def _substitute(value: Any, refs: dict[str, str], where: str) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match) -> str:
            if m.group(1) not in refs:
                raise ConfigError(
                    f"{where} refers to ${{{m.group(1)}}}, which is not an earlier stage; "
                    f"earlier stages: {', '.join(k for k in refs if k != 'run_dir') or 'none'}"
                )
            return refs[m.group(1)]

        return _REF.sub(sub, value)
    if isinstance(value, list):
        return [_substitute(v, refs, where) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, refs, where) for k, v in value.items()}
    return value


def load_pipeline(path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Read and check a pipeline file: its run folder and its list of stages."""
    data = load_yaml(path)
    unknown = set(data) - {"run_dir", "stages"}
    if unknown:
        raise ConfigError(
            f"pipeline {path}: unknown key(s) {', '.join(sorted(unknown))}; valid: run_dir, stages"
        )
    stages = data.get("stages")
    if not isinstance(stages, list) or not stages:
        raise ConfigError(f"pipeline {path} needs a non-empty list 'stages'")
    names = set()
    for i, st in enumerate(stages):
        if not isinstance(st, dict) or "command" not in st or "name" not in st:
            raise ConfigError(f"pipeline {path}: stage {i + 1} needs 'name' and 'command'")
        bad = set(st) - _STAGE_KEYS
        if bad:
            raise ConfigError(
                f"pipeline {path}: stage '{st['name']}' has unknown key(s) "
                f"{', '.join(sorted(bad))}; valid: {', '.join(sorted(_STAGE_KEYS))}"
            )
        if st["name"] in names:
            raise ConfigError(f"pipeline {path}: two stages are named '{st['name']}'")
        names.add(st["name"])
    return Path(data.get("run_dir", Path(path).with_suffix(""))), stages


def run(
    pipeline: Path,
    /,
    *,
    overrides: list[str] | None = None,
    force: bool = False,
    only: list[str] | None = None,
    run_dir: Path | None = None,
) -> Path:
    """Run a pipeline YAML stage by stage; stages whose manifest matches are skipped.

    Args:
        pipeline: the pipeline YAML file.
        overrides: `stage.option=value` pairs that change one stage's options.
        force: redo every stage even when its output is up to date.
        only: run only these stages (by name); their inputs must already exist.
        run_dir: the run folder (default: the file's run_dir).
    """
    from langadapt.cliargs import load_target
    from langadapt.commands import COMMANDS

    file_run_dir, stages = load_pipeline(pipeline)
    run_dir = Path(run_dir or file_run_dir)
    per_stage: dict[str, dict[str, Any]] = {}
    for key, value in parse_overrides(overrides or []).items():
        stage, _, opt = key.partition(".")
        if stage not in {s["name"] for s in stages} or not opt:
            raise ConfigError(
                f"override '{key}' must be STAGE.OPTION with STAGE one of: "
                f"{', '.join(s['name'] for s in stages)}"
            )
        per_stage.setdefault(stage, {})[opt] = value
    refs: dict[str, str] = {"run_dir": str(run_dir)}
    last = run_dir
    for st in stages:
        name, command = st["name"], st["command"]
        if command not in COMMANDS or command in ("run",):
            raise ConfigError(f"pipeline stage '{name}': unknown command '{command}'")
        func = load_target(COMMANDS[command][0])
        where = f"pipeline stage '{name}'"
        opts = _substitute(dict(st.get("options") or {}), refs, where)
        opts.update(_substitute(per_stage.get(name, {}), refs, f"override of {where}"))
        names = {o.name for o in options_of(func)}
        if "out" in names and "out" not in opts:
            opts["out"] = str(run_dir / name)
        if force and "force" in names:
            opts["force"] = True
        kwargs = resolve(func, opts, where=where)
        refs[name] = str(kwargs.get("out", run_dir / name))
        if only and name not in only:
            continue
        print(f"== {name}: langadapt {command}")
        result = func(**kwargs)
        last = Path(result) if isinstance(result, (str, Path)) else last
    return last
