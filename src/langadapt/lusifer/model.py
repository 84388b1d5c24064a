"""`LusiferModel`: multilingual encoder -> connector -> bidirectional LLM -> mean pooling.

Shapes for a batch of `b` texts of at most `n` encoder tokens, `k` added tokens:

    encoder       input_ids [b, n]           -> states  [b, n, enc_hidden]
    connector     states                      -> inputs  [b, n + k, llm_hidden]
    LLM (bidir.)  inputs_embeds               -> hidden  [b, n + k, llm_hidden]
    mean pooling  hidden, mask [b, n + k]     -> pooled  [b, llm_hidden]
    head          pooled                      -> projected [b, dim]  (contrastive loss only)

`encode()` returns the pooled vector, L2-normalised (the paper-era behaviour); `output` and
`normalize` in the settings choose the projected one or no normalisation instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

import torch

from langadapt.errors import ConfigError, ModelError
from langadapt.lusifer import text
from langadapt.lusifer.embedding import EmbeddingModel
from langadapt.lusifer.layers import Connector, ProjectionHead, attention, mean_pool
from langadapt.models import checkpoint_dtype

DEFAULT_INSTRUCTION = "Given a query, retrieve relevant passages"


@dataclass
class Settings:
    """How a LUSIFER model embeds; saved as `lusifer.json` in its folder."""

    added_tokens: int = 1  # trainable tokens after the connector output (paper: 1)
    output: Literal["pooled", "projected"] = "pooled"  # what encode() returns
    normalize: bool = True  # L2-normalise what encode() returns
    max_length: int = 512  # encoder tokens per text (capped by its position table)
    bidirectional: bool = True  # the LLM's attention when embedding
    instruction: str = DEFAULT_INSTRUCTION  # default task instruction (query and document)
    projection_dim: int | None = None  # head output size; None = the LLM's hidden size

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_dict(self) -> dict:
        return asdict(self)


def load_encoder(folder: Path, *, allow_pickle: bool = False):
    """The bare encoder (an `AutoModel`, no MLM head and no pooler) of an HF encoder folder."""
    from transformers import AutoModel

    from langadapt.models import read_config, weight_files

    cfg = read_config(folder)
    if cfg.get("auto_map"):
        raise ModelError(f"{folder} needs trust_remote_code (config.json has auto_map); refused")
    files = weight_files(folder, allow_pickle)
    kwargs = {"trust_remote_code": False, "use_safetensors": files[0].suffix == ".safetensors"}
    try:
        try:  # BERT-style encoders build a pooler LUSIFER never uses
            return AutoModel.from_pretrained(str(folder), add_pooling_layer=False, **kwargs)
        except TypeError:
            return AutoModel.from_pretrained(str(folder), **kwargs)
    except Exception as exc:
        raise ModelError(f"cannot load the encoder in {folder}: {exc}") from None


class LusiferModel(EmbeddingModel):
    """The whole LUSIFER model: its modules, both tokenizers and its settings."""

    def __init__(self, encoder, llm, enc_tokenizer, llm_tokenizer, settings: Settings):
        super().__init__()
        if llm.config.model_type not in ("llama", "mistral", "qwen2"):
            raise ModelError(
                f"LUSIFER's LLM must be a Llama, Mistral or Qwen2 decoder, not "
                f"'{llm.config.model_type}'"
            )
        if settings.added_tokens < 0:
            raise ConfigError(f"added_tokens must be 0 or more, not {settings.added_tokens}")
        self.encoder, self.llm, self.settings = encoder, llm, settings
        self.enc_tokenizer, self.llm_tokenizer = enc_tokenizer, llm_tokenizer
        self.notes = [n for n in (text.ensure_pad(enc_tokenizer, "the encoder's tokenizer"),) if n]
        enc_h, llm_h = encoder.config.hidden_size, llm.config.hidden_size
        self.connector = Connector(enc_h, llm_h, settings.added_tokens)
        self.head = ProjectionHead(llm_h, settings.projection_dim)
        limit = text.max_tokens(enc_tokenizer, encoder.config, settings.max_length)
        self.truncations = text.Truncations(limit)
        self.llm_dtype = "float32"  # the dtype the LLM is saved in (build: its checkpoint's)
        llm.config.use_cache = False

    @classmethod
    def build(
        cls,
        encoder: Path,
        llm: Path,
        settings: Settings | None = None,
        *,
        allow_pickle: bool = False,
    ) -> LusiferModel:
        """A new LUSIFER model from an HF encoder folder and an HF decoder folder (float32)."""
        from langadapt.models import load_causal_lm, load_tokenizer

        enc = load_encoder(encoder, allow_pickle=allow_pickle)
        lm = load_causal_lm(llm, dtype="float32", allow_pickle=allow_pickle)
        model = cls(enc, lm, load_tokenizer(encoder), load_tokenizer(llm), settings or Settings())
        model.llm_dtype = checkpoint_dtype(llm)
        return model

    @classmethod
    def load(cls, folder: Path) -> LusiferModel:
        """Load a saved LUSIFER folder (see `folder.py`)."""
        from langadapt.lusifer.folder import load

        return load(folder)

    def save(self, folder: Path) -> Path:
        """Write this model as a LUSIFER / sentence-transformers folder (see `folder.py`)."""
        from langadapt.lusifer.folder import save

        return save(self, folder)

    @property
    def hidden_size(self) -> int:
        return self.llm.config.hidden_size

    @property
    def tokenizer(self):
        """The tokenizer that reads the texts (the encoder's)."""
        return self.enc_tokenizer

    def gradient_checkpointing_enable(self, kwargs: dict | None = None) -> None:
        """Recompute the encoder's and the LLM's activations in the backward pass."""
        for part in (self.encoder, self.llm):
            part.gradient_checkpointing_enable(kwargs)

    def enable_input_require_grads(self) -> None:
        # the LLM's inputs are the connector's output, which requires grad already; the
        # encoder's embeddings are frozen under LoRA, so checkpointed layers need this hook
        self.encoder.enable_input_require_grads()

    # -- the forward passes (all through forward(), so DDP sees them) -----------------------

    def llm_inputs(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        """Encoder ids `[b, n]` -> the LLM's `inputs_embeds` `[b, n + k, h]` and their mask."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        x, mask = self.connector(states, attention_mask)
        return x.to(self.llm.get_input_embeddings().weight.dtype), mask

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Pooled embeddings `[b, llm_hidden]` of tokenized encoder inputs."""
        x, mask = self.llm_inputs(input_ids, attention_mask)
        with attention(self.llm, self.settings.bidirectional):
            hidden = self.llm.get_decoder()(
                inputs_embeds=x, attention_mask=mask, use_cache=False
            ).last_hidden_state
        return mean_pool(hidden, mask)

    def forward(self, mode: str = "embed", **batch):
        """`mode='embed'`/`'project'`: see `EmbeddingModel`; `'lm'`: `alignment.lm_loss`
        (stage 1's cross-entropy with the connector output as prefix)."""
        if mode == "lm":
            from langadapt.lusifer.alignment import lm_loss

            return lm_loss(self, batch, bidirectional=batch.pop("bidirectional", False))
        return super().forward(mode, **batch)

    # -- inference --------------------------------------------------------------------------

    def tokenize(self, texts: list[str], what: str = "encode") -> dict:
        """Encoder inputs for already formatted texts; over-long texts are cut and counted."""
        return text.tokenize(self.enc_tokenizer, texts, self.truncations, what)
