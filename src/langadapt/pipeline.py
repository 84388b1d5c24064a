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

Before the first stage starts, the whole file is checked (`plan`): every command, every option
name and type, every required option and every `${stage}` reference, with all problems
reported at once. A typo in the last stage fails in a fraction of a second instead of after
hours of the stages before it. The check reads stage signatures from source
(`signature.static_options`), so it imports no torch; `langadapt validate FILE` runs only it.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langadapt import commands
from langadapt.config import Option, load_yaml, options_of, parse_overrides, resolve
from langadapt.config import problems as option_problems
from langadapt.errors import ConfigError, OutputExistsError

_REF = re.compile(r"\$\{([\w-]+)\}")
_STAGE_KEYS = {"name", "command", "options"}


def _substitute(value: Any, refs: dict[str, str], where: str) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match) -> str:
            if m.group(1) not in refs:
                guess = difflib.get_close_matches(m.group(1), list(refs), n=1)
                hint = f"did you mean ${{{guess[0]}}}? " if guess else ""
                raise ConfigError(
                    f"{where} refers to ${{{m.group(1)}}}, which is not an earlier stage; {hint}"
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


@dataclass
class Planned:
    """One checked stage: its command, the function's import target and its given options."""

    name: str
    command: str
    target: str
    options: dict[str, Any]
    out: Path


def _stage_options(target: str) -> list[Option]:
    from langadapt.signature import Unsupported, static_options

    try:
        return static_options(target)
    except Unsupported:  # a construct the source reader does not know: import the stage
        return options_of(commands.load(target))


def plan(
    pipeline: Path, overrides: list[str] | None = None, run_dir: Path | None = None
) -> tuple[Path, list[Planned]]:
    """Check a whole pipeline without running anything; every problem is reported at once.

    Raises ConfigError listing, per stage, unknown or non-stage commands, unknown options,
    values of the wrong type, missing required options and references to stages that are not
    earlier in the file (or do not exist).
    """
    file_run_dir, stages = load_pipeline(pipeline)
    run_dir = Path(run_dir or file_run_dir)
    problems: list[str] = []
    per_stage: dict[str, dict[str, Any]] = {}
    for item in overrides or []:
        # the stage name is split off before the option is parsed: option names take - for _,
        # stage names keep theirs (`hard-1-round.schedule.seed=1`)
        stage, _, rest = item.partition(".")
        opt = rest.split("=", 1)[0].strip() if "=" in rest else ""
        if "=" in stage or stage not in {s["name"] for s in stages} or not opt:
            problems.append(
                f"override '{item.split('=', 1)[0]}' must be STAGE.OPTION with STAGE one of: "
                f"{', '.join(s['name'] for s in stages)}"
            )
            continue
        per_stage.setdefault(stage, {}).update(parse_overrides([rest]))
    refs: dict[str, str] = {"run_dir": str(run_dir)}
    planned: list[Planned] = []
    for st in stages:
        name, command = st["name"], st["command"]
        where = f"pipeline stage '{name}'"
        opts: dict[str, Any] = {}
        found: list[str] = []
        for label, source in (
            ("", st.get("options") or {}),
            ("override of ", per_stage.get(name, {})),
        ):
            for key, value in source.items():
                try:  # one key at a time, so that one bad reference hides no other problem
                    opts[key] = _substitute(value, refs, label + where)
                except ConfigError as exc:
                    found.append(str(exc))
                    opts[key] = value
        checked_as = command
        if command not in commands.STAGES:
            guess = difflib.get_close_matches(str(command), sorted(commands.STAGES), n=1)
            if command in commands.COMMANDS:
                found.append(f"{where}: '{command}' is not a stage and cannot run in a pipeline")
                guess = []
            else:
                hint = f"; did you mean '{guess[0]}'?" if guess else ""
                found.append(
                    f"{where}: unknown command '{command}'{hint} (stages: {_stage_list()})"
                )
            if not guess:
                problems += found
                refs[name] = str(run_dir / name)
                continue
            # its options are still checked, against the likely command, so that one run of
            # the check names every mistake in the stage
            checked_as = guess[0]
            where = f"{where} (checked as '{checked_as}')"
        target = commands.COMMANDS[checked_as][0]
        options = _stage_options(target)
        if "out" in {o.name for o in options} and "out" not in opts:
            opts["out"] = str(run_dir / name)
        found += option_problems(options, opts, where)  # block fields (schedule.lr) too
        problems += found
        out = Path(opts.get("out", run_dir / name))
        refs[name] = str(out)
        if not found:
            planned.append(Planned(name, command, target, opts, out))
    if problems:
        raise ConfigError(
            f"pipeline {pipeline} has {len(problems)} problem(s); nothing was run:\n  - "
            + "\n  - ".join(problems)
        )
    return run_dir, planned


def _stage_list() -> str:
    return ", ".join(sorted(commands.STAGES))


def validate(
    pipeline: Path, /, *, overrides: list[str] | None = None, run_dir: Path | None = None
) -> None:
    """Check a pipeline YAML (commands, options, types, ${stage} references); run nothing.

    Args:
        pipeline: the pipeline YAML file.
        overrides: `stage.option=value` pairs, checked as `langadapt run` would apply them.
        run_dir: the run folder (default: the file's run_dir).
    """
    t0 = time.perf_counter()
    run_dir, planned = plan(pipeline, overrides, run_dir)
    width = max(len(p.name) for p in planned)
    print(
        f"{pipeline}: {len(planned)} stages, all options valid ({time.perf_counter() - t0:.2f} s)"
    )
    for p in planned:
        print(f"  {p.name:<{width}}  langadapt {p.command} -> {p.out}")


def _call(func, kwargs: dict[str, Any], p: Planned, replace_stale: bool) -> Any:
    pos = commands.positional_names(func)

    def call(kw: dict[str, Any]) -> Any:
        return func(*[kw[k] for k in pos], **{k: v for k, v in kw.items() if k not in pos})

    try:
        return call(kwargs)
    except OutputExistsError:
        # the refusal comes before the stage writes anything, so a second call starts clean
        if not (replace_stale and "force" in kwargs and (p.out / "manifest.json").is_file()):
            raise
    print(f"{p.name}: {p.out} holds an older run (other options or inputs); replacing it")
    return call(kwargs | {"force": True})


def run(
    pipeline: Path,
    /,
    *,
    overrides: list[str] | None = None,
    force: bool = False,
    only: list[str] | None = None,
    run_dir: Path | None = None,
    replace_stale: bool = False,
) -> Path:
    """Run a pipeline YAML stage by stage; stages whose manifest matches are skipped.

    The whole file is checked first (`langadapt validate`): a problem in any stage stops the
    run before the first stage starts.

    Args:
        pipeline: the pipeline YAML file.
        overrides: `stage.option=value` pairs that change one stage's options.
        force: redo every stage even when its output is up to date.
        only: run only these stages (by name); their inputs must already exist.
        run_dir: the run folder (default: the file's run_dir).
        replace_stale: replace a stage's folder that holds an older run of langadapt (a
            manifest with other options or inputs) instead of stopping; for a run folder the
            caller owns, like the demo's after an upgrade. A folder without a manifest is
            never replaced.
    """
    run_dir, planned = plan(pipeline, overrides, run_dir)
    unknown = sorted(set(only or []) - {p.name for p in planned})
    if unknown:
        raise ConfigError(
            f"--only names {', '.join(unknown)}, not stages of {pipeline}; "
            f"stages: {', '.join(p.name for p in planned)}"
        )
    last = run_dir
    for p in planned:
        if only and p.name not in only:
            continue
        func = commands.load(p.target)
        # resolved against the imported function for its real defaults (the static read may
        # leave a computed default unevaluated); the options are the ones checked above
        kwargs = resolve(func, p.options, where=f"pipeline stage '{p.name}'")
        if force and "force" in kwargs:
            kwargs["force"] = True
        print(f"== {p.name}: langadapt {p.command}")
        result = _call(func, kwargs, p, replace_stale)
        last = Path(result) if isinstance(result, (str, Path)) else last
    return last
