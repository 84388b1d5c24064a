"""LEP mean initialisation: a new token's row is the mean of its old pieces' rows."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from langadapt import registry
from langadapt.tokens.mapping import matmul_blocks

PAPER = (
    "Tikhomirov & Chernyshev, Facilitating large language model Russian adaptation with "
    "Learned Embedding Propagation (arXiv 2412.21140), eq. 1-2"
)


def mean_blocks(T: torch.Tensor, old: torch.Tensor, chunk: int = 1024) -> Iterator[torch.Tensor]:
    """`T @ old` in float32 blocks of `chunk` rows (what `langadapt init` streams to disk)."""
    return matmul_blocks(T, old, torch.float32, chunk)


# row-wise: row i depends on row i of T only, so the stage may write the result block by block
# instead of holding whole float32 matrices (init's peak memory at 7B: docs/benchmarks.md)
@registry.register("init", "mean", paper=PAPER, default=True, blocks=mean_blocks)
def mean(
    T: torch.Tensor, old: torch.Tensor, copied: torch.Tensor, *, seed: int = 0
) -> torch.Tensor:
    """Mean of the old tokenizer's pieces of each new token (LEP eq. 1-2); shared tokens copy.

    Args:
        T: the averaging matrix `[rows, old_rows]`, sparse CSR (see `tokens.mapping`).
        old: the old embedding or output-head matrix `[old_rows, hidden]`.
        copied: `[rows]` bool, rows that copy one old row (unused: T already says so).
        seed: unused (the method is deterministic).

    Returns:
        `[rows, hidden]` float32: the sparse matmul `T @ old`, in row blocks.
    """
    return torch.cat(list(mean_blocks(T, old)))
