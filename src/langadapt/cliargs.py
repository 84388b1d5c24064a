"""From a stage function's signature to an argparse parser, and the dispatch of one command.

Rules: positional-only parameters (before `/`) are positional arguments; every other parameter
is a `--kebab-case` flag (required when it has no default); `bool` is `--x/--no-x`; `list[T]`
takes one or more values; `Literal[...]` lists its choices. A dataclass-typed parameter is a
block (config.py): each of its fields is a flag `--block.field-name` (e.g. `--schedule.lr`,
`--schedule.warmup-steps`), listed once in `--help` under the block's name with the help of
the dataclass docstring's `Attributes:`. Every command also takes
`--config FILE` (a YAML mapping of options) and `key=value` overrides. Precedence: defaults <
config file < key=value < flags. A parameter named `overrides` receives the raw `key=value`
list instead (used by `langadapt run` to address the options of its stages).
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import textwrap
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from langadapt import commands
from langadapt.config import (
    Option,
    _strip_optional,
    block_fields,
    load_yaml,
    options_of,
    parse_overrides,
    resolve,
    summary,
)
from langadapt.errors import ConfigError, LangAdaptError

_OVERRIDE = re.compile(r"^([A-Za-z_][\w.-]*)=(.*)$", re.S)


load_target = commands.load  # the one loader of "module:function" targets lives with the table


def _top_help(commands: dict[str, tuple[str, str]]) -> str:
    width = max(len(c) for c in commands)
    lines = [
        "usage: langadapt [--debug] [--version] COMMAND [options] [key=value ...]",
        "",
        # only what is built: a part joins this line when its commands do
        "Adapt open LLMs to new languages and tasks: LEP (tokenizer, embeddings, propagation,",
        "calibration), LUSIFER multilingual embeddings, cross-lingual instruction tuning and its",
        "evaluation, TAPIR distillation, Darumeru-style evaluation, and",
        "teachers and judges over any OpenAI-compatible endpoint.",
        "",
        "commands:",
    ]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in commands.items()]
    lines += [
        "",
        "`langadapt COMMAND --help` explains every option of a command.",
        "--debug shows the full traceback of an error.",
    ]
    return "\n".join(lines)


def build_parser(prog: str, func: Callable) -> argparse.ArgumentParser:
    """An argparse parser whose options mirror `func`'s signature (see the module docstring)."""
    doc = inspect.getdoc(func) or ""
    body = doc.split("\nArgs:")[0].strip()
    parser = argparse.ArgumentParser(
        prog=prog,
        description=body,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "STAGE.OPTION=VALUE arguments override one stage's options, e.g. tokenizer.new_tokens=3000."
            if "overrides" in inspect.signature(func).parameters
            else "Options also come from --config FILE (YAML) and key=value overrides; "
            "precedence: defaults < config < key=value < flags."
        ),
        argument_default=argparse.SUPPRESS,
        # `--new-tok 50` must not silently mean --new-tokens: a typo is an error, not a guess
        allow_abbrev=False,
    )
    params = inspect.signature(func).parameters
    for opt in options_of(func):
        if opt.name == "overrides":
            continue
        if opt.block is not None:
            _add_block(parser, opt)
            continue
        tp, _ = _strip_optional(opt.annotation)
        origin = get_origin(tp)
        kwargs = _flag_kwargs(opt)
        if params[opt.name].kind is inspect.Parameter.POSITIONAL_ONLY:
            if not opt.required and "nargs" not in kwargs:
                kwargs["nargs"] = "?"  # an optional positional (`langadapt ls [KIND]`)
            parser.add_argument(opt.name, metavar=opt.name.upper(), **kwargs)
            continue
        if tp is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif origin is not Literal:
            kwargs["metavar"] = opt.name.upper()
        parser.add_argument(opt.flag, dest=opt.name, **kwargs)
    parser.add_argument(
        "--config",
        dest="_config",
        type=Path,
        metavar="FILE",
        help="YAML file of option: value pairs",
    )
    return parser


