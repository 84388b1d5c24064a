"""Hugging Face model and tokenizer folders: checks, loading, and architecture facts.

Architecture facts are what checkpoint surgery needs without loading a model: the tensor names
of the input embeddings and the output head, and whether they are tied. They are read from
`config.json` alone. Pickle checkpoints and `trust_remote_code` are refused unless the caller
passes `allow_pickle=True` (a pickle can run arbitrary code when loaded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langadapt.errors import ModelError, TokenizerError

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer_config.json")


@dataclass(frozen=True)
class ArchFacts:
    """Where a causal LM (or encoder) keeps its vocabulary-sized matrices."""

    model_type: str
    input_key: str  # e.g. "model.embed_tokens.weight", shape [vocab, hidden]
    output_key: str | None  # e.g. "lm_head.weight", shape [vocab, hidden]; None for encoders
    tied: bool
    hidden_size: int
    vocab_size: int


# model_type -> (input embedding tensor name, output head tensor name)
_EMBEDDING_KEYS: dict[str, tuple[str, str | None]] = {
    "llama": ("model.embed_tokens.weight", "lm_head.weight"),
    "mistral": ("model.embed_tokens.weight", "lm_head.weight"),
    "qwen2": ("model.embed_tokens.weight", "lm_head.weight"),
    "qwen3": ("model.embed_tokens.weight", "lm_head.weight"),
    "gemma": ("model.embed_tokens.weight", "lm_head.weight"),
    "gemma2": ("model.embed_tokens.weight", "lm_head.weight"),
    "phi3": ("model.embed_tokens.weight", "lm_head.weight"),
    "xlm-roberta": ("roberta.embeddings.word_embeddings.weight", "lm_head.decoder.weight"),
}
SUPPORTED_TYPES = tuple(_EMBEDDING_KEYS)


def read_config(folder: Path) -> dict[str, Any]:
    """The `config.json` of a model folder, or ModelError naming the folder."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise ModelError(f"{folder} is not a Hugging Face model folder (no config.json)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"{path} is not valid JSON: {exc}") from None


def checkpoint_dtype(folder: Path, save_dtype: str = "auto") -> str:
    """The dtype to save in: `save_dtype`, or for 'auto' the float dtype the folder's config
    declares (float32 when it declares none or something else)."""
    if save_dtype != "auto":
        return save_dtype
    cfg = read_config(folder)
    dtype = cfg.get("dtype") or cfg.get("torch_dtype") or "float32"
    return dtype if dtype in ("float32", "bfloat16", "float16") else "float32"


def weight_files(folder: Path, allow_pickle: bool = False) -> list[Path]:
    """The weight files of a model folder: safetensors, or pickles only when allowed."""
    folder = Path(folder)
    st = sorted(folder.glob("*.safetensors"))
    if st:
        return st
    pickles = sorted(folder.glob("*.bin")) + sorted(folder.glob("*.pt"))
    if pickles and not allow_pickle:
        raise ModelError(
            f"{folder} holds only pickle checkpoints ({pickles[0].name}), which can run code "
            "when loaded; convert them to safetensors, or pass --allow-pickle if you trust them"
        )
    if not pickles:
        raise ModelError(f"{folder} holds no weights (*.safetensors or *.bin)")
    return pickles


def arch_facts(folder: Path) -> ArchFacts:
    """Architecture facts of a model folder, from config.json (and the weight index)."""
    cfg = read_config(folder)
    if cfg.get("auto_map"):
        raise ModelError(
            f"{folder} needs trust_remote_code (config.json has auto_map), which langadapt "
            "refuses; use a model whose architecture ships with transformers"
        )
    mtype = cfg.get("model_type", "")
    text_cfg = cfg.get("text_config", cfg)
    if mtype not in _EMBEDDING_KEYS:
        raise ModelError(
            f"{folder}: model_type '{mtype}' is not supported; supported: "
            f"{', '.join(SUPPORTED_TYPES)}"
        )
    inp, outp = _EMBEDDING_KEYS[mtype]
    tied = bool(text_cfg.get("tie_word_embeddings", mtype in ("gemma", "gemma2", "xlm-roberta")))
    if mtype == "xlm-roberta" and not _has_tensor(folder, outp):
        outp = None  # a bare encoder (XLMRobertaModel) has no LM head
        inp = "embeddings.word_embeddings.weight" if not _has_tensor(folder, inp) else inp
    return ArchFacts(
        mtype,
        inp,
        None if tied and mtype != "xlm-roberta" else outp,
        tied,
        int(text_cfg["hidden_size"]),
        int(text_cfg["vocab_size"]),
    )


