"""LUSIFER stage 2's loss and batches: InfoNCE with in-batch and hard negatives.

For query `i` with positive `p_i` and the documents `D` of the whole global batch (every
process's positives and hard negatives, gathered with their gradients):

    loss_i = -log( exp(cos(q_i, p_i) / t) / sum_{d in D} exp(cos(q_i, d) / t) ),  t = 0.05

on the projection head's outputs (LUSIFER 3.3). Each process averages over its own queries;
DDP's gradient averaging then gives the gradient of the mean over the global batch, because
the gather's backward sums each process's share of the other processes' document gradients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from langadapt.lusifer import text

if TYPE_CHECKING:
    from langadapt.lusifer.data import Row


class _GatherWithGrad(torch.autograd.Function):
    """All-gather `[n, dim]` -> `[world * n, dim]`; the backward sums every process's gradient
    of the gathered tensor (all-reduce) and returns this process's rows."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        grad = grad.contiguous()
        dist.all_reduce(grad)
        n = grad.shape[0] // dist.get_world_size()
        return grad[dist.get_rank() * n : (dist.get_rank() + 1) * n]


def gather_documents(docs: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Every process's documents `[sum_r n_r, dim]` (gradients flow back), and this one's offset.

    Processes may hold different numbers of documents (rows bring 0-7 hard negatives), so the
    sizes are exchanged first and each share padded to the largest for the all-gather.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return docs, 0
    world, rank = dist.get_world_size(), dist.get_rank()
    size = torch.tensor([docs.shape[0]], device=docs.device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    sizes = [int(s) for s in sizes]
    top = max(sizes)
    padded = torch.cat([docs, docs.new_zeros(top - docs.shape[0], docs.shape[1])])
    gathered = _GatherWithGrad.apply(padded)
    parts = [gathered[r * top : r * top + n] for r, n in enumerate(sizes)]
    return torch.cat(parts), sum(sizes[:rank])


def info_nce(
    queries: torch.Tensor, docs: torch.Tensor, positives: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Mean InfoNCE of local `queries` `[b, dim]` against the gathered `docs` `[N, dim]`.

    `positives` `[b]`: the index in the local `docs` of each query's positive.
    """
    all_docs, offset = gather_documents(docs)
    q = torch.nn.functional.normalize(queries.float(), dim=-1)
    d = torch.nn.functional.normalize(all_docs.float(), dim=-1)
    scores = q @ d.T / temperature  # [b, N]
    return torch.nn.functional.cross_entropy(scores, positives + offset)


def pick(row: Row, index: int, seed: int, max_negatives: int) -> tuple[str, list[str]]:
    """The positive and up to `max_negatives` hard negatives of a row, drawn per (seed, row)."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + index)
    pos = row.positives[int(torch.randint(len(row.positives), (1,), generator=gen))]
    order = torch.randperm(len(row.negatives), generator=gen).tolist()
    return pos, [row.negatives[i] for i in order[:max_negatives]]


class ContrastiveCollate:
    """Examples `(index, Row)` -> one tokenized batch of queries then documents.

    Queries and documents go through the model in one forward pass (one graph per step, as
    DDP wants): `input_ids`/`attention_mask` `[b + n_docs, seq]`, `n_queries` `[1]` and
    `positives` `[b]` (each query's positive among the documents: the positives come first,
    in query order, then every row's negatives).
    """

    def __init__(self, model, *, instruction: str, max_negatives: int, seed: int):
        self.model, self.instruction = model, instruction
        self.max_negatives, self.seed = max_negatives, seed

    def __call__(self, examples: list) -> dict:
        queries, positives, negatives = [], [], []
        for index, row in examples:
            ins = row.instruction or self.instruction
            pos, negs = pick(row, index, self.seed, self.max_negatives)
            queries.append(text.format_text(row.query, "query", ins))
            positives.append(text.format_text(pos, "document", ins))
            negatives += [text.format_text(n, "document", ins) for n in negs]
        batch = self.model.tokenize(queries + positives + negatives, what="lusifer finetune")
        batch["n_queries"] = torch.tensor([len(queries)])
        batch["positives"] = torch.arange(len(queries))
        return batch


def loss_fn(temperature: float, grad_cache_chunk: int = 0, accelerator=None):
    """The engine's loss hook: (mean InfoNCE over this process's queries, their count).

    With `grad_cache_chunk` > 0 the step runs as GradCache (`gradcache.py`): the model reads
    that many texts per pass and the gradients are already in place when the hook returns;
    the loss it returns is a detached leaf, so the engine's own backward adds nothing.
    """

    def fn(model, batch):
        n = int(batch["n_queries"][0])

        def of(reps):
            return info_nce(reps[:n], reps[n:], batch["positives"], temperature)

        if grad_cache_chunk > 0:
            from langadapt.lusifer.gradcache import cached_step

            loss = cached_step(model, batch, of, grad_cache_chunk, accelerator)
            return loss.requires_grad_(), torch.tensor(n, device=loss.device)
        reps = model(
            mode="project", input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        )
        return of(reps), torch.tensor(n, device=reps.device)

    return fn
