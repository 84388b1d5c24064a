"""A stage's options read from its source file, without importing the stage.

`langadapt run` and `langadapt validate` check every stage of a pipeline before the first one
starts. Importing the stage modules to read their signatures would import torch,
transformers and peft (about two seconds on two cores, before any check); reading the source
with `ast` takes milliseconds. The result is the same `config.Option` list that
`config.options_of` gives for the imported function, and a test holds the two equal for every
command of the table, so this reader cannot drift from the real signatures.

Supported (everything the stage signatures use): annotations built from builtins, `Path`,
`Any`, `Literal[...]`, `X | None`, `list[...]`/`tuple[...]`/`dict[...]`, and dataclasses
defined in langadapt (option blocks such as a training schedule); defaults that are literals,
module constants, or a call of such a dataclass with literal arguments. Anything else raises
`Unsupported`, and the caller falls back to importing the module.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from functools import cache
from pathlib import Path
from typing import Any, Literal

from langadapt.config import Option, docstring_args

_BUILTIN_TYPES: dict[str, Any] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "tuple": tuple,
    "dict": dict,
    "Path": Path,
    "Any": Any,
    "Literal": Literal,
    "None": None,
}


class Unsupported(Exception):
    """The source uses a construct this reader does not evaluate (import the module instead)."""


class _HasDefault:
    """A default that exists but is not evaluated statically (its value is not needed to check)."""

    def __repr__(self) -> str:
        return "<default>"


HAS_DEFAULT = _HasDefault()


@cache
def _module_source(module: str) -> tuple[Path, ast.Module]:
    # the file is found from the package root, not with importlib.util.find_spec: that would
    # import the parent packages, and `langadapt.init/__init__` imports torch
    root = Path(__file__).resolve().parent
    parts = module.split(".")
    if parts[0] != "langadapt":
        raise Unsupported(f"{module} is not part of langadapt")
    base = root.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path, ast.parse(path.read_text(encoding="utf-8"))
    raise Unsupported(f"no Python source for {module}")


def _imports(tree: ast.Module, module: str) -> dict[str, tuple[str, str]]:
    """{local name: (module, name)} of the module's top-level `from X import Y` statements."""
    out = {}
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        base = node.module or ""
        if node.level:  # a relative import, from the module's own package upwards
            parts = module.split(".")[: -node.level]
            base = ".".join(parts + ([base] if base else []))
        for alias in node.names:
            out[alias.asname or alias.name] = (base, alias.name)
    return out


def _find(tree: ast.Module, name: str) -> ast.AST | None:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return node
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                return node
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id == name:
                return node
    return None


def _is_dataclass_def(node: ast.AST) -> bool:
    if not isinstance(node, ast.ClassDef):
        return False
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Name) and target.id == "dataclass":
            return True
        if isinstance(target, ast.Attribute) and target.attr == "dataclass":
            return True
    return False


