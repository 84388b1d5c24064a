"""Name -> function tables of methods, each registered with the paper it implements.

A method is one function in one file, decorated with `@register(kind, name, paper=...)`.
The packages that hold each kind of method are imported lazily (by name, from `KINDS`), so
this module imports nothing of the rest of langadapt and no import cycle can run through it.

A method also declares what it can do or needs, as *traits* named in its kind's table
(`TRAITS`): `@register("propagate", "conversion", paper=..., needs_transform=True)`. Stages ask
`method.traits[...]` instead of branching on a method's name, so a new method that declares
its traits works in every stage the day it is registered. An undeclared trait is an error at
import time, and every trait a kind declares has a default (the behaviour of a plain method).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from langadapt.errors import ConfigError

# kind -> the module whose import registers every method of that kind
KINDS: dict[str, str] = {
    "eval-method": "langadapt.evaluate.methods",
    "metric": "langadapt.evaluate.metrics",
    "init": "langadapt.init",
    "propagate": "langadapt.propagate",
}


# kind -> {trait: (default, what it means)}; the default is what a method that says nothing gets
TRAITS: dict[str, dict[str, tuple[Any, str]]] = {
    "init": {
        "blocks": (
            None,
            "a function (T, old) -> iterator of float32 row blocks of the result: the method is "
            "row-wise, so the stage streams it to disk instead of holding whole matrices",
        ),
    },
    "propagate": {
        "needs_transform": (
            False,
            "the method reads init's averaging matrix T (init_transform.safetensors)",
        ),
    },
    "eval-method": {},
    "metric": {
        "mean_over": (
            None,
            "the metric is the plain mean, over units ('item': each row; 'pair': rows sharing "
            "`pair`; 'group': rows sharing `group`), of the metric of each unit alone, so its "
            "stderr is the stdev of the per-unit values / sqrt(n); None: a corpus-level metric "
            "(macro-F1, MCC) whose stderr and interval are bootstrapped over items",
        ),
    },
}


@dataclass(frozen=True)
class Method:
    kind: str
    name: str
    func: Callable
    paper: str
    summary: str
    default: bool
    traits: Mapping[str, Any] = field(default_factory=dict)


_TABLE: dict[str, dict[str, Method]] = {}


def register(kind: str, name: str, *, paper: str, default: bool = False, **traits: Any):
    """Decorator: register `func` as method `name` of `kind`, citing `paper`.

    The summary shown by `langadapt ls` is the first line of the function's docstring;
    `traits` are the kind's declared traits (`TRAITS[kind]`), the others keep their defaults.
    """
    declared = TRAITS.get(kind, {})
    unknown = set(traits) - set(declared)
    if unknown:
        raise RuntimeError(
            f"method {kind}/{name} declares unknown trait(s) {', '.join(sorted(unknown))}; "
            f"{kind} methods may declare: {', '.join(sorted(declared)) or 'none'}"
        )
    full = {k: traits.get(k, d) for k, (d, _) in declared.items()}

    def deco(func: Callable) -> Callable:
        doc = (func.__doc__ or "").strip().splitlines()
        table = _TABLE.setdefault(kind, {})
        if name in table and table[name].func is not func:
            raise RuntimeError(f"method {kind}/{name} is registered twice")
        table[name] = Method(
            kind, name, func, paper, doc[0] if doc else "", default, MappingProxyType(full)
        )
        return func

    return deco


def _load(kind: str) -> None:
    if kind not in KINDS:
        raise ConfigError(f"unknown method kind '{kind}'; known kinds: {', '.join(sorted(KINDS))}")
    importlib.import_module(KINDS[kind])


def get(kind: str, name: str) -> Method:
    """The method `name` of `kind`, or a ConfigError listing the available ones."""
    _load(kind)
    table = _TABLE.get(kind, {})
    if name not in table:
        raise ConfigError(
            f"unknown {kind} method '{name}'; available: {', '.join(sorted(table)) or 'none'}"
        )
    return table[name]


def methods(kind: str | None = None) -> list[Method]:
    """Every registered method (of one kind, or of all kinds), sorted by kind and name."""
    for k in [kind] if kind else sorted(KINDS):
        _load(k)
    return sorted(
        (m for k, t in _TABLE.items() if kind in (None, k) for m in t.values()),
        key=lambda m: (m.kind, m.name),
    )


def ls(kind: str | None = None) -> None:
    """List every method with the paper it implements.

    Args:
        kind: only this kind of method (e.g. init, propagate); all kinds when omitted.
    """
    rows = methods(kind)
    width = max((len(f"{m.kind}/{m.name}") for m in rows), default=10)
    for m in rows:
        mark = " (default)" if m.default else ""
        print(
            f"{m.kind + '/' + m.name:<{width}}  {m.summary}{mark}\n{'':<{width}}  paper: {m.paper}"
        )