def _flag_kwargs(opt: Option) -> dict[str, Any]:
    """argparse keywords of one option: its help with the default, nargs, choices."""
    tp, _ = _strip_optional(opt.annotation)
    origin = get_origin(tp)
    help_text = opt.help or ""
    if opt.required:
        help_text += " (required)"
    elif not any(opt.default is v for v in (None, False, inspect.Parameter.empty)):
        help_text += f" (default: {opt.default})"  # `is`: a default of 0 is worth showing
    # argparse %-formats help (for %(default)s): a docstring's "95%" must stay text
    kwargs: dict[str, Any] = {"help": help_text.strip().replace("%", "%%") or None}
    if origin in (list, tuple):
        kwargs["nargs"] = "+"
    if origin is Literal:
        kwargs["choices"] = list(get_args(tp))
    return kwargs


def _add_block(parser: argparse.ArgumentParser, opt: Option) -> None:
    """One `--block.field` flag per field of a block option, in a help group of their own."""
    how = (
        f"One block of settings; give a field as --{opt.name}.FIELD VALUE, as "
        f"{opt.name}.FIELD=VALUE, or in a --config file as {opt.name}: {{FIELD: VALUE, ...}}."
    )
    text = f"{opt.help} {how}" if opt.help else how
    group = parser.add_argument_group(opt.name, textwrap.fill(text, 78))
    for field in block_fields(opt):
        kwargs = _flag_kwargs(field)
        tp, _ = _strip_optional(field.annotation)
        if tp is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif get_origin(tp) is not Literal:
            kwargs["metavar"] = field.name.split(".", 1)[1].upper()
        group.add_argument(field.flag, dest=field.name, **kwargs)


def _split_overrides(argv: list[str]) -> tuple[list[str], list[str]]:
    """Separate `key=value` tokens from the rest (unknown keys are reported by `resolve`).

    A token that follows a flag and names an existing file stays a value of that flag.
    """
    rest, overrides = [], []
    for tok in argv:
        if _OVERRIDE.match(tok) and not Path(tok).exists():
            overrides.append(tok)
        else:
            rest.append(tok)
    return rest, overrides


def run_command(name: str, target: str, argv: list[str]) -> Any:
    """Parse `argv` for the command `name` and call its function."""
    func = load_target(target)
    parser = build_parser(f"langadapt {name}", func)
    names = {o.name for o in options_of(func)}
    rest, overrides = _split_overrides(argv)
    ns = vars(parser.parse_args(rest))
    config_file = ns.pop("_config", None)
    from_file = load_yaml(config_file) if config_file else {}
    if "overrides" in names:
        kwargs = resolve(func, from_file, ns, {"overrides": overrides}, where=f"'{name}'")
    else:
        kwargs = resolve(func, from_file, parse_overrides(overrides), ns, where=f"'{name}'")
    pos = [
        k
        for k, p in inspect.signature(func).parameters.items()
        if p.kind is inspect.Parameter.POSITIONAL_ONLY
    ]
    return func(*[kwargs.pop(k) for k in pos], **kwargs)


def dispatch(commands: dict[str, tuple[str, str]], argv: list[str]) -> int:
    """Find the command named by the leading words of `argv`, run it, map errors to exit codes."""
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    if argv[:1] in (["--version"], ["-V"]):
        from langadapt import __version__

        print(f"langadapt {__version__}")
        return 0
    words = []
    for tok in argv:
        if tok.startswith("-") or "=" in tok:
            break
        words.append(tok)
    name = next(
        (" ".join(words[:n]) for n in range(len(words), 0, -1) if " ".join(words[:n]) in commands),
        None,
    )
    if name is None:
        if not argv or argv[0] in ("-h", "--help", "help"):
            print(_top_help(commands))
            return 0
        group = [c for c in commands if words and c.startswith(words[0] + " ")]
        if group:
            print(f"usage: langadapt {words[0]} {{{','.join(c.split()[1] for c in group)}}} ...\n")
            for c in group:
                print(f"  {c:<20} {commands[c][1]}")
            return 0 if argv[1:2] in ([], ["-h"], ["--help"]) else 2
        print(
            f"langadapt: error: unknown command {' '.join(words) or argv[0]!r}\n", file=sys.stderr
        )
        print(_top_help(commands), file=sys.stderr)
        return 2
    try:
        result = run_command(name, commands[name][0], argv[len(name.split()) :])
    except LangAdaptError as exc:
        if debug:
            traceback.print_exc()
        print(f"langadapt {name}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"langadapt {name}: interrupted", file=sys.stderr)
        return 130
    if isinstance(result, Path):
        print(f"wrote {result}")
    return 0


__all__ = ["build_parser", "dispatch", "run_command", "summary", "ConfigError"]
