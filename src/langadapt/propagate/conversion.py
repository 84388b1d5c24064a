"""LEP Conversion: fit D on every new token through its averaged (init) embeddings."""

from __future__ import annotations

import torch

from langadapt import registry
from langadapt.errors import ModelError
from langadapt.propagate.fit import FitInputs, NormalEquations, select_rows
from langadapt.propagate.swap import PAPER


@registry.register("propagate", "conversion", paper=PAPER, default=True, needs_transform=True)
def conversion(x: FitInputs) -> tuple[torch.Tensor, dict]:
    """Least-squares D with (T @ base) @ D ~ (T @ instruct) over all new tokens (LEP's best).

    T `[new_vocab, old_vocab]` averages old rows into new-token rows (the init's mean). Both
    sides are averaged by the same T, so D learns how instruct tuning moved the rows a new
    token is built from, over the whole new vocabulary rather than only the shared tokens. T
    is kept as is (it does not cancel: T @ base and T @ instruct are fitted row by row).

    Args:
        x: the fit inputs; uses base, inst, T, fit_rows and ridge.

    Returns:
        (D float64 `[hidden, hidden]`, fit quality).
    """
    if x.T is None:
        raise ModelError("conversion needs the init transform T (init_transform.safetensors)")
    if "t" not in x.shared:
        x.shared["t"] = select_rows(x.T, x.fit_rows)
    t = x.shared["t"]
    ne = NormalEquations(x.base.shape[1])
    ne.add_gram(t, x.base, x.inst, shared=x.shared)
    d = ne.solve(x.ridge)
    return d, ne.quality(d)
