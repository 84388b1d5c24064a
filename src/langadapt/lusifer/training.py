"""What LUSIFER's two stages share on top of the training engine.

- `adapt`: LoRA adapters on the parts that train, everything else frozen, and the optimizer
  groups (weight decay on matrices only);
- `warmup`: LUSIFER gives its warm-up as a fraction of the run (10%), the engine's schedule in
  steps, so the stage converts it once it knows the run's length;
- `save_folder`: the engine's save hook that writes a LUSIFER folder from the main process.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from torch import nn

from langadapt import engine
from langadapt.engine.params import Trainable
from langadapt.engine.schedule import Schedule
from langadapt.errors import ConfigError
from langadapt.lusifer.adapters import LoraSettings, inject
from langadapt.lusifer.layers import linear_names


def groups(modules: list[nn.Module], weight_decay: float) -> Trainable:
    """Optimizer groups of every parameter that requires grad in `modules`.

    Weight decay goes to matrices only, never to biases, norms or the added token vectors'
    rows (which are embeddings, like the LLM's own).
    """
    seen, decay, rest = set(), [], []
    for module in modules:
        for name, p in module.named_parameters():
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            (decay if p.ndim >= 2 and not name.endswith("added") else rest).append(p)
    if not decay and not rest:
        raise ConfigError("nothing would train: every parameter of the model is frozen")
    return Trainable(
        [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
    )


def adapt(model, *, encoder_lora: LoraSettings | None, llm_lora: LoraSettings | None) -> dict:
    """Freeze the model, then add LoRA where asked; the connector and head stay trainable.

    Returns the LoRA targets per part (for the manifest). The stage decides afterwards which of
    connector and head train (stage 1 leaves the head out).
    """
    for p in model.parameters():
        p.requires_grad_(False)
    targets = {}
    # a DecoderEmbedder (the LLM alone) has neither encoder nor connector
    encoder, connector = getattr(model, "encoder", None), getattr(model, "connector", None)
    if encoder_lora is not None and encoder is not None:
        targets["encoder"] = inject(encoder, encoder_lora, "encoder")
    if llm_lora is not None:
        if llm_lora.targets is None:
            # the decoder's linear layers only: the LM head takes no part in an embedding (and
            # an unused trainable parameter stops DDP)
            llm_lora = replace(llm_lora, targets=tuple(linear_names(model.llm.get_decoder())))
        targets["llm"] = inject(model.llm, llm_lora, "LLM")
    for part in (connector, model.head):
        for p in part.parameters() if part is not None else ():
            p.requires_grad_(True)
    return targets


def warmup(schedule: Schedule, ratio: float | None, n_examples: int, world: int, what: str):
    """`schedule` with `warmup_steps = ratio x total steps` (unchanged when `ratio` is None)."""
    if ratio is None:
        return schedule
    if not 0 <= ratio < 1:
        raise ConfigError(f"--warmup-ratio must be in [0, 1), not {ratio}")
    total = engine.total_steps(n_examples, schedule, world, what)
    return replace(schedule, warmup_steps=round(ratio * total))


def save_folder(accelerator, model, out: Path) -> None:
    """The engine's save hook: the unwrapped LUSIFER model as a folder (main process).

    Under DDP every rank holds the full model; sharded set-ups (FSDP, ZeRO-3) are not
    supported by LUSIFER's stages yet (the model would have to be gathered first).
    """
    from langadapt.lusifer.folder import save

    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        save(accelerator.unwrap_model(model), out)


def refuse_sharding(accelerator) -> None:
    if accelerator.distributed_type.value in ("FSDP", "DEEPSPEED"):
        raise ConfigError(
            "LUSIFER's stages run on one device or under DDP (accelerate launch --multi_gpu); "
            "FSDP and DeepSpeed are not supported yet"
        )
