"""Permutation scoring of multiple-choice tasks: every item asked with its gold in every position.

A model with a position bias (it answers "A" whatever the question) scores the share of items
whose answer is A; that share varies by dataset and hides or fakes ability. Asking each item
once per cyclic rotation of its options puts the gold answer in every position exactly once,
so a constant answer scores exactly chance, and the per-item mean over rotations measures
what the model knows regardless of where the answer stands (the standard remedy, e.g. Zheng
et al., "Large Language Models Are Not Robust Multiple Choice Selectors", ICLR 2024; Pezeshkpour
& Hruschka, 2023).

Rotation s shows at position j the original option (j + s) mod n, so the gold g moves to
(g - s) mod n. The list rotated is the one the prompt shows the options from: the task's
`options.choices_field` (the options themselves), or `dataset.options_field` (the texts behind
fixed labels such as A-D). Items of one original share `perm_of`; metrics that are means over
items are averaged per original item first, then over items (see taskstats.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from langadapt.errors import InputError
from langadapt.evaluate.data import Record, field, get_field


def options_field(dataset: dict, options: dict) -> str | None:
    """The dataset field whose list the prompt shows the options from, if the task names one."""
    return dataset.get("options_field") or options.get("choices_field")


def not_permutable(dataset: dict, options: dict) -> str | None:
    """Why a task (its `dataset` and `options` sections) cannot rotate its options, or None."""
    if not ("choices" in options or "choices_field" in options):
        return "not a choice task"
    if dataset.get("options_shown") is False:
        return "the prompt does not show the options (cloze), so no position can be favoured"
    if dataset.get("both_orders"):
        return "already asked in both option orders (dataset.both_orders)"
    if dataset.get("expand"):
        return "its items are expanded sentences, not options"
    if not options_field(dataset, options):
        return (
            "the task does not say which field lists the option texts (set dataset.options_field "
            "to the list the prompt shows its options from)"
        )
    return None


def rotated(rec: Record, path: str, shift: int) -> Record:
    """A copy of `rec` whose list at `path` is rotated left by `shift` (position j gets j+shift)."""
    out = Record(copy.deepcopy(dict(rec)))
    out.where = rec.where
    values = field(rec, path, purpose="permute_choices (the options list)")
    if not isinstance(values, list):
        raise InputError(
            f"{rec.where}: permute_choices rotates the list at '{path}', but it holds "
            f"{type(values).__name__}; point dataset.options_field at the list of option texts"
        )
    n = len(values)
    *head, last = path.split(".")
    parent = get_field(out, ".".join(head)) if head else out
    parent[int(last) if isinstance(parent, list) else last] = [
        values[(j + shift) % n] for j in range(n)
    ]
    return out


def permuted_items(
    task, rec: Record, idx: int, item: dict, make: Callable[[object, Record, int, dict], dict]
) -> list[dict]:
    """The n - 1 rotations of `item` (built from `rec` by `make`, prompts' item builder).

    `item` itself is rotation 0 and gets `perm_of`; the others keep its shots, so every
    rotation is asked with the same examples.
    """
    path = options_field(task.dataset, task.options)
    n = len(item["choices"])
    shown = field(rec, path, purpose="permute_choices (the options list)")
    if not isinstance(shown, list) or len(shown) != n:
        raise InputError(
            f"{rec.where}: permute_choices needs the list at '{path}' to hold one text per "
            f"option ({n}), got {len(shown) if isinstance(shown, list) else type(shown).__name__}"
        )
    item["perm_of"] = item["id"]
    out = []
    for s in range(1, n):
        it = make(task, rotated(rec, path, s), idx, {})
        it.update(
            id=f"{item['id']}#p{s}",
            perm_of=item["id"],
            gold=(item["gold"] - s) % n,
            shots=item.get("shots", []),
        )
        out.append(it)
    return out
