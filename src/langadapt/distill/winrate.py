"""Pairwise win rates against a reference model's answers (AlpacaEval style), and a
length-controlled variant.

Each item is judged twice, the model's answer shown first and then second; each judgement is
from the model's side a win (1), a tie (0.5) or a loss (0), and the item's preference is the
mean of its two judgements (0, 0.25, 0.5, 0.75 or 1), so a judge that always prefers the
first position gives every item 0.5. The win rate is the mean preference over items that both
orders could judge; an item with an unreadable verdict is counted apart, never scored.

Length control (after Dubois et al., "Length-Controlled AlpacaEval", arXiv 2404.04475, reduced
to one model against one reference): the model fitted is the logistic regression

    logit P(model preferred on item i) = a + b * tanh(d_i / s)

with d_i = len(model answer) - len(reference answer) in characters and s the (population)
standard deviation of the d_i; when every d_i is equal the length term is 0 (a constant
difference cannot be told apart from a), fitted by maximum likelihood on the soft labels y_i =
preference_i (ties as halves) with Newton's method and an L2 penalty 1e-6 * (a^2 + b^2) that
keeps the fit finite when the data are separable. The length-controlled win rate is the
prediction with the length difference set to zero: sigmoid(a). AlpacaEval's full GLM adds an
instruction-difficulty term learnt across many models; with one model that term is not
identifiable, so it is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from langadapt import stats

_VALUE = {"model": 1.0, "tie": 0.5, "reference": 0.0}
PENALTY = 1e-6


def preference(first: str | None, second: str | None) -> float | None:
    """An item's preference for the model from its two judgements ("model", "reference",
    "tie" or None = unreadable, in either order); None when either is unreadable."""
    if first is None or second is None:
        return None
    return (_VALUE[first] + _VALUE[second]) / 2


def win_rate(prefs: Sequence[float | None]) -> dict:
    """The win rate over items' preferences, with counts and a 95% interval.

    Returns {"win_rate", "stderr", "low", "high", "n", "wins", "ties", "losses",
    "unreadable"}: wins/losses are items with preference above/below 0.5, ties exactly 0.5.
    """
    scored = [p for p in prefs if p is not None]
    est = stats.mean_estimate(scored) if scored else {"value": None, "stderr": None}
    return {
        "win_rate": est["value"],
        "stderr": est.get("stderr"),
        "low": est.get("low"),
        "high": est.get("high"),
        "n": len(scored),
        "wins": sum(p > 0.5 for p in scored),
        "ties": sum(p == 0.5 for p in scored),
        "losses": sum(p < 0.5 for p in scored),
        "unreadable": len(prefs) - len(scored),
    }


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def fit_length_model(prefs: Sequence[float], len_diff: Sequence[float]) -> tuple[float, float]:
    """(a, b) of the module docstring's logistic model, by penalised Newton iterations."""
    y = np.asarray(prefs, dtype=float)
    d = np.asarray(len_diff, dtype=float)
    if y.shape != d.shape or y.size == 0:
        raise ValueError("prefs and len_diff must be equally long and not empty")
    s = float(d.std())
    x = np.tanh(d / s) if s > 0 else np.zeros_like(d)
    X = np.stack([np.ones_like(x), x], axis=1)
    w = np.zeros(2)
    for _ in range(100):
        p = _sigmoid(X @ w)
        grad = X.T @ (y - p) - 2 * PENALTY * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + 2 * PENALTY * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w = w + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(w[0]), float(w[1])


def length_controlled(
    prefs: Sequence[float | None], model_lens: Sequence[int], reference_lens: Sequence[int]
) -> dict:
    """The length-controlled win rate sigmoid(a), with (a, b) and the raw win rate beside it,
    over items whose preference is readable."""
    keep = [i for i, p in enumerate(prefs) if p is not None]
    y = [prefs[i] for i in keep]
    d = [model_lens[i] - reference_lens[i] for i in keep]
    if not keep:
        return {"lc_win_rate": None, "a": None, "b": None, "win_rate": None, "n": 0}
    a, b = fit_length_model(y, d)
    return {
        "lc_win_rate": 1 / (1 + math.exp(-a)),
        "a": a,
        "b": b,
        "win_rate": sum(y) / len(y),
        "n": len(keep),
    }
