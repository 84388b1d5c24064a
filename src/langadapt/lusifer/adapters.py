"""LoRA on LUSIFER's encoder and LLM, injected in place, and the merged weights for saving.

The adapters are injected into the HF modules themselves (`peft.inject_adapter_in_model`), not
wrapped in a `PeftModel`, so `LusiferModel` keeps one module tree whose forward is the same with
and without adapters. A saved LUSIFER folder holds plain HF weights with the adapters merged
in: it loads without peft, and the next stage injects fresh adapters on top.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from langadapt.errors import ConfigError
from langadapt.lusifer.layers import linear_names


@dataclass(frozen=True)
class LoraSettings:
    """LoRA of one part (LUSIFER 4.1: rank 16, alpha 32, dropout 0.1 on every linear layer)."""

    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.1
    targets: tuple[str, ...] | None = None  # None = every nn.Linear leaf name of the part


def inject(module: nn.Module, spec: LoraSettings, what: str) -> list[str]:
    """Add LoRA adapters to `module` in place; freeze everything else in it. Returns the targets.

    Only the adapters' A and B matrices train afterwards: the base weights keep
    `requires_grad=False`.
    """
    from peft import LoraConfig, inject_adapter_in_model

    present = linear_names(module)
    targets = list(spec.targets) if spec.targets else present
    missing = [t for t in targets if t not in present]
    if missing:
        raise ConfigError(
            f"LoRA targets {', '.join(missing)} match no linear layer of the {what}; "
            f"its linear layers are: {', '.join(present)}"
        )
    if spec.rank <= 0:
        raise ConfigError(f"the {what}'s LoRA rank must be positive, not {spec.rank}")
    for p in module.parameters():
        p.requires_grad_(False)
    cfg = LoraConfig(
        r=spec.rank, lora_alpha=spec.alpha, lora_dropout=spec.dropout, target_modules=targets
    )
    inject_adapter_in_model(cfg, module)
    return targets


def has_lora(module: nn.Module) -> bool:
    from peft.tuners.lora import LoraLayer

    return any(isinstance(m, LoraLayer) for m in module.modules())


def merged_state_dict(module: nn.Module) -> dict:
    """The module's state dict with LoRA merged into the base weights, under the plain HF names.

    `base_layer.weight + B @ A * alpha / r` for each adapted layer (peft's `merge`), the adapter
    tensors dropped and `.base_layer.` removed from the names; the module is left unmerged, so
    training can go on after a save.
    """
    from peft.tuners.lora import LoraLayer

    layers = [m for m in module.modules() if isinstance(m, LoraLayer)]
    for m in layers:
        m.merge()
    try:
        state = {
            k.replace(".base_layer.", "."): v.detach().clone()
            for k, v in module.state_dict().items()
            if ".lora_" not in k
        }
    finally:
        for m in layers:
            m.unmerge()
    return state
