"""A saved LUSIFER model: one folder that `LusiferModel.load` and sentence-transformers read.

    lusifer.json                       settings, sizes, format version
    encoder/                           plain HF encoder folder (LoRA merged), its tokenizer
    llm/                               plain HF causal-LM folder (LoRA merged), its tokenizer
    connector.safetensors              connector (`connector.*`) and projection head (`head.*`)
    modules.json                       sentence-transformers: one module, `langadapt.lusifer.st.LusiferST`
    config_sentence_transformers.json  the query/document prompts, cosine similarity

Both sub-models stay ordinary HF folders, so each can also be used (or replaced) on its own.
The LLM is written in the dtype of the checkpoint it came from (`llm_dtype`), so a stage that
does not train it leaves its weights bit for bit as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

from langadapt.artifacts import write_json_atomic
from langadapt.errors import ModelError
from langadapt.lusifer import text
from langadapt.lusifer.adapters import has_lora, merged_state_dict
from langadapt.lusifer.model import LusiferModel, Settings, load_encoder

FORMAT = 1
SETTINGS_FILE = "lusifer.json"
WEIGHTS_FILE = "connector.safetensors"
ST_MODULE = "langadapt.lusifer.st.LusiferST"


def save_hf(module, tokenizer, out: Path, dtype: str) -> None:
    import torch

    state = merged_state_dict(module) if has_lora(module) else module.state_dict()
    if dtype != "float32":
        target = getattr(torch, dtype)
        state = {k: v.to(target) if v.is_floating_point() else v for k, v in state.items()}
    use_cache = getattr(module.config, "use_cache", None)
    causal = module.config.__dict__.pop("is_causal", None)  # runtime switch, not a property
    if use_cache is not None:
        module.config.use_cache = True
    before = module.config.dtype if hasattr(module.config, "dtype") else None
    module.config.dtype = dtype
    try:
        module.save_pretrained(str(out), state_dict=state)
    finally:
        module.config.dtype = before
        if use_cache is not None:
            module.config.use_cache = use_cache
        if causal is not None:
            module.config.is_causal = causal
    tokenizer.save_pretrained(str(out))


def sentence_transformers_files(settings: Settings) -> tuple[list, dict]:
    """(modules.json, config_sentence_transformers.json) contents for a LUSIFER folder."""
    from importlib import metadata

    modules = [{"idx": 0, "name": "0", "path": "", "type": ST_MODULE}]
    versions = {}
    for dist, key in (("torch", "pytorch"), ("sentence-transformers", "sentence_transformers")):
        try:
            versions[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    config = {
        "__version__": versions,
        "model_type": "SentenceTransformer",
        "prompts": {
            "query": text.prompt("query", settings.instruction),
            "document": text.prompt("document", settings.instruction),
        },
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    return modules, config


def save(
    model: LusiferModel,
    folder: Path,
    *,
    llm_dtype: str | None = None,
    encoder_dtype: str = "float32",
) -> Path:
    """Write `model` into `folder` (created; existing files are overwritten).

    A `DecoderEmbedder` (the LLM alone) is written in its own layout (`decoder_embedder.py`).
    """
    from safetensors.torch import save_file

    if not isinstance(model, LusiferModel):
        from langadapt.lusifer import decoder_embedder

        return decoder_embedder.save(model, folder)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    llm_dtype = llm_dtype or model.llm_dtype
    save_hf(model.encoder, model.enc_tokenizer, folder / "encoder", encoder_dtype)
    save_hf(model.llm, model.llm_tokenizer, folder / "llm", llm_dtype)
    tensors = {f"connector.{k}": v for k, v in model.connector.state_dict().items()}
    tensors.update({f"head.{k}": v for k, v in model.head.state_dict().items()})
    save_file(
        {k: v.detach().float().contiguous().cpu() for k, v in tensors.items()},
        folder / WEIGHTS_FILE,
    )
    write_json_atomic(
        folder / SETTINGS_FILE,
        {
            "format": FORMAT,
            "settings": model.settings.as_dict(),
            "encoder_hidden": model.encoder.config.hidden_size,
            "llm_hidden": model.llm.config.hidden_size,
            "encoder_type": model.encoder.config.model_type,
            "llm_type": model.llm.config.model_type,
            "llm_dtype": llm_dtype,
        },
    )
    modules, st_config = sentence_transformers_files(model.settings)
    write_json_atomic(folder / "modules.json", modules)
    write_json_atomic(folder / "config_sentence_transformers.json", st_config)
    return folder


def read_settings(folder: Path) -> dict:
    """The parsed `lusifer.json` of a folder, or ModelError saying it is no LUSIFER folder."""
    path = Path(folder) / SETTINGS_FILE
    if not path.is_file():
        raise ModelError(
            f"{folder} is not a LUSIFER model folder (no {SETTINGS_FILE}); pass the output of "
            "`langadapt lusifer align` or `lusifer finetune`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ModelError(f"{path} is not valid JSON: {exc}") from None
    if data.get("format") != FORMAT:
        raise ModelError(f"{path} has format {data.get('format')!r}; this langadapt reads {FORMAT}")
    return data


def load(folder: Path):
    """The model saved in `folder`, in float32, without adapters, in eval mode: a
    `LusiferModel`, or a `DecoderEmbedder` where lusifer.json says "architecture": "decoder"."""
    from safetensors.torch import load_file

    from langadapt.models import load_causal_lm, load_tokenizer

    folder = Path(folder)
    meta = read_settings(folder)
    if meta.get("architecture", "lusifer") != "lusifer":
        from langadapt.lusifer import decoder_embedder

        if meta["architecture"] != decoder_embedder.ARCHITECTURE:
            raise ModelError(
                f"{folder / SETTINGS_FILE}: unknown architecture {meta['architecture']!r}"
            )
        return decoder_embedder.load(folder, meta)
    encoder = load_encoder(folder / "encoder")
    llm = load_causal_lm(folder / "llm", dtype="float32")
    model = LusiferModel(
        encoder,
        llm,
        load_tokenizer(folder / "encoder"),
        load_tokenizer(folder / "llm"),
        Settings.from_dict(meta["settings"]),
    )
    model.llm_dtype = meta.get("llm_dtype", "float32")
    tensors = load_file(folder / WEIGHTS_FILE)
    for prefix, part in (("connector.", model.connector), ("head.", model.head)):
        state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            part.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ModelError(f"{folder / WEIGHTS_FILE} does not fit lusifer.json: {exc}") from None
    return model.eval()
