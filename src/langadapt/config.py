"""Options of a stage: from its signature, a YAML file and `key=value` overrides, validated.

A stage is a typed function (see DESIGN.md); its keyword parameters are its options. This module
turns the signature into a schema (`options_of`), reads YAML config files and `key=value`
overrides, and resolves them into the keyword arguments of one call (`resolve`): unknown keys
are errors that list the valid ones, values are coerced to the annotated type, and a missing
required option is named.

An option annotated with a dataclass is a *block*: a group of related settings (e.g. a training
`Schedule`) given as a mapping (`schedule: {lr: 2e-4}` in YAML), field by field with a dotted
key (`schedule.lr=2e-4`), or as flags (`--schedule.lr 2e-4`, see cliargs.py). Each field is
coerced to its annotated type, unknown fields are errors listing the valid ones, and fields not
given keep the stage's default instance's value (sources merge field by field). A field whose
default value is None although its type does not admit None is required: the stage has no
default for it (`Schedule(lr=None)`). Field help comes from the dataclass docstring's
`Attributes:` (or `Args:`) section.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from langadapt.errors import ConfigError

_MISSING = inspect.Parameter.empty
_BOOL_WORDS = {True: ("on", "yes", "true"), False: ("off", "no", "false")}


@dataclass(frozen=True)
class Option:
    """One option of a stage: its name, annotated type, default and help text."""

    name: str
    annotation: Any
    default: Any
    help: str

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def block(self) -> type | None:
        """The dataclass of a block option (see the module docstring), else None."""
        return block_class(self.annotation)


def docstring_args(func: Callable | type) -> dict[str, str]:
    """Parse the `Args:` (or a class's `Attributes:`) section of a docstring into {name: help}."""
    doc = inspect.getdoc(func) or ""
    out: dict[str, str] = {}
    in_args = False
    current = None
    for line in doc.splitlines():
        if re.match(r"^(Args|Arguments|Parameters|Attributes):\s*$", line):
            in_args = True
            continue
        if in_args and re.match(r"^\S.*:\s*$", line):  # the next section
            break
        if not in_args:
            continue
        m = re.match(r"^\s{2,8}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
        if m:
            current = m.group(1)
            out[current] = m.group(2).strip()
        elif current and line.strip():
            out[current] += " " + line.strip()
    return out


def summary(func: Callable) -> str:
    """The first line of a function's docstring."""
    doc = inspect.getdoc(func) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def options_of(func: Callable) -> list[Option]:
    """The options of a stage function, in signature order, with resolved type hints."""
    hints = typing.get_type_hints(func)
    helps = docstring_args(func)
    opts = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        opts.append(Option(p.name, hints.get(p.name, str), p.default, helps.get(p.name, "")))
    return opts


def block_class(tp: Any) -> type | None:
    """The dataclass named by an annotation (`X` or `X | None`), else None."""
    inner, _ = _strip_optional(tp)
    return inner if isinstance(inner, type) and dataclasses.is_dataclass(inner) else None


def block_fields(opt: Option) -> list[Option]:
    """The fields of a block option as options named `block.field`, with the stage's defaults.

    A field's default is the value in the stage's default instance (else the dataclass's own
    default); it is required (`Option.required`) when that value is None and its type does not
    admit None, or when there is no default at all.
    """
    cls = opt.block
    assert cls is not None, f"option {opt.name} is not a block"
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):  # a class built at run time (signature.py) carries objects
        hints = {}
    helps = docstring_args(cls)
    stage_default = None if opt.required else opt.default
    out = []
    for f in dataclasses.fields(cls):
        tp = hints.get(f.name, f.type)
        if stage_default is not None:
            default = getattr(stage_default, f.name)
        elif f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = _MISSING
        if default is None and not _strip_optional(tp)[1] and tp is not Any:
            default = _MISSING  # the stage has no default for it
        out.append(Option(f"{opt.name}.{f.name}", tp, default, helps.get(f.name, "")))
    return out


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def coerce(value: Any, tp: Any, name: str) -> Any:
    """Convert a YAML or command-line value to the annotated type `tp`, or raise ConfigError."""
    inner, optional = _strip_optional(tp)
    if value is None or (optional and isinstance(value, str) and value.lower() in ("none", "null")):
        if optional or tp is Any:
            return None
        raise ConfigError(f"option '{name}' cannot be empty")
    origin = get_origin(inner)
    if origin in (list, tuple):
        (item_tp,) = get_args(inner)[:1] or (str,)
        if isinstance(value, str):
            value = [v for v in value.split(",") if v != ""]
        if not isinstance(value, (list, tuple)):
            value = [value]
        return [coerce(v, item_tp, name) for v in value]
    if block_class(inner) is not None:
        raise ConfigError(
            f"option '{name}' is a block of settings: give it as a mapping "
            f"({name}: {{FIELD: VALUE}}) or field by field ({name}.FIELD=VALUE)"
        )
    if origin is Literal:
        choices = get_args(inner)
        if isinstance(value, bool) and all(isinstance(c, str) for c in choices):
            # YAML 1.1 reads a bare off/on/no/yes as a bool: `cache: off` means the choice "off"
            spelled = [c for c in choices if c.lower() in _BOOL_WORDS[value]]
            value = spelled[0] if len(spelled) == 1 else value
        if value not in choices:
            raise ConfigError(
                f"option '{name}' is {value!r}; choose one of: {', '.join(map(str, choices))}"
            )
        return value
    if inner is bool:
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on"):
            return True
        if str(value).lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"option '{name}' must be true or false, not {value!r}")
    if inner in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"option '{name}' must be a number, not {value!r}")
        try:
            number = inner(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"option '{name}' must be {'an integer' if inner is int else 'a number'}, "
                f"not {value!r}"
            ) from None
        if inner is int and isinstance(value, float) and value != int(value):
            raise ConfigError(f"option '{name}' must be an integer, not {value!r}")
        return number
    if inner is Path:
        return Path(str(value)).expanduser()
    if inner is str:
        return str(value)
    if inner is dict or get_origin(inner) is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"option '{name}' must be a mapping, not {value!r}")
        return value
    return value


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping; an empty file is an empty mapping."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of option: value")
    return data


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Parse `key=value` overrides; values are read as YAML scalars/lists (`n=3`, `xs=[a,b]`)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
        key, raw = item.split("=", 1)
        key = key.strip().replace("-", "_")
        try:
            out[key] = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            out[key] = raw
        if isinstance(out[key], (int, float, bool)) or out[key] is None:
            continue
        if not isinstance(out[key], (list, dict)):
            out[key] = raw  # keep strings (paths with colons etc.) exactly as typed
    return out


