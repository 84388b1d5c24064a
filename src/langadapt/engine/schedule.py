"""The optimisation settings of a training run, one block option of every training stage.

`pretrain`, `sft` and `calibrate` (and anything else built on `engine`) take one
`schedule` option instead of a dozen loose ones. On the command line its fields are
`--schedule.lr 2e-4`, `--schedule.warmup-steps 100`; in YAML a block
`schedule: {lr: 2e-4, warmup_steps: 100}`; as overrides `schedule.lr=2e-4` (in a pipeline
`STAGE.schedule.lr=2e-4`). Fields not given keep the stage's defaults (config.py merges field
by field), so a stage's signature shows its own defaults: `schedule: Schedule =
Schedule(lr=None, weight_decay=0.1)` for pretrain, where `lr=None` means "required".
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from langadapt.errors import ConfigError, InputError


@dataclass(frozen=True)
class Schedule:
    """AdamW with a linear warm-up and a decaying learning rate (defaults: LEP 2.4.1).

    LEP (arXiv 2412.21140, 2.4.1) trains with AdamW, 100 warm-up steps, a cosine decay and one
    epoch; its weight decay of 0.1 is the `pretrain` stage's default (here the default is
    none). A stage passes `lr=None` when it has no sensible default learning rate: the user
    must then give one (`config.resolve` names it; `check` refuses a None left in Python).

    Attributes:
        lr: peak learning rate (AdamW), reached at the end of the warm-up.
        batch_size: examples (blocks, conversations) per micro-batch per process.
        grad_accum: micro-batches per optimizer step (the global batch is batch_size x
            grad_accum x processes).
        epochs: passes over the data (a fraction stops part-way).
        max_steps: stop after this many optimizer steps instead (overrides epochs).
        warmup_steps: linear warm-up steps, capped to the run length (LEP: 100).
        scheduler: learning-rate schedule after the warm-up (LEP: cosine).
        weight_decay: AdamW decoupled weight decay (never on norms and biases; with
            `--train new-rows` on the new rows only).
        betas: AdamW's decay rates of the gradient's first and second moments.
        max_grad_norm: clip the gradient norm to this (0 = no clipping).
        seed: seed of the data order and of every random number generator.
        save_every: write a resumable checkpoint every this many steps (0 = never).
        gradient_checkpointing: recompute activations in the backward pass to save memory.
    """

    lr: float
    batch_size: int = 8
    grad_accum: int = 1
    epochs: float = 1.0
    max_steps: int | None = None
    warmup_steps: int = 100
    scheduler: Literal["cosine", "linear", "constant_with_warmup"] = "cosine"
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)  # torch's AdamW defaults
    max_grad_norm: float = 1.0
    seed: int = 0
    save_every: int = 200
    gradient_checkpointing: bool = False

    def __post_init__(self) -> None:
        positive = {"batch_size": self.batch_size, "grad_accum": self.grad_accum}
        if self.lr is not None:
            positive["lr"] = self.lr
        for name, value in positive.items():
            if value <= 0:
                raise ConfigError(f"schedule.{name} must be positive, not {value}")
        if self.epochs <= 0 and self.max_steps is None:
            raise ConfigError(f"schedule.epochs must be positive, not {self.epochs}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(
                f"schedule.max_steps must be at least 1, not {self.max_steps} "
                "(leave it unset to train for schedule.epochs)"
            )
        for name in ("warmup_steps", "save_every", "max_grad_norm", "weight_decay"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"schedule.{name} must not be negative, not {getattr(self, name)}"
                )

    def check(self) -> Schedule:
        """The schedule itself, or ConfigError when a required field (lr) was left None."""
        if self.lr is None:
            raise ConfigError(
                "schedule.lr is required (it depends on the model size and on what is trained): "
                "give --schedule.lr 2e-4, schedule.lr=2e-4 or, in YAML, schedule: {lr: 2e-4}"
            )
        return self


def stage_default(stage: Callable, **changes: Any) -> Schedule:
    """The default schedule of `stage` (e.g. `pretrain.run`) with `changes`, for Python callers.

    `Schedule(lr=...)` alone has the class's defaults, not the stage's (pretrain's weight decay
    is 0.1); this is what `--schedule.lr ...` on the command line gives.
    """
    return replace(inspect.signature(stage).parameters["schedule"].default, **changes)


def total_steps(n_examples: int, sched: Schedule, world: int, what: str) -> int:
    """Optimizer steps of the run, or InputError when the data do not fill one step."""
    per_step = sched.batch_size * sched.grad_accum * world
    per_epoch = n_examples // per_step
    total = sched.max_steps or int(sched.epochs * per_epoch)
    if per_epoch == 0 or total < 1:
        raise InputError(
            f"{what} gives {n_examples} training examples, but one optimizer step needs "
            f"{per_step} (batch {sched.batch_size} x accumulation {sched.grad_accum} x "
            f"{world} processes); give more data or lower --schedule.batch-size"
        )
    return total


def lr_scheduler(optimizer, sched: Schedule, total: int):
    """The learning-rate scheduler of `sched` over `total` optimizer steps (transformers')."""
    from transformers import get_scheduler

    # the paper's 100 warm-up steps, capped so that a short run still reaches its peak lr
    return get_scheduler(
        sched.scheduler,
        optimizer,
        num_warmup_steps=min(sched.warmup_steps, total),
        num_training_steps=total,
    )
