"""Which parameters a training stage updates, and the optimizer groups that follow.

- `all`: every parameter (weight decay on matrices only, never on norms and biases).
- `embeddings` (LEP, arXiv 2412.21140 2.4.1): only the input embeddings `[vocab, hidden]` and
  the output head `[vocab, hidden]`; every layer and norm is frozen. A tied model has one such
  matrix and stays tied.
- `new-rows`: the same two matrices, but only the rows of newly added tokens move. A gradient
  hook zeroes the gradient of the old rows, so AdamW's moments of those rows stay zero and its
  update there is exactly zero; weight decay, which AdamW would apply to the whole matrix, is
  switched off in the optimizer and applied to the new rows only (`decay_rows`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from langadapt.errors import InputError


@dataclass
class Trainable:
    """Optimizer groups, plus the row masks of `new-rows` training."""

    groups: list[dict]
    row_masks: list[tuple] = field(default_factory=list)  # (param, bool mask [vocab]) pairs
    weight_decay: float = 0.0

    @property
    def n_params(self) -> int:
        return sum(p.numel() for g in self.groups for p in g["params"])


def vocab_matrices(model) -> list:
    """The input embedding and output head weights `[vocab, hidden]`, one if they are tied."""
    out = [model.get_input_embeddings().weight]
    head = model.get_output_embeddings()
    if head is not None and all(head.weight is not p for p in out):
        out.append(head.weight)
    return out


def new_row_ids(spec: Path | int | None, vocab_size: int) -> list[int]:
    """The ids of new tokens: from an int (the first new id) or a vocab_map.json.

    A vocab_map.json may hold `new_ids` (a list of ids), `first_new_id` or `old_vocab_size`
    (every id from there on is new), or `added` / `new_tokens` (a {token: id} mapping).
    """
    if spec is None:
        raise InputError(
            "--train new-rows needs to know which tokens are new: pass --new-rows-from "
            "vocab_map.json or --first-new-id N"
        )
    if isinstance(spec, int):
        first = spec
        ids = list(range(first, vocab_size))
    else:
        path = Path(spec)
        if not path.is_file():
            raise InputError(f"--new-rows-from {path} does not exist")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"--new-rows-from {path} is not valid JSON ({exc})") from None
        if "new_ids" in data:
            ids = [int(i) for i in data["new_ids"]]
        elif "first_new_id" in data or "old_vocab_size" in data:
            ids = list(range(int(data.get("first_new_id", data.get("old_vocab_size"))), vocab_size))
        elif isinstance(data.get("added", data.get("new_tokens")), dict):
            ids = sorted(int(i) for i in data.get("added", data.get("new_tokens")).values())
        else:
            raise InputError(
                f"--new-rows-from {path} holds none of new_ids, first_new_id, old_vocab_size, "
                f"added, new_tokens (it has: {', '.join(data)})"
            )
    bad = [i for i in ids if not 0 <= i < vocab_size]
    if bad or not ids:
        raise InputError(
            f"the new token ids ({len(ids)} given, e.g. {bad[:3] or ids[:3]}) must be a non-empty "
            f"set of rows of the model's {vocab_size}-row embedding matrix"
        )
    return ids


def select(model, train: str, *, weight_decay: float, new_ids: list[int] | None = None):
    """Freeze what `train` does not update and return the optimizer groups (`Trainable`)."""
    import torch

    if train == "all":
        params = [p for p in model.parameters() if p.requires_grad]
        decay = [p for p in params if p.ndim >= 2]
        rest = [p for p in params if p.ndim < 2]
        return Trainable(
            [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]
        )
    for p in model.parameters():
        p.requires_grad_(False)
    mats = vocab_matrices(model)
    for p in mats:
        p.requires_grad_(True)
    if train == "embeddings":
        return Trainable([{"params": mats, "weight_decay": weight_decay}])
    masks = []
    for p in mats:
        mask = torch.zeros(p.shape[0], dtype=torch.bool, device=p.device)
        mask[torch.tensor(new_ids, device=p.device)] = True
        keep = mask.to(p.dtype)[:, None]
        p.register_hook(lambda g, keep=keep: g * keep.to(g.device, g.dtype))
        masks.append((p, mask))
    # decay handled by `decay_rows`, so that old rows are never touched
    return Trainable([{"params": mats, "weight_decay": 0.0}], masks, weight_decay)


def decay_rows(trainable: Trainable, lr: float) -> None:
    """Decoupled weight decay (AdamW's `p *= 1 - lr * wd`) on the new rows only."""
    import torch

    if not trainable.row_masks or not trainable.weight_decay:
        return
    with torch.no_grad():
        for p, mask in trainable.row_masks:
            p[mask] *= 1 - lr * trainable.weight_decay
