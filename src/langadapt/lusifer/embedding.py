"""What every trainable embedding model of this package shares: the forward modes, `encode()`.

Two models derive from `EmbeddingModel`: `LusiferModel` (encoder -> connector -> LLM) and
`DecoderEmbedder` (the LLM alone, reading its own tokens). Each brings `tokenize(texts, what)`
(formatted texts -> `input_ids`/`attention_mask` `[b, n]`), `embed(input_ids, attention_mask)`
(-> pooled `[b, hidden]`), `hidden_size`, a `head` (`ProjectionHead`), `settings` (`Settings`)
and `truncations`; the stages, the folder, sentence-transformers and MTEB only use these.
"""

from __future__ import annotations

import torch
from torch import nn

from langadapt.lusifer import text


class EmbeddingModel(nn.Module):
    """The shared half of an embedding model: forward modes, finalize and encode."""

    hidden_size: int

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def dim(self) -> int:
        if self.settings.output == "projected":
            return self.settings.projection_dim or self.hidden_size
        return self.hidden_size

    def forward(self, mode: str = "embed", **batch):
        """`mode='embed'`: pooled `[b, h]`; `'project'`: head(pooled) `[b, dim]` (the loss's)."""
        if mode == "embed":
            return self.embed(batch["input_ids"], batch["attention_mask"])
        if mode == "project":
            return self.head(self.embed(batch["input_ids"], batch["attention_mask"]))
        raise ValueError(f"unknown mode {mode!r}")

    def finalize(self, pooled: torch.Tensor) -> torch.Tensor:
        """What encode() returns for pooled vectors: projected or not, normalised or not."""
        out = self.head(pooled) if self.settings.output == "projected" else pooled
        return nn.functional.normalize(out, dim=-1) if self.settings.normalize else out

    @torch.no_grad()
    def encode(
        self,
        texts: list[str] | str,
        *,
        kind: text.Kind = "query",
        instruction: str | None = None,
        prompt: str | None = None,
        batch_size: int = 32,
    ) -> torch.Tensor:
        """Embed texts: `[len(texts), dim]` float32 on the CPU, in the order given.

        Args:
            texts: raw texts (or one text).
            kind: 'query' or 'document': which instruction format wraps the text.
            instruction: the task instruction; None = the model's default, '' = none.
            prompt: a ready prefix instead of kind + instruction (sentence-transformers').
            batch_size: texts per forward pass (sorted by length to pad little).
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        if prompt is None:
            ins = self.settings.instruction if instruction is None else instruction
            prompt = text.prompt(kind, ins)
        formatted = [prompt + t for t in texts]
        order = sorted(range(len(formatted)), key=lambda i: -len(formatted[i]))
        was_training = self.training
        self.eval()
        out = torch.empty(len(texts), self.dim)
        try:
            for lo in range(0, len(order), batch_size):
                idx = order[lo : lo + batch_size]
                batch = self.tokenize([formatted[i] for i in idx])
                batch = {k: v.to(self.device) for k, v in batch.items()}
                out[idx] = self.finalize(self.embed(**batch)).float().cpu()
        finally:
            self.train(was_training)
        return out
