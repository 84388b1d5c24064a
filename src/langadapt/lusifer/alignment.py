"""LUSIFER stage 1's loss and batches (the stage itself is `align.py`).

The LLM is frozen; the encoder's LoRA adapters, the connector and its added tokens train. The
encoder reads a text (with an instruction, in the query format), the connector turns it into a
prefix of LLM input vectors, and the LLM, given that prefix, writes a target with teacher
forcing; the loss is the cross-entropy of the target tokens (LUSIFER 3.2):

- reconstruction: the target is the text itself ("Please reconstruct the following text.");
- completion: the encoder reads a query, the target is its passage (query -> passage).

`mask_ratio` (paper: 0.5) of the target's input tokens are replaced by a mask token, so the
LLM must take what it writes from the prefix rather than from the teacher-forced text. The
paper calls this loss autoregressive (`--attention autoregressive`, the default: causal
attention over prefix + target). The authors' code runs it with bidirectional attention and
also hides `mask_ratio` of the target positions from attention (`--attention bidirectional`).

LLM sequence per example, padding only at the end (so a text's result does not depend on what
it is batched with): `[bos] + prefix (n_real + k vectors) + target tokens`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from langadapt.lusifer import text
from langadapt.lusifer.layers import attention

if TYPE_CHECKING:
    from langadapt.lusifer.model import LusiferModel

RECONSTRUCT_INSTRUCTION = "Please reconstruct the following text"


def compact(parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]):
    """Concatenate per-example segments and move each example's real positions to the front.

    Each part is (embeds `[b, n_i, h]`, present `[b, n_i]`, attend `[b, n_i]`, labels
    `[b, n_i]`); `present` marks real positions (not padding), `attend` those other positions
    may attend to. Returns the same four, `[b, L, ...]` with `L` the longest real length,
    order within an example kept (a stable sort), padding after it.
    """
    embeds = torch.cat([p[0] for p in parts], dim=1)
    present, attend, labels = (torch.cat([p[i] for p in parts], dim=1) for i in (1, 2, 3))
    order = torch.sort((present == 0).to(torch.int8), dim=1, stable=True).indices
    length = int(present.sum(dim=1).max())
    order = order[:, :length]
    embeds = torch.gather(embeds, 1, order[..., None].expand(-1, -1, embeds.shape[-1]))
    present, attend, labels = (torch.gather(t, 1, order) for t in (present, attend, labels))
    return embeds, present, attend * present, labels.masked_fill(present == 0, -100)


def lm_loss(model: LusiferModel, batch: dict, bidirectional: bool = False):
    """Cross-entropy of the target tokens given the connector prefix: (mean, token count).

    `batch`: the encoder's `input_ids`/`attention_mask` `[b, n]`; `lm_inputs` `[b, T]` (target
    ids, masked), `lm_labels` `[b, T]` (target ids, -100 on padding), `lm_present` and
    `lm_attend` `[b, T]`; `lm_bos` `[b, 1]` when the LLM's tokenizer has a bos.
    """
    prefix, pmask = model.llm_inputs(batch["input_ids"], batch["attention_mask"])
    embed = model.llm.get_input_embeddings()
    no_label = torch.full_like(pmask, -100)
    parts = []
    if "lm_bos" in batch:
        one = torch.ones_like(batch["lm_bos"])
        parts.append((embed(batch["lm_bos"]), one, one, torch.full_like(one, -100)))
    parts.append((prefix, pmask, pmask, no_label))
    parts.append(
        (
            embed(batch["lm_inputs"]),
            batch["lm_present"],
            batch["lm_attend"],
            batch["lm_labels"],
        )
    )
    x, _, attend, labels = compact(parts)
    with attention(model.llm, bidirectional):
        logits = model.llm(inputs_embeds=x, attention_mask=attend, use_cache=False).logits
    # position t predicts the label at t + 1 (the HF causal-LM convention)
    logits, labels = logits[:, :-1].float(), labels[:, 1:]
    count = (labels != -100).sum()
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100, reduction="sum"
    )
    return loss / count.clamp(min=1), count


def mask_token_id(tokenizer) -> tuple[int, str]:
    """The id that replaces masked target tokens, and which token it is (for the manifest).

    The LLM's mask token if it has one, else unk (the authors' choice), else pad, else eos:
    decoder tokenizers rarely have a mask token, and byte-level BPEs have no unk.
    """
    for name in ("mask_token", "unk_token", "pad_token", "eos_token"):
        token_id = getattr(tokenizer, f"{name}_id", None)
        if token_id is not None:
            return token_id, f"{name} {getattr(tokenizer, name)!r}"
    return 0, "id 0"


class AlignCollate:
    """Examples `(index, instruction, source, target)` -> a batch for `lm_loss`.

    The mask of each example is drawn from a generator seeded with (seed, index), so a resumed
    run masks exactly as an uninterrupted one.
    """

    def __init__(self, model: LusiferModel, *, mask_ratio, bidirectional, max_target, seed):
        self.model, self.mask_ratio, self.bidirectional = model, mask_ratio, bidirectional
        self.max_target, self.seed = max_target, seed
        tok = model.llm_tokenizer
        self.note = text.ensure_pad(tok, "the LLM's tokenizer")
        self.mask_id, self.mask_what = mask_token_id(tok)
        self.target_truncated = 0

    def __call__(self, examples: list) -> dict:
        tok = self.model.llm_tokenizer
        sources = [text.format_text(src, "query", ins) for _, ins, src, _ in examples]
        batch = self.model.tokenize(sources, what="lusifer align (encoder inputs)")
        targets = []
        for _, _, _, target in examples:
            ids = tok(target, add_special_tokens=False)["input_ids"]
            if len(ids) + 1 > self.max_target:
                self.target_truncated += 1
                ids = ids[: self.max_target - 1]
            targets.append(ids + ([tok.eos_token_id] if tok.eos_token_id is not None else []))
        width = max(len(t) for t in targets)
        labels = torch.full((len(targets), width), -100, dtype=torch.long)
        inputs = torch.full((len(targets), width), tok.pad_token_id, dtype=torch.long)
        present = torch.zeros((len(targets), width), dtype=torch.long)
        attend = torch.zeros_like(present)
        for row, ((index, *_), ids) in enumerate(zip(examples, targets)):
            n = len(ids)
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + index)
            masked = torch.rand(n, generator=gen) < self.mask_ratio
            ids_t = torch.tensor(ids)
            labels[row, :n] = ids_t
            inputs[row, :n] = ids_t.masked_fill(masked, self.mask_id)
            present[row, :n] = 1
            hidden = torch.rand(n, generator=gen) < self.mask_ratio
            attend[row, :n] = (~hidden).long() if self.bidirectional else 1
        batch.update(lm_inputs=inputs, lm_labels=labels, lm_present=present, lm_attend=attend)
        if tok.bos_token_id is not None:
            batch["lm_bos"] = torch.full((len(targets), 1), tok.bos_token_id, dtype=torch.long)
        return batch
