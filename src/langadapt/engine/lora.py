"""LoRA adapters through peft: checked target names, first/last-layer selection, tied heads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langadapt.errors import ConfigError

# the projections of Llama, Mistral and Qwen2 decoder layers
DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class LoraSpec:
    """What to adapt: rank r, scale alpha/r, target module names, layers, fully trained modules."""

    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.0
    targets: tuple[str, ...] = DEFAULT_TARGETS
    layers: tuple[int, ...] | None = None  # None = every layer; negative = from the end
    modules_to_save: tuple[str, ...] = ()


def _matches(name: str, target: str) -> bool:
    return name == target or name.endswith("." + target)


def check_names(model, spec: LoraSpec) -> None:
    """ConfigError when a target or module to save matches no module, listing what exists."""
    import torch

    linear = sorted(
        {n.split(".")[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    )
    names = [n for n, _ in model.named_modules()]
    missing = [t for t in spec.targets if not any(_matches(n, t) for n in names)]
    if missing:
        raise ConfigError(
            f"LoRA target modules {', '.join(missing)} match no module of this "
            f"{model.config.model_type} model; its linear modules are: {', '.join(linear)}"
        )
    leaves = sorted({n.split(".")[-1] for n in names if n})
    missing = [t for t in spec.modules_to_save if not any(_matches(n, t) for n in names)]
    if missing:
        raise ConfigError(
            f"--modules-to-save {', '.join(missing)} match no module of this model; "
            f"its modules are: {', '.join(leaves)}"
        )
    n_layers = model.config.num_hidden_layers
    bad = [i for i in spec.layers or () if not -n_layers <= i < n_layers]
    if bad:
        raise ConfigError(f"--lora-layers {bad} out of range: the model has {n_layers} layers")


def wrap(model, spec: LoraSpec):
    """The model with LoRA adapters (a peft model); only adapters and saved modules train."""
    from peft import LoraConfig, get_peft_model

    check_names(model, spec)
    n_layers = model.config.num_hidden_layers
    layers = sorted({i % n_layers for i in spec.layers}) if spec.layers else None
    cfg = LoraConfig(
        r=spec.rank,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=list(spec.targets),
        layers_to_transform=layers,
        modules_to_save=list(spec.modules_to_save) or None,
        # a tied model keeps one matrix for embed_tokens and lm_head, adapters included
        ensure_weight_tying=bool(model.config.tie_word_embeddings and spec.modules_to_save),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, cfg)


def is_peft(model) -> bool:
    return hasattr(model, "peft_config") and hasattr(model, "merge_and_unload")


def check_names_on_folder(model: Path, spec: LoraSpec) -> None:
    """`check_names` on a folder's model skeleton (meta tensors, no weights read), so a stage
    refuses bad target names before it writes anything."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = AutoConfig.from_pretrained(str(model))
    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(cfg)
    check_names(skeleton, spec)
