"""Per-language figures of an `xling eval` run, each share with its Wilson 95% interval.

Input: the scored rows (one per prompt: `lang`, `expected`, `modifier`, `language` verdict,
`compliance`, `aspects`, `world`). Output, JSON-ready:

- `headline`: the share of answers in their expected language (the prompt's, or X for an
  "answer in X" modifier), over all answers and over the non-English prompts;
- `languages[lang]`: answer count; `language`: correct / switched / wrong / empty shares and
  the line-level pass rate; `modifiers[family]`: pass rate over the rule-checked answers and
  the counts of each status; `aspects`: mean stars per aspect and the unparseable count;
  `world`: the world judge's exact score.

A modifier *family* groups the types that differ only in their parameter (`num_items_5` and
`num_items_7` -> `num_items`, `lang_fr` -> `lang`), so a table has one row per instruction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from langadapt.stats import wilson
from langadapt.xling.aspects import ASPECTS
from langadapt.xling.lid import VERDICTS


def share(k: int, n: int) -> dict[str, Any]:
    """{"value", "low", "high", "k", "n"}: k of n with Wilson's 95% interval (None when n = 0)."""
    if n == 0:
        return {"value": None, "low": None, "high": None, "k": 0, "n": 0}
    low, high = wilson(k, n)
    return {"value": k / n, "low": low, "high": high, "k": k, "n": n}


def family(mtype: str) -> str:
    """The modifier family of a type: its name without a trailing count or language code."""
    return "+".join(re.sub(r"_(\d+|[a-z]{2,3})$", "", p) if re.search(r"^(num_items|lang)_", p)
                    else p for p in mtype.split("+"))  # fmt: skip


def _language(rows: list[dict]) -> dict[str, Any]:
    n = len(rows)
    out = {v: share(sum(r["language"]["verdict"] == v for r in rows), n) for v in VERDICTS}
    out["line_pass"] = share(sum(r["language"]["line_pass"] for r in rows), n)
    return out


def _modifiers(rows: list[dict]) -> dict[str, Any]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("compliance"):
            groups[family(r["modifier"])].append(r["compliance"])
    out = {}
    for fam, results in sorted(groups.items()):
        counts = {s: sum(c["status"] == s for c in results) for s in ("pass", "fail")}
        counts |= {s: sum(c["status"] == s for c in results) for s in ("unchecked", "judge")}
        checked = counts["pass"] + counts["fail"]
        out[fam] = {"n": len(results), **counts, "rate": share(counts["pass"], checked)}
    return out


def _aspects(rows: list[dict]) -> dict[str, Any] | None:
    judged = [r for r in rows if "aspects" in r]
    if not judged:
        return None
    scored = [r["aspects"] for r in judged if r["aspects"] is not None]
    means = {a: (sum(s[a] for s in scored) / len(scored) if scored else None) for a in ASPECTS}
    return {"mean": means, "scored": len(scored), "unparseable": len(judged) - len(scored)}


def _world(rows: list[dict]) -> dict[str, Any] | None:
    judged = [r["world"] for r in rows if r.get("world") is not None]
    if not judged:
        return None
    return share(sum(judged), len(judged))


def summarise(rows: list[dict]) -> dict[str, Any]:
    """The run's figures (see the module docstring)."""
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_lang[r["lang"]].append(r)
    languages = {
        lang: {
            "n": len(rs),
            "language": _language(rs),
            "modifiers": _modifiers(rs),
            "aspects": _aspects(rs),
            "world": _world(rs),
        }
        for lang, rs in sorted(by_lang.items())
    }
    correct = [r["language"]["verdict"] == "correct" for r in rows]
    other = [c for c, r in zip(correct, rows) if r["lang"] != "en"]
    return {
        "headline": {
            "correct_language": share(sum(correct), len(correct)),
            "correct_language_non_english": share(sum(other), len(other)),
        },
        "languages": languages,
    }
