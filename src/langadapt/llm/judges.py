"""Judges: registered methods that turn (prompt, answer[, reference]) into scores in [0, 1].

A judge takes items `{"id", "prompt", "answer", "reference"?}` and returns, per item,
`{"score": float in [0, 1] or None, "parsed": bool, "raw": str | None, "attempts": int}`.
`score` is None exactly when the judge's output could not be read: such an item is counted
as unparseable, never turned into a score.

- `llm`: a Jinja prompt template (default `templates/judge.jinja`) filled with the item and
  sent through any `Backend` (a local model, or an endpoint via `EndpointBackend`); the output
  is read as JSON (`{"score": N}`) or as "Score: N", on the template's scale; malformed output
  is asked for once more (the reply is shown back with a request for the score alone), then
  recorded as unparseable.
- `world`: exact scoring against the synthetic world's known answers and modifier rules
  (`llm.world_rules`), so every judged experiment on the embedded default has a judge that
  cannot be wrong. `agreement` compares two judges run side by side.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from langadapt.errors import InputError
from langadapt.llm import template_file, world_rules
from langadapt.llm.backend import Backend
from langadapt.registry import register

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "judge.jinja"
# what a template may use; anything else is an error before the first call
TEMPLATE_VARIABLES = frozenset({"prompt", "answer", "reference", "scale_min", "scale_max"})
_SCORE = re.compile(r"(?i)\b(?:score|rating)\s*(?:[:=]|is)\s*\**\s*(-?\d+(?:\.\d+)?)")
_REASK = 'Reply with the score only, as JSON: {"score": N}, N from %s to %s.'


def load_template(path: Path | None = None):
    """The compiled Jinja template of a judge prompt (StrictUndefined: no silent blanks).

    Raises InputError for a missing file, a syntax error, or a variable the judge does not
    fill (`TEMPLATE_VARIABLES`).
    """
    return template_file.load_template(
        path,
        default=DEFAULT_TEMPLATE,
        variables=TEMPLATE_VARIABLES,
        what="judge template",
        fills="a judge fills only",
    )


def parse_score(text: str, scale: tuple[float, float]) -> float | None:
    """The score in `text` mapped to [0, 1], or None: JSON `{"score": N}` anywhere in the text
    first, else the last "Score: N" / "Rating: N"; a value off the scale is unparseable."""
    lo, hi = scale
    found: float | None = None
    for start in (m.start() for m in re.finditer(r"{", text)):
        end = text.find("}", start)
        while end != -1 and found is None:
            try:
                obj = json.loads(text[start : end + 1])
                value = obj.get("score", obj.get("rating")) if isinstance(obj, dict) else None
                if isinstance(value, int | float) and not isinstance(value, bool):
                    found = float(value)
            except ValueError:
                pass
            end = text.find("}", end + 1)
        if found is not None:
            break
    if found is None:
        hits = _SCORE.findall(text)
        found = float(hits[-1]) if hits else None
    if found is None or not math.isfinite(found) or not lo <= found <= hi:
        return None
    return (found - lo) / (hi - lo)


def _reference_text(ref: Any) -> str:
    if ref is None:
        return ""
    if isinstance(ref, dict) and "answers" in ref:
        return "; ".join(str(a) for a in ref["answers"])
    return ref if isinstance(ref, str) else json.dumps(ref, ensure_ascii=False)


@register(
    "judge",
    "llm",
    paper="Zheng et al., Judging LLM-as-a-judge with MT-Bench and Chatbot Arena (arXiv 2306.05685)",
    default=True,
    needs_backend=True,
)
def llm_judge(
    items: list[dict],
    *,
    backend: Backend | None = None,
    template: Path | None = None,
    scale: tuple[float, float] = (1, 10),
    max_tokens: int = 128,
) -> list[dict]:
    """An LLM scores each answer from a prompt template; malformed output retried once.

    Greedy (temperature 0) calls, all items in one `backend.generate` batch (an endpoint runs
    them concurrently and caches them); the retry batch holds only the unreadable ones.
    """
    if backend is None:
        raise InputError("the llm judge needs a backend: a judge model folder or endpoint")
    tpl = load_template(template)
    lo, hi = scale
    chats = []
    for it in items:
        text = tpl.render(
            prompt=it["prompt"],
            answer=it["answer"],
            reference=_reference_text(it.get("reference")),
            scale_min=lo,
            scale_max=hi,
        )
        chats.append([{"role": "user", "content": text}])
    raws = backend.generate(chats, max_new_tokens=max_tokens, temperature=0.0)
    out = [{"score": parse_score(r, scale), "raw": r, "attempts": 1} for r in raws]
    again = [i for i, o in enumerate(out) if o["score"] is None]
    if again:  # one more try, showing the reply back: a new request, not the cached one
        follow = [
            chats[i]
            + [
                {"role": "assistant", "content": out[i]["raw"]},
                {"role": "user", "content": _REASK % (lo, hi)},
            ]
            for i in again
        ]
        raws2 = backend.generate(follow, max_new_tokens=max_tokens, temperature=0.0)
        for i, r in zip(again, raws2):
            out[i] = {"score": parse_score(r, scale), "raw": r, "attempts": 2}
    for o in out:
        o["parsed"] = o["score"] is not None
    return out


@register(
    "judge",
    "world",
    paper="langadapt's synthetic world (docs/world.md); modifiers after Chirkova & Nikoulina "
    "(arXiv 2402.14778) section 3",
    needs_backend=False,
    needs_reference=True,
)
def world_judge(items: list[dict], *, backend: Backend | None = None) -> list[dict]:
    """Exact: 1 when the answer is an accepted answer or follows the modifier rule, else 0."""
    out = []
    for it in items:
        if it.get("reference") is None:
            raise InputError(
                f"item {it.get('id')} has no reference; the world judge scores only items "
                "with the world's accepted answers or modifier rule"
            )
        ok = world_rules.check(str(it["answer"]), it["reference"], str(it.get("id")))
        out.append({"score": float(ok), "raw": None, "attempts": 0, "parsed": True})
    return out


def agreement(a: list[dict], b: list[dict], *, threshold: float = 0.5) -> dict[str, Any]:
    """How two judges' verdicts on the same items agree.

    Over items both could score: `n`, `pass_agreement` (share with the same verdict, a score
    >= `threshold` being a pass), Cohen's `kappa` on those verdicts (None when one judge gives
    a single verdict to every item) and `mean_abs_diff` of the scores; plus how many items each
    left unparseable.
    """
    both = [(x["score"], y["score"]) for x, y in zip(a, b) if x["parsed"] and y["parsed"]]
    res: dict[str, Any] = {
        "n": len(both),
        "unparseable": [sum(not x["parsed"] for x in a), sum(not y["parsed"] for y in b)],
    }
    if not both:
        return res | {"pass_agreement": None, "kappa": None, "mean_abs_diff": None}
    pa = [s >= threshold for s, _ in both]
    pb = [t >= threshold for _, t in both]
    agree = sum(x == y for x, y in zip(pa, pb)) / len(both)
    ra, rb = sum(pa) / len(both), sum(pb) / len(both)
    chance = ra * rb + (1 - ra) * (1 - rb)
    kappa = None if chance == 1 else (agree - chance) / (1 - chance)
    mad = sum(abs(s - t) for s, t in both) / len(both)
    return res | {"pass_agreement": agree, "kappa": kappa, "mean_abs_diff": mad}
