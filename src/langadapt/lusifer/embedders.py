"""Every embedding model `lusifer eval` reads, behind one `encode(texts, kind, instruction)`.

- a LUSIFER folder (`lusifer.json`): `LusiferModel.encode` (encoder -> connector -> LLM), or
  the tuned LLM alone (`DecoderEmbedder`, `lusifer finetune` of a plain decoder folder);
- a plain HF decoder folder (Llama, Mistral, Qwen2, ...: `*ForCausalLM` in config.json): the
  "base alone" baseline, the mean of its final hidden states over the non-padding positions;
- a plain HF encoder folder (XLM-R, BERT, ...): the mean of its final hidden states too.

Plain models read the same instruction formats as LUSIFER (`text.prompt`: query
`"{instruction}.\\n{text}"`, document `"{instruction}. Candidate:\\n{text}"`), so a comparison
differs only in the model. Every embedding is L2-normalised, float32, on the CPU, `[n, dim]`.
A plain decoder reads causally unless `bidirectional` is set (the LLM without LUSIFER's
training; bidirectional attention untrained usually hurts, LLM2Vec 2024).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from langadapt.errors import ModelError
from langadapt.lusifer import text
from langadapt.lusifer.decoder_embedder import DECODERS
from langadapt.lusifer.layers import attention, mean_pool


class MeanPooled:
    """A plain HF model (decoder or encoder) used as an embedding model by mean pooling."""

    def __init__(
        self,
        module: nn.Module,
        tokenizer,
        *,
        decoder: bool,
        instruction: str,
        bidirectional: bool = False,
        max_length: int = 512,
    ):
        self.module, self.tokenizer, self.decoder = module.eval(), tokenizer, decoder
        self.instruction, self.bidirectional = instruction, bidirectional
        self.notes = [n for n in (text.ensure_pad(tokenizer, "the model's tokenizer"),) if n]
        self.truncations = text.Truncations(text.max_tokens(tokenizer, module.config, max_length))
        self.dim = module.config.hidden_size

    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def to(self, device) -> MeanPooled:
        self.module.to(device)
        return self

    def parameters(self):
        return self.module.parameters()

    def hidden(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Final hidden states `[b, n, dim]` of tokenized texts `[b, n]`."""
        if not self.decoder:
            return self.module(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        with attention(self.module, self.bidirectional):
            return self.module.get_decoder()(
                input_ids=input_ids, attention_mask=attention_mask, use_cache=False
            ).last_hidden_state

    @torch.no_grad()
    def encode(
        self,
        texts: list[str],
        *,
        kind: text.Kind = "query",
        instruction: str | None = None,
        batch_size: int = 32,
    ) -> torch.Tensor:
        """L2-normalised mean-pooled embeddings `[len(texts), dim]` (float32, CPU), in order."""
        prefix = text.prompt(kind, self.instruction if instruction is None else instruction)
        formatted = [prefix + t for t in texts]
        order = sorted(range(len(formatted)), key=lambda i: -len(formatted[i]))
        out = torch.empty(len(texts), self.dim)
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            batch = text.tokenize(
                self.tokenizer, [formatted[i] for i in idx], self.truncations, "encode"
            )
            batch = {k: v.to(self.device) for k, v in batch.items()}
            pooled = mean_pool(self.hidden(**batch), batch["attention_mask"])
            out[idx] = nn.functional.normalize(pooled.float(), dim=-1).cpu()
        return out


def kind_of(folder: Path) -> str:
    """'lusifer', 'tuned-decoder' (a saved `DecoderEmbedder`), 'decoder' or 'encoder': what
    the folder holds (ModelError if none)."""
    from langadapt.models import read_config

    folder = Path(folder)
    if (folder / "lusifer.json").is_file():
        from langadapt.lusifer.folder import read_settings

        arch = read_settings(folder).get("architecture", "lusifer")
        return "lusifer" if arch == "lusifer" else "tuned-decoder"
    if not (folder / "config.json").is_file():
        raise ModelError(
            f"--model {folder} is neither a LUSIFER folder (lusifer.json) nor a Hugging Face "
            "model folder (config.json); pass the output of `lusifer finetune` or an HF folder"
        )
    cfg = read_config(folder)
    archs = cfg.get("architectures") or []
    if cfg.get("model_type") in DECODERS or any(a.endswith("ForCausalLM") for a in archs):
        return "decoder"
    return "encoder"


def load_embedder(
    folder: Path,
    *,
    instruction: str | None = None,
    bidirectional: bool = False,
    device: str | None = None,
):
    """The embedding model in `folder` (see the module docstring), in eval mode on `device`.

    `instruction` replaces a plain model's default ("Given a query, retrieve relevant
    passages", LUSIFER's); a LUSIFER folder keeps its own unless one is given per call.
    """
    from langadapt.lusifer.folder import load
    from langadapt.lusifer.model import DEFAULT_INSTRUCTION, load_encoder
    from langadapt.models import load_causal_lm, load_tokenizer

    kind = kind_of(folder)
    if kind in ("lusifer", "tuned-decoder"):
        model = load(Path(folder))
        if instruction is not None:
            model.settings.instruction = instruction
    elif kind == "decoder":
        lm = load_causal_lm(Path(folder), dtype="float32")
        lm.config.use_cache = False
        model = MeanPooled(
            lm,
            load_tokenizer(Path(folder)),
            decoder=True,
            instruction=DEFAULT_INSTRUCTION if instruction is None else instruction,
            bidirectional=bidirectional,
        )
    else:
        model = MeanPooled(
            load_encoder(Path(folder)),
            load_tokenizer(Path(folder)),
            decoder=False,
            instruction=DEFAULT_INSTRUCTION if instruction is None else instruction,
        )
    if device:
        model = model.to(device)
    return model
