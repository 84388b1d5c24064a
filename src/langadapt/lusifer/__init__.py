"""LUSIFER (Man et al., arXiv 2501.00874): multilingual embeddings from an English-centric LLM.

A multilingual encoder (XLM-R family) reads the text; a connector maps each of its token states
into the LLM's input-embedding space and appends a few trainable tokens; the LLM, with its
attention made bidirectional, reads that sequence as `inputs_embeds`, and the mean of its final
hidden states over the non-padding positions is the embedding. Training has two stages:
alignment (`align.py`, LLM frozen) and contrastive fine-tuning (`finetune.py`).

`LusiferModel.load(folder)` loads a saved model; `encode()` embeds texts. The same folder is a
sentence-transformers model (`st.py`) and has an MTEB v2 wrapper (`mtebwrap.py`).
"""

from __future__ import annotations

from langadapt.lusifer.model import LusiferModel

__all__ = ["LusiferModel"]
