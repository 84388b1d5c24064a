"""Scoring methods of `langadapt eval`, registered under the kind "eval-method".

A method scores a list of prepared items with one model and returns one result per item, in
order, holding at least `pred`. What it is called with is its `needs` trait
(`registry.TRAITS["eval-method"]`):

- "loglik": `method(lm, items, *, options, batch_size)`, `lm` the local `evaluate.lm.LM`, each
  item with its rendered `context` text;
- "backend": `method(backend, items, *, options, batch_size, tokenizer)`, `backend` an
  `llm.backend.Backend` (a local model or an endpoint), each item with its `prompt`
  (`llm.backend.Prompt`), `tokenizer` the evaluated model's.

Its other traits say what its items carry, which task-file options it takes, and how its task's
figures are validated and summarised. Importing this package registers every method.
"""

from __future__ import annotations

from langadapt.evaluate.methods import bits_per_byte, generate, loglik, next_token  # noqa: F401
