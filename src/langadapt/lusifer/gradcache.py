"""GradCache: a contrastive batch larger than memory, with the exact full-batch gradient.

Gao, Zhang, Han & Callan, "Scaling Deep Contrastive Learning Batch Size under Memory Limited
Setup" (RepL4NLP 2021, arXiv 2101.06983). InfoNCE needs every embedding of the batch at once,
but its gradient with respect to the model factorises through the embeddings `r` `[B, dim]`:

    dL/dtheta = sum_i (dL/dr_i) . (dr_i/dtheta)

So, per micro-batch of `B` texts (queries and documents) cut into chunks of `chunk` texts:

1. embed every chunk without a graph (memory: one chunk's activations), saving each chunk's
   random-number state first;
2. compute the loss on the detached embeddings (gathered across processes as in the plain
   loss) and its gradient `g = dL/dr` `[B, dim]` (small: no model graph);
3. embed each chunk again with a graph, under the saved random state (so dropout draws the
   same masks and the embeddings are those of step 1), and backpropagate `sum(r_chunk * g_chunk)`,
   which adds that chunk's share of dL/dtheta to the parameters' gradients.

The sum over chunks is the full-batch gradient (tested to match it). Under DDP, chunks but the
last run under `no_sync`, so gradients are all-reduced once per step. The price: every text
goes through the model twice (about 1.3-1.5x the time of a plain step).
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from torch.utils.checkpoint import get_device_states, set_device_states


class RandomState:
    """The CPU and accelerator random states at one moment, to replay a forward pass exactly."""

    def __init__(self, *tensors: torch.Tensor):
        self.cpu = torch.get_rng_state()
        self.devices, self.states = get_device_states(*tensors)

    def replay(self):
        """A context that runs its block from this state and restores the current one after."""
        state = self

        class _Replay:
            def __enter__(self):
                self.fork = torch.random.fork_rng(devices=state.devices)
                self.fork.__enter__()
                torch.set_rng_state(state.cpu)
                set_device_states(state.devices, state.states)

            def __exit__(self, *exc):
                return self.fork.__exit__(*exc)

        return _Replay()


def chunks(mask: torch.Tensor, size: int) -> list[tuple[int, int, int]]:
    """(first row, end row, width) of each chunk of `size` rows of a right-padded `[B, seq]`
    mask; `width` trims the chunk's common padding (masked positions change nothing)."""
    out = []
    for lo in range(0, mask.shape[0], size):
        hi = min(lo + size, mask.shape[0])
        out.append((lo, hi, max(int(mask[lo:hi].sum(dim=1).max()), 1)))
    return out


def cached_step(model, batch: dict, loss_of, chunk: int, accelerator=None) -> torch.Tensor:
    """Backpropagate `loss_of(reps)` through `model` chunk by chunk; return the loss (detached).

    Args:
        model: the (prepared) embedding model; `model(mode="project", input_ids=...,
            attention_mask=...)` gives `[rows, dim]`.
        batch: `input_ids` and `attention_mask` `[rows, seq]` (right padding).
        loss_of: `reps [rows, dim] -> 0-d loss` (InfoNCE with its gather across processes).
        chunk: rows per forward pass.
        accelerator: the run's Accelerator: its `backward` scales for gradient accumulation
            and mixed precision, its `no_sync` defers DDP's all-reduce to the last chunk.
    """
    ids, mask = batch["input_ids"], batch["attention_mask"]
    parts = chunks(mask, chunk)
    states, reps = [], []
    with torch.no_grad():
        for lo, hi, w in parts:
            states.append(RandomState(ids))
            reps.append(
                model(mode="project", input_ids=ids[lo:hi, :w], attention_mask=mask[lo:hi, :w])
            )
    cached = torch.cat(reps).detach().requires_grad_()
    loss = loss_of(cached)
    (grad,) = torch.autograd.grad(loss, cached)
    backward = accelerator.backward if accelerator is not None else torch.Tensor.backward
    for n, ((lo, hi, w), state) in enumerate(zip(parts, states)):
        last = n == len(parts) - 1
        sync = nullcontext() if last or accelerator is None else accelerator.no_sync(model)
        with state.replay(), sync:
            r = model(mode="project", input_ids=ids[lo:hi, :w], attention_mask=mask[lo:hi, :w])
            backward((r * grad[lo:hi].to(r.dtype)).sum())
    return loss.detach()
