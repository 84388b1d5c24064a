"""`DecoderEmbedder`: a plain LLM as a text-embedding model, the baseline LUSIFER is measured by.

The LLM reads the text with its own tokenizer, its attention made bidirectional (the same
switch as LUSIFER's LLM, `layers.attention`), and the mean of its final hidden states over the
non-padding positions is the embedding; the same projection head, instruction formats,
contrastive loss and LoRA as LUSIFER's stage 2 train it (`lusifer finetune --model` a plain HF
decoder folder). This is the LLM2Vec recipe without its MNTP step (BehnamGhader et al.,
"LLM2Vec: Large Language Models Are Secretly Powerful Text Encoders", arXiv 2404.05961):
"`base` alone, mean-pooled, same contrastive tuning on English pairs" of the LUSIFER issue.

Shapes: `input_ids` `[b, n]` -> hidden `[b, n, h]` -> pooled `[b, h]` -> head `[b, dim]`.

Saved folder (loads with `folder.load`, in `lusifer eval`, sentence-transformers and MTEB):

    lusifer.json        settings with "architecture": "decoder"
    llm/                plain HF causal-LM folder (LoRA merged) + its tokenizer
    head.safetensors    the projection head (`head.*`)
    modules.json, config_sentence_transformers.json   as in a LUSIFER folder
"""

from __future__ import annotations

from pathlib import Path

import torch

from langadapt.errors import ModelError
from langadapt.lusifer import text
from langadapt.lusifer.embedding import EmbeddingModel
from langadapt.lusifer.layers import ProjectionHead, attention, mean_pool
from langadapt.lusifer.model import Settings

ARCHITECTURE = "decoder"
HEAD_FILE = "head.safetensors"
DECODERS = ("llama", "mistral", "qwen2")


class DecoderEmbedder(EmbeddingModel):
    """An HF decoder + projection head, mean-pooled (see the module docstring)."""

    def __init__(self, llm, tokenizer, settings: Settings):
        super().__init__()
        if llm.config.model_type not in DECODERS:
            raise ModelError(
                f"the embedding LLM must be a Llama, Mistral or Qwen2 decoder, not "
                f"'{llm.config.model_type}'"
            )
        self.llm, self.llm_tokenizer, self.settings = llm, tokenizer, settings
        self.notes = [n for n in (text.ensure_pad(tokenizer, "the LLM's tokenizer"),) if n]
        self.head = ProjectionHead(llm.config.hidden_size, settings.projection_dim)
        self.truncations = text.Truncations(
            text.max_tokens(tokenizer, llm.config, settings.max_length)
        )
        self.llm_dtype = "float32"
        llm.config.use_cache = False

    @classmethod
    def build(cls, llm: Path, settings: Settings | None = None) -> DecoderEmbedder:
        """A new embedder (fresh head) from an HF decoder folder, in float32."""
        from langadapt.models import checkpoint_dtype, load_causal_lm, load_tokenizer

        model = cls(
            load_causal_lm(Path(llm), dtype="float32"),
            load_tokenizer(Path(llm)),
            settings or Settings(added_tokens=0),
        )
        model.llm_dtype = checkpoint_dtype(Path(llm))
        return model

    @property
    def hidden_size(self) -> int:
        return self.llm.config.hidden_size

    @property
    def tokenizer(self):
        return self.llm_tokenizer

    def tokenize(self, texts: list[str], what: str = "encode") -> dict:
        """The LLM's inputs for formatted texts; over-long texts are cut and counted."""
        return text.tokenize(self.llm_tokenizer, texts, self.truncations, what)

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Pooled embeddings `[b, hidden]` of tokenized texts `[b, n]`."""
        with attention(self.llm, self.settings.bidirectional):
            hidden = self.llm.get_decoder()(
                input_ids=input_ids, attention_mask=attention_mask, use_cache=False
            ).last_hidden_state
        return mean_pool(hidden, attention_mask)

    def gradient_checkpointing_enable(self, kwargs: dict | None = None) -> None:
        self.llm.gradient_checkpointing_enable(kwargs)

    def enable_input_require_grads(self) -> None:
        # the token embeddings are frozen under LoRA; checkpointed layers need inputs with grad
        self.llm.enable_input_require_grads()


def save(model: DecoderEmbedder, folder: Path) -> Path:
    """Write `model` as a folder (see the module docstring)."""
    from safetensors.torch import save_file

    from langadapt.artifacts import write_json_atomic
    from langadapt.lusifer.folder import FORMAT, SETTINGS_FILE, save_hf, sentence_transformers_files

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_hf(model.llm, model.llm_tokenizer, folder / "llm", model.llm_dtype)
    tensors = {
        f"head.{k}": v.detach().float().contiguous().cpu()
        for k, v in model.head.state_dict().items()
    }
    save_file(tensors, folder / HEAD_FILE)
    meta = {
        "format": FORMAT,
        "architecture": ARCHITECTURE,
        "settings": model.settings.as_dict(),
        "llm_hidden": model.hidden_size,
        "llm_type": model.llm.config.model_type,
        "llm_dtype": model.llm_dtype,
    }
    write_json_atomic(folder / SETTINGS_FILE, meta)
    modules, st_config = sentence_transformers_files(model.settings)
    write_json_atomic(folder / "modules.json", modules)
    write_json_atomic(folder / "config_sentence_transformers.json", st_config)
    return folder


def load(folder: Path, meta: dict) -> DecoderEmbedder:
    """The embedder saved in `folder` (`meta`: its parsed lusifer.json), float32, eval mode."""
    from safetensors.torch import load_file

    from langadapt.models import load_causal_lm, load_tokenizer

    folder = Path(folder)
    model = DecoderEmbedder(
        load_causal_lm(folder / "llm", dtype="float32"),
        load_tokenizer(folder / "llm"),
        Settings.from_dict(meta["settings"]),
    )
    model.llm_dtype = meta.get("llm_dtype", "float32")
    tensors = load_file(folder / HEAD_FILE)
    state = {k[len("head.") :]: v for k, v in tensors.items() if k.startswith("head.")}
    try:
        model.head.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ModelError(f"{folder / HEAD_FILE} does not fit lusifer.json: {exc}") from None
    return model.eval()
