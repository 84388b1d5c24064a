"""The judgements and figures of `distill evaluate`: pairwise verdicts against a reference
(an LLM judge in both orders, or the world's exact rules), MT-Bench grades, exact accuracy.

Everything here is a pure function of answers and judge replies, so the arithmetic is tested
without a model; the stage (`evaluate.py`) asks the models and logs each item.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from langadapt import stats
from langadapt.distill import mfd, winrate
from langadapt.llm import world_rules

LC_ITERS = 500  # bootstrap resamples of the length-controlled fit (one Newton fit each)


def verdict(scores: tuple[float, float] | None, model_first: bool) -> str | None:
    """ "model", "reference" or "tie" from a pairwise reply's two scores (answer 1, answer 2),
    or None for an unreadable reply; `model_first` says which answer was the model's."""
    if scores is None:
        return None
    m, r = scores if model_first else scores[::-1]
    return "model" if m > r else "reference" if m < r else "tie"


def llm_pair(raw_ab: str, raw_ba: str) -> dict:
    """An item's two replies (model first, model second) -> verdicts and preference."""
    first = verdict(mfd.parse_pair(raw_ab), True)
    second = verdict(mfd.parse_pair(raw_ba), False)
    return {"first": first, "second": second, "preference": winrate.preference(first, second)}


def exact(answer: str, accepted: Sequence[str]) -> bool:
    """The world judge's rule on one held-out task: the answer is an accepted one."""
    return world_rules.check(answer, list(accepted))


def world_pair(model_answer: str, reference_answer: str, accepted: Sequence[str]) -> dict:
    """A pairwise verdict from exactness: the right answer wins, both right or both wrong tie.
    The rule does not see the order, so both orders give the same verdict."""
    m, r = exact(model_answer, accepted), exact(reference_answer, accepted)
    v = "model" if m > r else "reference" if m < r else "tie"
    return {"first": v, "second": v, "preference": winrate.preference(v, v)}


def win_figures(prefs: list[float | None], model_lens: list[int], ref_lens: list[int],
                *, seed: int = 0) -> dict:  # fmt: skip
    """The raw win rate (mean preference, 95% interval) and the length-controlled one
    (`winrate.length_controlled`) with a bootstrap 95% interval over items."""
    raw = winrate.win_rate(prefs)
    lc = winrate.length_controlled(prefs, model_lens, ref_lens)
    keep = [i for i, p in enumerate(prefs) if p is not None]
    if len(keep) >= 2:
        y = np.array([prefs[i] for i in keep], dtype=float)
        d = np.array([model_lens[i] - ref_lens[i] for i in keep], dtype=float)

        def stat(idx: np.ndarray) -> float:
            a, _ = winrate.fit_length_model(y[idx], d[idx])
            return 1 / (1 + np.exp(-a))

        est = stats.bootstrap_estimate(stat, len(keep), lc["lc_win_rate"], iters=LC_ITERS,
                                       seed=seed)  # fmt: skip
        lc |= {"low": est["low"], "high": est["high"], "method": "bootstrap"}
    else:
        lc |= {"low": None, "high": None, "method": None}
    return {"raw": raw, "lc": lc}


def share(flags: list[bool]) -> dict:
    """A 0/1 share with its Wilson 95% interval (value None for no item)."""
    if not flags:
        return {"value": None, "low": None, "high": None, "n": 0}
    return stats.mean_estimate([float(f) for f in flags])


def accuracy_by_type(items: list[dict], answers: dict[str, str]) -> dict:
    """Exact accuracy overall and per `task_type`, each with a Wilson interval; `hits` per id."""
    hits = {it["id"]: exact(answers[it["id"]], it["accepted"]) for it in items}
    by: dict[str, list[bool]] = defaultdict(list)
    for it in items:
        by[it["task_type"]].append(hits[it["id"]])
    return {"overall": share(list(hits.values())),
            "by_type": {t: share(v) for t, v in sorted(by.items())}, "hits": hits}  # fmt: skip


def mt_figures(graded: list[dict], categories: dict[str, str]) -> dict:
    """MT-Bench means on 1-10 (normal 95% intervals over graded turns): overall, per turn,
    per category; unreadable grades counted apart. `graded`: {"id", "score_1", "score_2"}."""

    def est(v: list[float]) -> dict:  # normal, not Wilson: grades 1-10 are not 0/1 flags
        if not v:
            return {"value": None, "low": None, "high": None, "n": 0}
        mean, se = float(np.mean(v)), stats.mean_stderr(v)
        low, high = (None, None) if se is None else (mean - stats.Z95 * se, mean + stats.Z95 * se)
        return {"value": mean, "stderr": se, "low": low, "high": high, "n": len(v)}

    turns = {t: [g[f"score_{t}"] for g in graded if g[f"score_{t}"] is not None] for t in (1, 2)}
    by: dict[str, list[float]] = defaultdict(list)
    for g in graded:
        by[categories[g["id"]]] += [g[k] for k in ("score_1", "score_2") if g[k] is not None]
    return {
        "overall": est(turns[1] + turns[2]),
        "turns": {str(t): est(v) for t, v in turns.items()},
        "categories": {c: est(v) for c, v in sorted(by.items())},
        "unreadable": sum((g["score_1"] is None) + (g["score_2"] is None) for g in graded),
    }