def resolve(
    func: Callable | list[Option], *sources: dict[str, Any], where: str = ""
) -> dict[str, Any]:
    """Merge option sources (later wins) over the defaults of `func`, validated and coerced.

    `func` may also be its list of options (a pipeline's check reads them from source, see
    `signature.py`). Raises ConfigError for unknown keys (listing the valid ones), wrong types
    and missing required options.
    """
    opts = {o.name: o for o in (func if isinstance(func, list) else options_of(func))}
    at = f" in {where}" if where else ""
    merged: dict[str, Any] = {}
    blocks: dict[str, dict[str, Any]] = {n: {} for n, o in opts.items() if o.block is not None}
    for src in sources:
        dotted = []
        for key, value in src.items():
            k = key.replace("-", "_")
            head, dot, field = k.partition(".")
            if head not in opts:
                valid = ", ".join(sorted(opts))
                raise ConfigError(f"unknown option '{key}'{at}; valid options are: {valid}")
            if head in blocks and dot:
                dotted.append((opts[head], field, value))
            elif head in blocks:
                blocks[head].update(_block_items(opts[head], value, at))
            elif dot:
                raise ConfigError(
                    f"unknown option '{key}'{at}: '{head}' is a single value, not a block of "
                    f"settings; give it as {head}=VALUE"
                )
            else:
                merged[k] = value
        for opt, field, value in dotted:  # one field is more specific than its block's mapping
            blocks[opt.name].update(_block_items(opt, {field: value}, at))
    out: dict[str, Any] = {}
    for name, opt in opts.items():
        if name in blocks and (blocks[name] or opt.default is not None):
            out[name] = _build_block(opt, blocks[name], at)
        elif name in merged:
            out[name] = coerce(merged[name], opt.annotation, name)
        elif opt.required:
            raise ConfigError(
                f"missing required option {opt.flag}{at}" + (f" ({opt.help})" if opt.help else "")
            )
        else:
            out[name] = opt.default
    return out


