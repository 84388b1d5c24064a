"""The small trained parts of LUSIFER and the switch that makes a decoder bidirectional.

- `Connector`: per encoder token, Linear(enc_hidden, enc_hidden) -> ReLU -> Linear(enc_hidden,
  llm_hidden) (LUSIFER 3.1), then `added_tokens` trainable vectors appended after the sequence
  (paper: 1; the released checkpoint: 0). Its output enters the LLM as `inputs_embeds`.
- `ProjectionHead`: Linear -> ReLU -> Linear on the pooled vector, used by the contrastive loss.
- `mean_pool`: the mean of the final hidden states over non-padding positions.
- `set_bidirectional`: every position of a Llama/Mistral/Qwen2 decoder attends to every other.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from collections.abc import Iterator


class Connector(nn.Module):
    """Encoder token states `[batch, seq, enc_hidden]` -> LLM inputs `[batch, seq + k, llm_hidden]`.

    The `k = added_tokens` appended vectors are the same for every text; their mask is 1, so
    they take part in attention and in the mean pooling like any other position.
    """

    def __init__(self, enc_hidden: int, llm_hidden: int, added_tokens: int = 1):
        super().__init__()
        self.enc_hidden, self.llm_hidden, self.added_tokens = enc_hidden, llm_hidden, added_tokens
        self.ff = nn.Sequential(
            nn.Linear(enc_hidden, enc_hidden), nn.ReLU(), nn.Linear(enc_hidden, llm_hidden)
        )
        # the authors' initialisation: standard normal rows; the LLM's own input embeddings
        # have a much smaller scale, so scale them like a freshly initialised embedding instead
        self.added = nn.Parameter(torch.randn(added_tokens, llm_hidden) * 0.02)

    def forward(
        self, states: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(`[batch, seq + k, llm_hidden]` inputs, `[batch, seq + k]` attention mask).

        The added tokens go right after each text's last real token, not after the padding, so
        a text's sequence is the same whatever it is batched with (padding stays at the end).
        """
        x = self.ff(states)
        b, n, _ = x.shape
        k = self.added_tokens
        if k == 0:
            return x, mask
        out = torch.cat([x, x.new_zeros(b, k, x.shape[-1])], dim=1)
        new_mask = torch.cat([mask, mask.new_zeros(b, k)], dim=1)
        lengths = mask.sum(dim=1)  # [batch] real tokens per text (right padding)
        pos = lengths[:, None] + torch.arange(k, device=x.device)[None, :]  # [batch, k]
        rows = torch.arange(b, device=x.device)[:, None].expand(b, k)
        out = out.index_put((rows, pos), self.added.to(x.dtype)[None].expand(b, k, -1))
        new_mask = new_mask.index_put((rows, pos), new_mask.new_ones(b, k))
        return out, new_mask


class ProjectionHead(nn.Module):
    """Pooled `[batch, llm_hidden]` -> `[batch, dim]`: Linear -> ReLU -> Linear (contrastive loss)."""

    def __init__(self, hidden: int, dim: int | None = None):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, dim or hidden)
        )

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.net(pooled)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of `hidden` `[batch, seq, h]` over positions where `mask` `[batch, seq]` is 1."""
    m = mask.to(hidden.dtype)[..., None]
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)


def decoder_config(llm):
    """The config object the decoder's mask builder reads (the same object for Llama/Mistral/Qwen2)."""
    return llm.get_decoder().config if hasattr(llm, "get_decoder") else llm.config


def set_bidirectional(llm, on: bool) -> None:
    """Make every position of a HF decoder attend to every position (`on`) or only to earlier ones.

    transformers 5 builds the attention mask from `config.is_causal`: False gives a padding-only
    (bidirectional) mask, for sdpa and eager alike. Setting `self_attn.is_causal` of each layer is
    not enough: eager attention takes the causal mask the model builds from the config.
    """
    decoder_config(llm).is_causal = not on
    llm.config.is_causal = not on


def is_bidirectional(llm) -> bool:
    return not getattr(decoder_config(llm), "is_causal", True)


@contextmanager
def attention(llm, bidirectional: bool) -> Iterator[None]:
    """Run a block with the decoder's attention bidirectional or causal, then restore it."""
    before = is_bidirectional(llm)
    set_bidirectional(llm, bidirectional)
    try:
        yield
    finally:
        set_bidirectional(llm, before)


def linear_names(module: nn.Module) -> list[str]:
    """Leaf names of every `nn.Linear` inside `module` (LoRA's "every linear layer")."""
    return sorted({n.split(".")[-1] for n, m in module.named_modules() if isinstance(m, nn.Linear)})
