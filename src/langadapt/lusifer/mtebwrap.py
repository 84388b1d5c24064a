"""LUSIFER as an MTEB v2 model: `mteb.evaluate(LusiferMTEB(model), tasks)`.

MTEB v2 calls `encode(inputs, *, task_metadata, hf_split, hf_subset, prompt_type)` with a
DataLoader of batches (`batch["text"]`, a list of texts) and wants one row per text. The
instruction of a task is, in this order: the wrapper's `instructions[task name]`, then
`instructions[task type]`, then the task's own prompt (`TaskMetadata.prompt`), then MTEB's
default prompt of the task's kind, then the model's default instruction. Queries (and texts of
symmetric tasks: STS, classification, clustering) are read in LUSIFER's query format,
documents (`prompt_type='document'`) in its document format (`text.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from langadapt.errors import require

_mteb = require("mteb", "lusifer", "LUSIFER's MTEB model")
from mteb.models.abs_encoder import AbsEncoder  # noqa: E402
from mteb.models.model_meta import ModelMeta  # noqa: E402
from mteb.types import PromptType  # noqa: E402


def model_meta(model, name: str, revision: str | None = None) -> ModelMeta:
    """An MTEB `ModelMeta` describing a LUSIFER model (sizes and limits from the model)."""
    if "/" not in name:
        name = f"langadapt/{name}"
    return ModelMeta(
        loader=None,
        name=name,
        revision=revision or "local",
        release_date=None,
        languages=None,
        n_parameters=sum(p.numel() for p in model.parameters()),
        memory_usage_mb=None,
        max_tokens=model.truncations.limit,
        embed_dim=model.dim,
        license=None,
        open_weights=True,
        public_training_code=None,
        public_training_data=None,
        framework=["PyTorch"],
        reference=None,
        similarity_fn_name="cosine",
        use_instructions=True,
        training_datasets=None,
        adapted_from=None,
    )


class LusiferMTEB(AbsEncoder):
    """An MTEB v2 encoder around a `LusiferModel` (or the path of a saved one)."""

    def __init__(
        self,
        model,
        *,
        name: str | None = None,
        revision: str | None = None,
        instructions: dict[str, str] | None = None,
        batch_size: int = 32,
    ):
        from langadapt.lusifer.folder import load

        if isinstance(model, (str, Path)):
            name = name or Path(model).name
            model = load(Path(model))
        self.model = model.eval()
        self.prompts_dict = dict(instructions or {})
        self.batch_size = batch_size
        self.mteb_model_meta = model_meta(model, name or "lusifer", revision)

    def instruction(self, task_metadata, prompt_type: PromptType | None) -> str:
        """The task's instruction (see the module docstring for the order)."""
        found = self.get_task_instruction(task_metadata, prompt_type)
        return found if found else self.model.settings.instruction

    def encode(
        self,
        inputs,
        *,
        task_metadata,
        hf_split: str,
        hf_subset: str,
        prompt_type: PromptType | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """`[n_texts, dim]` float32 embeddings of every text in the DataLoader `inputs`."""
        texts: list[str] = []
        for batch in inputs:
            texts.extend(batch["text"])
        kind = "document" if prompt_type == PromptType.document else "query"
        instruction = self.instruction(task_metadata, prompt_type)
        out = self.model.encode(
            texts, kind=kind, instruction=instruction, batch_size=self.batch_size
        )
        return out.numpy()
