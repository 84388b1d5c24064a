"""Tokenizer facts shared by the stages (core layer, below vocab/, init/, propagate/, evaluate/).

- `family.py`: which family a tokenizer folder is (SentencePiece or byte-level BPE, ...) and
  GPT-2's byte table.
- `convert.py`: SentencePiece models to HF tokenizer.json and back; writing HF folders.
- `metrics.py`: symbols per token, byte fallback and round trip of a tokenizer on texts.
- `mapping.py`: from a new tokenizer's tokens to an old tokenizer's pieces: LEP's averaging
  matrix T, shared by `init` (which builds it) and `propagate` (whose Conversion fits on it).

Nothing here is imported by this `__init__`, so reading a family does not import torch.
"""
