"""LUSIFER as a sentence-transformers 6 module: a saved folder is a `SentenceTransformer`.

The folder's `modules.json` names one module, `LusiferST`, whose class lives in this installed
package; the folder holds no code. sentence-transformers 6 imports a module class from outside
its own namespace only with `trust_remote_code=True`, even from an installed package, so:

    SentenceTransformer(path, trust_remote_code=True)   # imports langadapt.lusifer.st
    langadapt.lusifer.st.sentence_transformer(path)     # the same model, no flag needed

Both apply the prompts of `config_sentence_transformers.json` (`encode_query` and
`encode_document` use the LUSIFER query and document formats with the model's instruction).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from langadapt.errors import require

_st = require("sentence_transformers", "lusifer", "LUSIFER's sentence-transformers module")
from sentence_transformers.base.modules.input_module import InputModule  # noqa: E402


class LusiferST(InputModule):
    """A whole `LusiferModel` (or `DecoderEmbedder`) as the only module of a SentenceTransformer."""

    save_in_root = True

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.tokenizer = model.tokenizer

    def preprocess(self, inputs, prompt: str | None = None, **kwargs) -> dict[str, Any]:
        """Encoder inputs `[batch, seq]` for texts, with the prompt (LUSIFER's format) before each."""
        texts = [prompt + t for t in inputs] if prompt else list(inputs)
        return self.model.tokenize(texts, what="SentenceTransformer.encode")

    def forward(self, features: dict[str, torch.Tensor], **kwargs) -> dict[str, torch.Tensor]:
        pooled = self.model.embed(features["input_ids"], features["attention_mask"])
        features["sentence_embedding"] = self.model.finalize(pooled)
        return features

    def get_embedding_dimension(self) -> int:
        return self.model.dim

    get_sentence_embedding_dimension = get_embedding_dimension

    @property
    def max_seq_length(self) -> int:
        return self.model.truncations.limit

    def save(self, output_path: str, *args, **kwargs) -> None:
        from langadapt.lusifer.folder import save

        save(self.model, Path(output_path))

    @classmethod
    def load(
        cls,
        model_name_or_path: str,
        subfolder: str = "",
        token: bool | str | None = None,
        cache_folder: str | None = None,
        revision: str | None = None,
        local_files_only: bool = False,
        **kwargs,
    ) -> LusiferST:
        from langadapt.lusifer.folder import load

        path = cls.load_dir_path(
            model_name_or_path,
            subfolder=subfolder,
            token=token,
            cache_folder=cache_folder,
            revision=revision,
            local_files_only=local_files_only,
        )
        return cls(load(Path(path)))


def sentence_transformer(folder: Path, *, device: str | None = None):
    """A `SentenceTransformer` of a saved LUSIFER folder, built without `trust_remote_code`.

    The module comes from this package (already imported: nothing in the folder runs); the
    prompts and similarity function come from the folder's `config_sentence_transformers.json`.
    """
    import json

    from sentence_transformers import SentenceTransformer

    folder = Path(folder)
    cfg = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    return SentenceTransformer(
        modules=[LusiferST.load(str(folder))],
        prompts=cfg.get("prompts"),
        default_prompt_name=cfg.get("default_prompt_name"),
        similarity_fn_name=cfg.get("similarity_fn_name"),
        device=device,
    )
