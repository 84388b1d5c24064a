"""Model Fitting Difficulty (MFD) from pairwise judging, and the judge-free IFD score.

TAPIR (arXiv 2405.13448, section 3.1) calls a seed instruction *hard* for the student when a
judge rates the teacher's answer clearly above the student's:

    MFD = score(teacher) - score(student),   hard  <=>  MFD > delta   (default delta = 1)

The judge sees both answers in one prompt and scores each on 1-10. LLM judges favour one
presentation position, so each pair is judged twice, teacher first ("ab") and student first
("ba"), and each answer's two scores are averaged: position bias that adds `b` to whichever
answer comes first cancels exactly (the test shows it).

IFD (Li et al., "From Quantity to Quality", arXiv 2308.12032) needs no judge: the student's mean
token loss on the answer given the instruction, divided by its loss on the answer alone. Near
or above 1, the instruction does not help the student predict the answer (hard).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

# "[[8, 3]]", "8 3" on a line of its own, "Assistant 1: 8 ... Assistant 2: 3"
_BRACKETS = re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*[,;/ ]\s*(-?\d+(?:\.\d+)?)\s*\]\]")
_LINE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$", re.M)
_NAMED = re.compile(r"(?i)assistant\s*([12])\s*[^0-9\n]{0,20}?(-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class PairVerdict:
    """A pair judged in both orders; scores on the judge's scale, None when unreadable."""

    teacher: float | None  # mean of the teacher's two scores
    student: float | None
    mfd: float | None  # teacher - student; None when either order was unreadable
    hard: bool | None  # mfd > delta; None when mfd is None (counted, never guessed)


def parse_pair(text: str, scale: tuple[float, float] = (1, 10)) -> tuple[float, float] | None:
    """The two scores (first answer, second answer) a pairwise judge wrote, or None.

    Read in this order: JSON `{"score_1": a, "score_2": b}` (also `score_a`/`score_b`), then
    `[[a, b]]`, then a line holding just two numbers, then "Assistant 1 ... a" and
    "Assistant 2 ... b". A score off the scale makes the reply unreadable.
    """
    found: tuple[float, float] | None = None
    for m in re.finditer(r"\{[^{}]*\}", text):
        try:
            obj = json.loads(m.group(0))
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        for a, b in (("score_1", "score_2"), ("score_a", "score_b"), ("1", "2")):
            x, y = obj.get(a), obj.get(b)
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)):
                found = (float(x), float(y))
                break
        if found:
            break
    if found is None and (m := _BRACKETS.search(text) or _LINE.search(text)):
        found = (float(m.group(1)), float(m.group(2)))
    if found is None:
        named = {k: float(v) for k, v in _NAMED.findall(text)}
        if set(named) == {"1", "2"}:
            found = (named["1"], named["2"])
    if found is None:
        return None
    lo, hi = scale
    if not all(math.isfinite(v) and lo <= v <= hi for v in found):
        return None
    return found


def combine(
    ab: tuple[float, float] | None, ba: tuple[float, float] | None, *, delta: float = 1.0
) -> PairVerdict:
    """Average the two presentation orders into one verdict.

    Args:
        ab: (teacher, student) scores with the teacher's answer shown first, or None.
        ba: (student, teacher) scores with the student's answer shown first, or None.
        delta: the MFD threshold above which the instruction is hard (TAPIR: 1 on 1-10).
    """
    if ab is None or ba is None:
        # one order alone keeps the position bias the other order exists to cancel
        return PairVerdict(None, None, None, None)
    teacher = (ab[0] + ba[1]) / 2
    student = (ab[1] + ba[0]) / 2
    m = teacher - student
    return PairVerdict(teacher, student, m, m > delta)


def ifd(loss_given_instruction: float, loss_alone: float) -> float:
    """Instruction-Following Difficulty: loss(answer | instruction) / loss(answer).

    Both are mean token cross-entropies (nats) of the answer tokens under the student. Raises
    ValueError when `loss_alone` is not positive (the ratio is undefined).
    """
    if not loss_alone > 0:
        raise ValueError(f"loss(answer) must be positive to form IFD, not {loss_alone}")
    return loss_given_instruction / loss_alone