def tensor_names(folder: Path) -> list[str]:
    """Names of all tensors in a safetensors checkpoint (single file or sharded)."""
    folder = Path(folder)
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        return list(json.loads(index.read_text())["weight_map"])
    from safetensors import safe_open

    names: list[str] = []
    for f in sorted(folder.glob("*.safetensors")):
        with safe_open(f, "pt") as h:
            names += list(h.keys())
    return names


def _has_tensor(folder: Path, name: str) -> bool:
    try:
        return name in tensor_names(folder)
    except Exception:
        return False


def has_tokenizer(folder: Path) -> bool:
    folder = Path(folder)
    return any((folder / f).is_file() for f in TOKENIZER_FILES[:3])


def load_tokenizer(folder: Path):
    """A fast Hugging Face tokenizer from a folder, or TokenizerError naming the folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TokenizerError(f"tokenizer folder {folder} does not exist")
    if not has_tokenizer(folder):
        raise TokenizerError(
            f"{folder} holds no tokenizer (no tokenizer.json, tokenizer.model or vocab.json); "
            "pass a folder written by save_pretrained"
        )
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
    except Exception as exc:  # transformers raises many types for broken folders
        raise TokenizerError(f"cannot load the tokenizer in {folder}: {exc}") from None


def load_backend_tokenizer(folder: Path):
    """(tokenizers.Tokenizer, unk id or None) of a tokenizer folder, without transformers if it can.

    Embedding surgery needs only the vocabulary, the added tokens and the model's own split, and
    importing transformers costs more than the rest of a 1B `langadapt init` (docs/benchmarks.md).
    tokenizer.json is read directly when tokenizer_config.json declares nothing it lacks (every
    special token string in its vocabulary, every `added_tokens_decoder` entry the same there),
    since transformers would then build the same thing; otherwise transformers loads the folder.
    """
    folder = Path(folder)
    cfg_path, tj = folder / "tokenizer_config.json", folder / "tokenizer.json"
    if tj.is_file():
        from tokenizers import Tokenizer

        try:
            backend = Tokenizer.from_file(str(tj))
            cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
        except Exception:  # a broken file: transformers below names the problem
            backend, cfg = None, {}
        if backend is not None and _config_agrees(backend, cfg):
            unk = _token_content(cfg.get("unk_token")) or getattr(backend.model, "unk_token", None)
            return backend, backend.token_to_id(unk) if unk else None
    tok = load_tokenizer(folder)
    return tok.backend_tokenizer, tok.unk_token_id


# tokenizer_config.json keys whose token transformers adds to the vocabulary when it is missing
SPECIAL_KEYS = (
    *("bos_token", "eos_token", "unk_token", "pad_token"),
    *("sep_token", "cls_token", "mask_token"),
)


def _token_content(value) -> str | None:
    return value.get("content") if isinstance(value, dict) else value


def _config_agrees(backend, cfg: dict) -> bool:
    """Whether tokenizer_config.json adds nothing to tokenizer.json (see load_backend_tokenizer)."""
    vocab = backend.get_vocab(with_added_tokens=True)
    added = backend.get_added_tokens_decoder()
    for i, entry in (cfg.get("added_tokens_decoder") or {}).items():
        have = added.get(int(i))
        if (
            have is None
            or have.content != entry.get("content")
            or have.special != bool(entry.get("special"))
        ):
            return False
    declared = [_token_content(cfg.get(k)) for k in SPECIAL_KEYS]
    for key in ("additional_special_tokens", "extra_special_tokens"):
        extra = cfg.get(key) or []
        declared += [
            _token_content(t) for t in (extra.values() if isinstance(extra, dict) else extra)
        ]
    return all(t in vocab for t in declared if isinstance(t, str))


def load_causal_lm(folder: Path, *, dtype: str = "auto", allow_pickle: bool = False):
    """An `AutoModelForCausalLM` from a local folder (safetensors unless `allow_pickle`)."""
    import torch
    from transformers import AutoModelForCausalLM

    folder = Path(folder)
    read_config(folder)
    files = weight_files(folder, allow_pickle)
    torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
    try:
        return AutoModelForCausalLM.from_pretrained(
            str(folder),
            dtype=torch_dtype,
            trust_remote_code=False,
            use_safetensors=files[0].suffix == ".safetensors",
        )
    except Exception as exc:
        raise ModelError(f"cannot load the model in {folder}: {exc}") from None