class _Scope:
    """Names visible in one module: its own definitions and what it imports from langadapt."""

    def __init__(self, module: str):
        self.module = module
        self.path, self.tree = _module_source(module)
        self.imports = _imports(self.tree, module)

    def lookup(self, name: str) -> tuple[_Scope, ast.AST]:
        node = _find(self.tree, name)
        if node is not None:
            return self, node
        if name in self.imports:
            mod, real = self.imports[name]
            if not mod.startswith("langadapt"):
                raise Unsupported(f"{name} comes from {mod}")
            return _scope(mod).lookup(real)
        raise Unsupported(f"{self.module} has no definition of {name}")

    def type_of(self, expr: ast.AST) -> Any:
        """Evaluate an annotation expression to a typing object."""
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):  # a quoted annotation
                return self.type_of(ast.parse(expr.value, mode="eval").body)
            if expr.value is None:
                return type(None)
            raise Unsupported(f"annotation constant {expr.value!r}")
        if isinstance(expr, ast.Name):
            if expr.id in _BUILTIN_TYPES:
                return _BUILTIN_TYPES[expr.id]
            scope, node = self.lookup(expr.id)
            if _is_dataclass_def(node):
                return _block_class(scope.module, node.name)
            raise Unsupported(f"annotation name {expr.id}")
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            return self.type_of(expr.left) | self.type_of(expr.right)
        if isinstance(expr, ast.Subscript):
            base = self.type_of(expr.value)
            items = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
            if base is Literal:
                return Literal[tuple(ast.literal_eval(i) for i in items)]
            args = tuple(
                Ellipsis if isinstance(i, ast.Constant) and i.value is Ellipsis else self.type_of(i)
                for i in items
            )
            if base in (list, tuple, dict):
                return base[args if len(args) > 1 else args[0]]
        raise Unsupported(f"annotation {ast.unparse(expr)}")

    def value_of(self, expr: ast.AST) -> Any:
        """Evaluate a default: a literal, a module constant, or a block dataclass call."""
        try:
            return ast.literal_eval(expr)
        except (ValueError, TypeError, SyntaxError):
            pass
        if isinstance(expr, ast.Name):
            scope, node = self.lookup(expr.id)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                return scope.value_of(node.value)
            raise Unsupported(f"default {expr.id}")
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and not expr.args:
            cls = self.type_of(expr.func)
            if dataclasses.is_dataclass(cls):
                return cls(**{k.arg: self.value_of(k.value) for k in expr.keywords})
        if isinstance(expr, (ast.Attribute, ast.Call)):
            return HAS_DEFAULT
        raise Unsupported(f"default {ast.unparse(expr)}")


@cache
def _scope(module: str) -> _Scope:
    return _Scope(module)


@cache
def _block_class(module: str, name: str) -> type:
    """A dataclass with the fields (names, types, defaults, doc) of the one defined in source."""
    scope = _scope(module)
    node = _find(scope.tree, name)
    assert isinstance(node, ast.ClassDef)
    fields = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            tp = scope.type_of(stmt.annotation)
            if stmt.value is None:
                fields.append((stmt.target.id, tp))
            else:
                default = scope.value_of(stmt.value)
                fields.append((stmt.target.id, tp, dataclasses.field(default=default)))
    frozen = any(
        isinstance(d, ast.Call)
        and any(k.arg == "frozen" and getattr(k.value, "value", False) for k in d.keywords)
        for d in node.decorator_list
    )
    cls = dataclasses.make_dataclass(name, fields, frozen=frozen)
    cls.__doc__ = ast.get_docstring(node)
    cls.__module__ = module
    return cls


def static_options(target: str) -> list[Option]:
    """The options of the stage `"module:function"`, read from its source (see module doc)."""
    module, name = target.split(":")
    scope = _scope(module)
    node = _find(scope.tree, name)
    if not isinstance(node, ast.FunctionDef):
        raise Unsupported(f"{target} is not a plain function")

    def fake() -> None:  # carries the docstring for config.docstring_args
        pass

    fake.__doc__ = ast.get_docstring(node)
    helps = docstring_args(fake)
    a = node.args
    if a.vararg or a.kwarg:
        raise Unsupported(f"{target} takes *args/**kwargs")
    positional = a.posonlyargs + a.args
    pos_defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = []
    for arg, default in [*zip(positional, pos_defaults), *zip(a.kwonlyargs, a.kw_defaults)]:
        tp = scope.type_of(arg.annotation) if arg.annotation is not None else str
        value = inspect.Parameter.empty if default is None else scope.value_of(default)
        out.append(Option(arg.arg, tp, value, helps.get(arg.arg, "")))
    return out


def positional_only(target: str) -> list[str]:
    """Names of the positional-only parameters of `target` (before `/`)."""
    module, name = target.split(":")
    node = _find(_scope(module).tree, name)
    if not isinstance(node, ast.FunctionDef):
        raise Unsupported(f"{target} is not a plain function")
    return [a.arg for a in node.args.posonlyargs]
