"""The training loop shared by every training stage: one `Accelerator`, no trainer hierarchy.

The same code runs on one CPU and under `accelerate launch` (DDP, FSDP, DeepSpeed ZeRO). What
is trained is given by three functions, so the loop is not tied to causal LMs:

- `loss_fn(model, batch) -> (loss, count)`: the loss of one micro-batch, averaged over `count`
  items (label tokens, masked tokens, pairs, ...), as a 0-d tensor, and `count` as a tensor.
  The loss is backpropagated as it is; `count` weighs the logged average over micro-batches
  and processes. Default `causal_lm_loss`.
- `order`: "shuffled" (a seeded permutation per epoch) or "given" (the examples in the order
  passed, for curricula; every epoch repeats it).
- `save(accelerator, model, out)`, used by `finish`: writes the trained model. Default
  `hf_folder()`: a plain HF folder (LoRA merged, weights cast to a dtype, the tokenizer beside
  it); a model that is not an HF model (an encoder + connector + LLM) brings its own.

API::

    results, model = train(model, examples, collate, trainable, sched, *, accelerator, work,
                           what, loss_fn=causal_lm_loss, order="shuffled")
    finish(accelerator, model, out, *, save=hf_folder(tokenizer, dtype, merge=True))

The data order is ours, not a DataLoader's: micro-batch `g` of rank `r` takes examples
`order_e[(i * world + r) * batch : ... + batch]` of epoch `e` (`g = e * micro_per_epoch + i`),
so the position in the data is a pure function of the optimizer step. A checkpoint (every
`save_every` steps, in `<work>/checkpoint`, swapped in atomically) holds the model, optimizer,
scheduler and RNG states (`Accelerator.save_state`) and the step; a killed run started again
with the same command loads it and continues, and ends with the same weights as a run that
was never interrupted. `finish` deletes the checkpoint only after the model is written: call it
last, after every other output of the stage (plots, results), so that a failure anywhere
before leaves the resume state in place.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from langadapt.engine.params import Trainable, decay_rows
from langadapt.engine.schedule import Schedule, lr_scheduler, total_steps
from langadapt.errors import ConfigError

CHECKPOINT = "checkpoint"
METRICS = "metrics.jsonl"

LossFn = Callable[[Any, dict], tuple[Any, Any]]
SaveFn = Callable[[Any, Any, Path], None]

__all__ = [
    "CHECKPOINT",
    "METRICS",
    "Schedule",
    "causal_lm_loss",
    "finish",
    "hf_folder",
    "make_accelerator",
    "total_steps",
    "train",
    "writing_all_ranks",
]


def causal_lm_loss(model, batch: dict) -> tuple[Any, Any]:
    """A causal LM's loss on `batch` and the number of label tokens it averages over.

    `batch` holds `input_ids` and `labels` `[batch, seq]` (label -100 = no loss there). The HF
    model shifts the labels by one position itself and averages over the rest, so the count is
    that of `labels[:, 1:] != -100`.
    """
    loss = model(**batch).loss
    return loss, (batch["labels"][:, 1:] != -100).sum()


def make_accelerator(precision: str, grad_accum: int):
    """An Accelerator; `precision='auto'` is bf16 on a GPU that has it, else full precision."""
    import torch
    from accelerate import Accelerator

    if precision == "auto":
        precision = "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"
    return Accelerator(mixed_precision=precision, gradient_accumulation_steps=grad_accum)


@contextmanager
def writing_all_ranks(run, accelerator) -> Iterator[Path]:
    """`run.writing()` for every rank: the main process owns the folder and renames it.

    The folder is the stage's resumable `.NAME.partial`, a path every rank can compute. Other
    ranks wait until the main process has prepared it, write their share into it (checkpoint
    shards, RNG states), and wait again until the main process has moved it into place.
    """
    if accelerator.is_main_process:
        with run.writing() as tmp:
            accelerator.wait_for_everyone()
            yield tmp
            accelerator.wait_for_everyone()
        accelerator.wait_for_everyone()
    else:
        accelerator.wait_for_everyone()
        yield run.partial
        accelerator.wait_for_everyone()
        accelerator.wait_for_everyone()


def _log_rank(accelerator, text: str) -> None:
    # one line per rank on stderr, so a multi-process launch shows that every rank worked
    print(f"[rank {accelerator.process_index}/{accelerator.num_processes}] {text}", file=sys.stderr)
    sys.stderr.flush()


def _save_checkpoint(accelerator, work: Path, step: int) -> None:
    final, tmp, old = work / CHECKPOINT, work / f"{CHECKPOINT}.tmp", work / f"{CHECKPOINT}.old"
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (tmp / "step.json").write_text(json.dumps({"step": step}))
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def _resume_step(work: Path) -> tuple[Path | None, int]:
    for name in (CHECKPOINT, f"{CHECKPOINT}.old"):  # .old: killed between the two renames
        marker = work / name / "step.json"
        if marker.is_file():
            return work / name, int(json.loads(marker.read_text())["step"])
    return None, 0


def _order(n: int, epoch: int, sched: Schedule, order: str):
    """The example indices of one epoch: a seeded permutation, or 0..n-1 as given."""
    import torch

    if order == "given":
        return torch.arange(n)
    gen = torch.Generator().manual_seed(sched.seed * 1000 + epoch)
    return torch.randperm(n, generator=gen)


def train(
    model,
    examples: Sequence,
    collate: Callable[[list], dict],
    trainable: Trainable,
    sched: Schedule,
    *,
    accelerator,
    work: Path,
    what: str,
    loss_fn: LossFn = causal_lm_loss,
    order: Literal["shuffled", "given"] = "shuffled",
) -> tuple[dict, object]:
    """Train `model` on `examples`; return (figures for the manifest, the prepared model).

    Args:
        model: a torch module whose frozen parameters already have `requires_grad=False` (an
            HF causal LM for the default loss).
        examples: the training examples; `collate(list_of_examples)` makes a model batch.
        collate: turns a list of examples into a dict of tensors (for the default loss:
            `input_ids` and `labels`); the engine moves them to the device.
        trainable: the optimizer groups (`params.select`); a group without its own
            `weight_decay` takes `sched.weight_decay`.
        sched: optimisation settings.
        accelerator: the run's Accelerator.
        work: the stage's partial folder, where checkpoints and metrics.jsonl live.
        what: the data's name for messages.
        loss_fn: `(model, batch) -> (loss, count)`, see the module docstring.
        order: "shuffled" (a permutation per epoch from `sched.seed`) or "given".

    The figures are steps, resumed_from_step, final_loss (the last step's loss, averaged over
    the counts), tokens_per_s (counted items per second: label tokens for the causal loss),
    processes and trainable_parameters.
    """
    import torch
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm

    if order not in ("shuffled", "given"):
        raise ConfigError(f"the data order is {order!r}; choose one of: shuffled, given")
    sched.check()
    world, rank = accelerator.num_processes, accelerator.process_index
    total = total_steps(len(examples), sched, world, what)
    micro_per_epoch = len(examples) // (sched.batch_size * world)
    set_seed(sched.seed)
    if sched.gradient_checkpointing:
        # non-reentrant: it backpropagates to the embeddings even when every layer is frozen
        if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.x
            model.activation_checkpointing_enable({"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable({"use_reentrant": False})
        model.enable_input_require_grads()
    # no KV cache while training; put back at the end (an encoder's config must not change)
    config = getattr(model, "config", None)
    use_cache = getattr(config, "use_cache", None)
    if config is not None:
        config.use_cache = False
    optimizer = torch.optim.AdamW(
        trainable.groups, lr=sched.lr, betas=sched.betas, weight_decay=sched.weight_decay
    )
    model, optimizer = accelerator.prepare(model, optimizer)
    scheduler = lr_scheduler(optimizer, sched, total)
    # stepped by us once per optimizer step, so not prepared (accelerate would step it once
    # per process); registered so that save_state/load_state carry it
    accelerator.register_for_checkpointing(scheduler)
    ckpt, start = _resume_step(work)
    metrics_path = work / METRICS
    if ckpt is not None:
        accelerator.load_state(str(ckpt))
        _log_rank(accelerator, f"resuming from the checkpoint of step {start}/{total}")
        if accelerator.is_main_process and metrics_path.exists():
            keep = [
                line
                for line in metrics_path.read_text().splitlines()
                if json.loads(line)["step"] <= start
            ]
            metrics_path.write_text("".join(line + "\n" for line in keep))
    elif accelerator.is_main_process:
        metrics_path.unlink(missing_ok=True)
    accelerator.step = start * sched.grad_accum
    _log_rank(
        accelerator,
        f"training {what}: {len(examples)} examples, {total} steps, "
        f"{trainable.n_params:,} trainable parameters",
    )
    model.train()
    perms: dict[int, torch.Tensor] = {}
    bar = tqdm(total=total, initial=start, disable=not accelerator.is_main_process, unit="step")
    t0, tokens_done, last = time.perf_counter(), 0, {}
    for step in range(start, total):
        loss_sum = torch.zeros(2, device=accelerator.device)  # [sum of loss x count, count]
        for m in range(sched.grad_accum):
            g = step * sched.grad_accum + m
            epoch, i = divmod(g, micro_per_epoch)
            if epoch not in perms:
                perms = {epoch: _order(len(examples), epoch, sched, order)}
            lo = (i * world + rank) * sched.batch_size
            idx = perms[epoch][lo : lo + sched.batch_size].tolist()
            batch = {
                k: v.to(accelerator.device) for k, v in collate([examples[j] for j in idx]).items()
            }
            with accelerator.accumulate(model):
                loss, count = loss_fn(model, batch)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    if sched.max_grad_norm:
                        # the prepared model's parameters: FSDP replaces the originals
                        accelerator.clip_grad_norm_(
                            [p for p in model.parameters() if p.requires_grad],
                            sched.max_grad_norm,
                        )
                    decay_rows(trainable, scheduler.get_last_lr()[0])
                optimizer.step()
                optimizer.zero_grad()
            count = torch.as_tensor(count, device=loss.device)
            loss_sum += torch.stack([loss.detach().float() * count, count.float()])
        lr_used = scheduler.get_last_lr()[0]
        scheduler.step()
        loss_sum = accelerator.reduce(loss_sum, "sum")
        loss = (loss_sum[0] / loss_sum[1].clamp(min=1)).item()
        tokens_done += int(loss_sum[1].item())
        rate = tokens_done / max(time.perf_counter() - t0, 1e-9)
        last = {"step": step + 1, "loss": round(loss, 6), "lr": lr_used}
        last["tokens_per_s"] = round(rate, 1)
        bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{rate:,.0f}")
        bar.update(1)
        if accelerator.is_main_process:
            with open(metrics_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(last) + "\n")
        if sched.save_every and (step + 1) % sched.save_every == 0 and step + 1 < total:
            _save_checkpoint(accelerator, work, step + 1)
    bar.close()
    if config is not None:
        config.use_cache = use_cache
    accelerator.wait_for_everyone()
    _log_rank(accelerator, f"finished {total} steps")
    return {
        "steps": total,
        "resumed_from_step": start,
        "final_loss": last.get("loss"),
        "tokens_per_s": last.get("tokens_per_s"),
        "processes": world,
        "trainable_parameters": trainable.n_params,
    }, model


def hf_folder(tokenizer=None, dtype: str = "float32", *, merge: bool = True) -> SaveFn:
    """The save function that writes a plain HF model folder (the default of `finish`).

    Weights are cast to `dtype` (the stages pass the input checkpoint's); a LoRA model is
    merged into its base weights when `merge`, so the folder loads without peft, otherwise
    only its adapter is written (a peft adapter folder); `tokenizer`, when given, is saved
    beside it.
    """

    def save(accelerator, model, out: Path) -> None:
        import torch

        from langadapt.engine.lora import is_peft

        state = accelerator.get_state_dict(model)  # all ranks: FSDP/ZeRO-3 gather here
        if not accelerator.is_main_process:
            return
        unwrapped = accelerator.unwrap_model(model)
        if is_peft(unwrapped) and merge:
            unwrapped = unwrapped.merge_and_unload()
            state = unwrapped.state_dict()
        unwrapped.config.use_cache = True
        if dtype != "float32":
            target = getattr(torch, dtype)
            state = {k: v.to(target) if v.is_floating_point() else v for k, v in state.items()}
            unwrapped.config.dtype = dtype
        if is_peft(unwrapped):
            unwrapped.save_pretrained(str(out))  # the adapter only
        else:
            unwrapped.save_pretrained(str(out), state_dict=state)
        if tokenizer is not None:
            tokenizer.save_pretrained(str(out))

    return save


def finish(accelerator, model, out: Path, *, save: SaveFn | None = None) -> None:
    """Write the trained model into `out`, then delete the resume state there.

    `save(accelerator, model, out)` is called on every rank (a sharded model is gathered
    there) and writes from the main process; default `hf_folder()`. Call `finish` last in a
    stage: the checkpoint goes only once the model is written.
    """
    out = Path(out)
    (save or hf_folder())(accelerator, model, out)
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        for name in (CHECKPOINT, f"{CHECKPOINT}.old", f"{CHECKPOINT}.tmp"):
            shutil.rmtree(out / name, ignore_errors=True)
    accelerator.wait_for_everyone()
