"""IFD, the judge-free difficulty score of `distill difficulty --score ifd`.

Li et al., "From Quantity to Quality" (arXiv 2308.12032, NAACL 2024): the Instruction-Following
Difficulty of an (instruction, answer) pair for a model is

    IFD = loss(answer | instruction) / loss(answer)

with each loss the model's mean token cross-entropy over the answer's tokens. Near or above 1,
the instruction does not help the model predict the answer: the pair is hard for it (or, above
1, the answer does not fit the instruction). Here the model is the student and the answer the
teacher's.

Both losses are taken on chat-templated text through `engine.sft.encode` (`llm.chat`, the one
place a template is applied), the loss on the assistant turn only: the conditioned one over
[user: instruction, assistant: answer], the unconditioned one over [user: "", assistant: answer],
so the template's framing is the same in both and only the instruction's words differ
(a choice: the paper's code scores the bare answer text without a template).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from langadapt.engine.sft import IGNORE, collate, encode
from langadapt.errors import InputError
from langadapt.models import load_causal_lm, load_tokenizer


def mean_losses(model, tokenizer, pairs: list[tuple[str, str]], *, max_length: int,
                batch_size: int = 8) -> list[tuple[float | None, float | None]]:  # fmt: skip
    """(loss(answer | instruction), loss(answer)) of each (instruction, answer) pair, in nats
    per answer token; None where the answer keeps no token within `max_length`."""
    import torch

    examples = []
    for instruction, answer in pairs:
        for user in (instruction, ""):
            msgs = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
            examples.append(encode(tokenizer, msgs, max_length))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    losses: list[float | None] = []
    model.eval()
    with torch.no_grad():
        for s in range(0, len(examples), batch_size):
            batch = collate(examples[s : s + batch_size], pad)
            logits = model(input_ids=batch["input_ids"],
                           attention_mask=batch["attention_mask"]).logits.float()  # fmt: skip
            labels = batch["labels"][:, 1:]
            nll = torch.nn.functional.cross_entropy(
                logits[:, :-1].transpose(1, 2), labels, ignore_index=IGNORE, reduction="none"
            )
            keep = labels != IGNORE
            for row, k in zip(nll, keep):
                n = int(k.sum())
                losses.append(float(row[k].sum()) / n if n else None)
    return [(losses[2 * i], losses[2 * i + 1]) for i in range(len(pairs))]


def score(loss_given: float | None, loss_alone: float | None) -> float | None:
    """IFD of one pair, None when either loss is missing or loss(answer) is not positive."""
    if loss_given is None or loss_alone is None or not loss_alone > 0:
        return None
    return loss_given / loss_alone


def load_student(student: str, allow_pickle: bool = False):
    """(model, tokenizer) of a local student folder; IFD needs its token losses, which an
    endpoint does not give."""
    from langadapt.llm.client import is_endpoint

    if is_endpoint(student):
        raise InputError(
            f"--score ifd needs the student's token losses, which the endpoint {student} does "
            "not give; pass the student's local HF folder as --student (or use --score mfd)"
        )
    if not Path(student).is_dir():
        raise InputError(f"--student {student} is not a model folder")
    tok = load_tokenizer(Path(student))
    if not tok.chat_template:
        raise InputError(f"--student {student} has no chat template; IFD renders chats with it")
    return load_causal_lm(Path(student), dtype="float32", allow_pickle=allow_pickle), tok


def threshold(values: list[float], given: float | None) -> float | None:
    """The hard threshold: `given`, else the median of the scored values (half are hard)."""
    if given is not None:
        return given
    return statistics.median(values) if values else None
