"""Masked language modelling for the zoo's encoder, on the shared training engine.

BERT/XLM-R objective (Devlin et al., arXiv 1810.04805, 3.1; Conneau et al., arXiv 1911.02116):
15% of the non-special tokens of each sentence are chosen; of those 80% become `<mask>`, 10% a
random token, 10% stay; the loss is cross-entropy on the chosen positions only. Masks are drawn
afresh for every batch ("dynamic masking", RoBERTa arXiv 1907.11692, 4.1) from one seeded
generator, which also draws the data order, so a run is reproducible on a CPU.

The batches and their masks are drawn before training, in the order they are used, and
`engine` walks them as given (`order="given"`) with `mlm_loss` as its loss: the engine
owns the optimizer step, clipping, the schedule and the metrics, as for the causal stages. No
checkpoints: the zoo's encoder trains in seconds.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from langadapt import engine
from langadapt.corpus import read_json_lines
from langadapt.engine.params import Trainable

MASK_SHARE = 0.15


def mask_tokens(ids, special, mask_id: int, vocab: int, gen):
    """(inputs, labels) of a `[batch, seq]` id tensor; labels are -100 where nothing is asked."""
    import torch

    labels = ids.clone()
    chosen = (torch.rand(ids.shape, generator=gen) < MASK_SHARE) & ~special
    labels[~chosen] = -100
    inputs = ids.clone()
    roll = torch.rand(ids.shape, generator=gen)
    inputs[chosen & (roll < 0.8)] = mask_id
    rand = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[rand] = torch.randint(vocab, ids.shape, generator=gen)[rand]
    return inputs, labels


def masked_rows(
    tokenizer, texts: list[str], *, batches: int, batch_size: int, max_length: int, seed: int
) -> list[dict]:
    """The rows of `batches` masked micro-batches, batch after batch, in training order.

    Each row is `{input_ids, attention_mask, labels}`, each `[width]` where width is the
    longest sentence of its batch (the rows of one batch stack into `[batch_size, width]`).
    Sentences are taken from seeded permutations of `texts`, a batch may span two of them.
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    enc = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    pad = tokenizer.pad_token_id
    order: list[int] = []
    rows: list[dict] = []
    for _ in range(batches):
        while len(order) < batch_size:
            order += torch.randperm(len(enc), generator=gen).tolist()
        batch = [enc[i] for i in order[:batch_size]]
        del order[:batch_size]
        width = max(map(len, batch))
        ids = torch.full((len(batch), width), pad, dtype=torch.long)
        for row, seq in enumerate(batch):
            ids[row, : len(seq)] = torch.tensor(seq)
        special = torch.tensor(
            [tokenizer.get_special_tokens_mask(s, already_has_special_tokens=True) for s in
             [r + [pad] * (width - len(r)) for r in batch]], dtype=torch.bool
        ) | (ids == pad)  # fmt: skip
        inputs, labels = mask_tokens(ids, special, tokenizer.mask_token_id, len(tokenizer), gen)
        attention = (ids != pad).long()
        rows += [
            {"input_ids": inputs[r], "attention_mask": attention[r], "labels": labels[r]}
            for r in range(len(batch))
        ]
    return rows


def mlm_loss(model, batch: dict):
    """The engine's loss: mean cross-entropy over the masked positions, and their number."""
    loss = model(**batch).loss
    return loss, (batch["labels"] != -100).sum()


def _stack(rows: list[dict]) -> dict:
    import torch

    return {k: torch.stack([r[k] for r in rows]) for k in rows[0]}


def train_mlm(
    model,
    tokenizer,
    texts: list[str],
    *,
    steps: int,
    lr: float,
    batch_size: int,
    max_length: int,
    warmup_steps: int,
    seed: int,
) -> dict:
    """Train `model` (an XLMRobertaForMaskedLM) in place; returns {final_loss, steps, ...}.

    AdamW (betas 0.9/0.98, weight decay 0.01 on every weight, RoBERTa's), a cosine schedule
    with `warmup_steps` (at most half the run), gradients clipped to norm 1.
    """
    accelerator = engine.make_accelerator("no", 1)
    rows = masked_rows(
        tokenizer,
        texts,
        batches=steps * accelerator.num_processes,  # one batch per step per process
        batch_size=batch_size,
        max_length=max_length,
        seed=seed,
    )
    sched = engine.Schedule(
        lr=lr,
        batch_size=batch_size,
        max_steps=steps,
        warmup_steps=min(warmup_steps, steps // 2),
        weight_decay=0.01,
        betas=(0.9, 0.98),
        max_grad_norm=1.0,
        seed=seed,
        save_every=0,
    )
    trainable = Trainable([{"params": list(model.parameters())}])  # decay: sched.weight_decay
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="langadapt-mlm-") as work:
        _, model = engine.train(
            model,
            rows,
            _stack,
            trainable,
            sched,
            accelerator=accelerator,
            work=Path(work),
            what=f"masked LM on {len(texts)} sentences",
            loss_fn=mlm_loss,
            order="given",
        )
        metrics = read_json_lines(Path(work) / engine.METRICS)
    seconds = time.perf_counter() - t0
    losses = [m["loss"] for m in metrics]
    tail = losses[-max(1, steps // 10) :]
    n_tok = sum(int(r["attention_mask"].sum()) for r in rows[: steps * batch_size])
    return {
        "steps": steps,
        "final_loss": round(sum(tail) / len(tail), 4),
        "first_loss": round(losses[0], 4),
        "tokens_per_s": round(n_tok / max(1e-9, seconds), 1),
        "model": accelerator.unwrap_model(model),
    }


def save(model, tokenizer, out: Path) -> Path:
    out = Path(out)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out