def _block_items(opt: Option, value: Any, at: str) -> dict[str, Any]:
    """The fields given for block `opt` by one source: a mapping or an instance of its class."""
    names = [f.name for f in dataclasses.fields(opt.block)]
    if value is None:  # `schedule:` with nothing under it
        return {}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {n: getattr(value, n) for n in names}
    if not isinstance(value, dict):
        raise ConfigError(
            f"option '{opt.name}'{at} is a block of settings ({', '.join(names)}): give a "
            f"mapping ({opt.name}: {{{names[0]}: VALUE}}) or {opt.name}.FIELD=VALUE, not {value!r}"
        )
    out = {}
    for key, v in value.items():
        k = str(key).replace("-", "_")
        if k not in names:
            raise ConfigError(
                f"unknown option '{opt.name}.{key}'{at}; valid fields of {opt.name} are: "
                + ", ".join(names)
            )
        out[k] = v
    return out


def _build_block(opt: Option, given: dict[str, Any], at: str) -> Any:
    """An instance of block `opt`'s dataclass: given fields coerced, the rest from defaults."""
    values: dict[str, Any] = {}
    for f in block_fields(opt):
        field = f.name.split(".", 1)[1]
        if field in given:
            values[field] = _field_value(f, given[field], at)
        elif f.required:
            raise ConfigError(_missing_field(opt, f, at))
        else:
            values[field] = f.default
    try:
        return opt.block(**values)
    except ConfigError as exc:  # the dataclass's own checks (__post_init__)
        raise ConfigError(f"{exc}{at}") from None


def _field_value(f: Option, value: Any, at: str) -> Any:
    """A block field's value coerced to its type (tuple fields become tuples of their length)."""
    try:
        value = coerce(value, f.annotation, f.name)
    except ConfigError as exc:
        raise ConfigError(f"{exc}{at}") from None
    inner, _ = _strip_optional(f.annotation)
    if get_origin(inner) is tuple and value is not None:
        args = get_args(inner)
        if args and Ellipsis not in args and len(value) != len(args):
            raise ConfigError(f"option '{f.name}'{at} needs {len(args)} values, not {len(value)}")
        value = tuple(value)
    return value


def _missing_field(opt: Option, f: Option, at: str) -> str:
    field = f.name.split(".", 1)[1]
    return (
        f"missing required option {f.flag}{at}"
        + (f" ({f.help})" if f.help else "")
        + f"; give it as {f.flag} VALUE, {f.name}=VALUE or in YAML as {opt.name}: {{{field}: VALUE}}"
    )


def problems(options: list[Option], given: dict[str, Any], where: str = "") -> list[str]:
    """Every problem of the options `given` (one source) at once; `resolve` stops at the first.

    Unknown names, values of the wrong type and missing required options, block fields
    included (`schedule: {...}` and `schedule.lr` keys); each line starts with `where: `.
    """
    pre = f"{where}: " if where else ""
    opts = {o.name: o for o in options}
    blocks: dict[str, dict[str, Any]] = {n: {} for n, o in opts.items() if o.block is not None}
    found, named = [], set()
    for key, value in given.items():
        head, dot, field = key.replace("-", "_").partition(".")
        try:
            if head not in opts:
                valid = ", ".join(sorted(opts))
                raise ConfigError(f"unknown option '{key}'; valid options are: {valid}")
            if head in blocks:
                blocks[head].update(_block_items(opts[head], {field: value} if dot else value, ""))
            elif dot:
                raise ConfigError(f"unknown option '{key}': '{head}' is not a block of settings")
            else:
                named.add(head)
                coerce(value, opts[head].annotation, head)
        except ConfigError as exc:
            found.append(pre + str(exc))
    for name, opt in opts.items():
        if name not in blocks:
            if opt.required and name not in named:
                found.append(
                    f"{pre}missing required option {opt.flag}"
                    + (f" ({opt.help})" if opt.help else "")
                )
            continue
        for f in block_fields(opt):
            field = f.name.split(".", 1)[1]
            try:
                if field in blocks[name]:
                    _field_value(f, blocks[name][field], "")
                elif f.required:
                    raise ConfigError(_missing_field(opt, f, ""))
            except ConfigError as exc:
                found.append(pre + str(exc))
    return found
