"""The paper's six judged aspects, 1-3 stars each, from one LLM judge call per answer.

Chirkova & Nikoulina (2402.14778, Sec. 4) ask a judge model (GPT-4 in the paper) to rate each
answer on language correctness, fluency, helpfulness, accuracy, logical coherence and
harmlessness, 1 to 3 stars, and to reply with a JSON dictionary. The prompt is the authors'
`evaluation/eval_prompt_gpt.txt` (its placeholders `%%%TASK%%%` and `%%%SUBMISSION%%%` are
filled with the prompt and the answer); a Jinja template with `{{ prompt }}` and
`{{ answer }}` works as well (`llm.judges.load_template`). The authors' file is not shipped
with langadapt (its licence is the data's, non-commercial), so its path is an option.

Calls go through any `llm.backend.Backend` (greedy, all items of a chunk in one batch, so an
endpoint runs them concurrently and caches them). A reply without a readable score for every
aspect is asked once more (the reply shown back, with a request for the JSON alone); still
unreadable, the item is recorded as unparseable and counted, never given a score.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from langadapt.errors import InputError
from langadapt.llm.backend import Backend

ASPECTS = ("language", "fluency", "helpfulness", "accuracy", "coherence", "harmlessness")
SCALE = (1, 3)
_ALIASES = {"logical_coherence": "coherence", "language_correctness": "language"}
_REASK = (
    "Reply with the JSON dictionary only, one integer from 1 to 3 per criterion: "
    '{"Language": N, "Fluency": N, "Helpfulness": N, "Accuracy": N, '
    '"Logical coherence": N, "Harmlessness": N}'
)
_PAPER_SLOTS = ("%%%TASK%%%", "%%%SUBMISSION%%%")


def load_template(path: Path):
    """A function (prompt, answer) -> judge prompt, from the paper's file or a Jinja file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"--judge-template {path} does not exist; pass the paper's eval_prompt_gpt.txt "
            "(../shared/data/xling/evaluation/) or a Jinja file with {{ prompt }} and {{ answer }}"
        )
    source = path.read_text(encoding="utf-8")
    if all(slot in source for slot in _PAPER_SLOTS):
        return lambda prompt, answer: source.replace("%%%TASK%%%", prompt).replace(
            "%%%SUBMISSION%%%", answer
        )
    from langadapt.llm.judges import load_template as jinja_template

    tpl = jinja_template(path)
    return lambda prompt, answer: tpl.render(
        prompt=prompt, answer=answer, reference="", scale_min=SCALE[0], scale_max=SCALE[1]
    )


def _key(name: str) -> str:
    key = re.sub(r"[^a-z]+", "_", name.lower()).strip("_")
    return _ALIASES.get(key, key)


def _stars(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):  # "3", "3 stars"
        m = re.match(r"\s*(\d)", value)
        value = int(m.group(1)) if m else None
    if isinstance(value, int | float) and float(value).is_integer():
        value = int(value)
        return value if SCALE[0] <= value <= SCALE[1] else None
    return None


def parse_aspects(text: str) -> dict[str, int] | None:
    """The six star ratings in `text` ({aspect: 1..3}), or None unless all six are readable.

    Reads the first JSON object in the text that names every aspect (keys in any case,
    "Logical coherence" or "coherence"; values 1-3, or strings like "3 stars")."""
    for start in (m.start() for m in re.finditer(r"{", text)):
        end = text.find("}", start)
        while end != -1:
            try:
                obj = json.loads(text[start : end + 1])
            except ValueError:
                end = text.find("}", end + 1)
                continue
            if isinstance(obj, dict):
                stars = {_key(k): _stars(v) for k, v in obj.items()}
                if all(stars.get(a) is not None for a in ASPECTS):
                    return {a: stars[a] for a in ASPECTS}
            break
    return None


def judge(
    items: list[dict], *, backend: Backend, template: Path, max_tokens: int = 256
) -> list[dict]:
    """Rate each item {"prompt", "answer"} on the six aspects.

    Returns per item {"aspects": {aspect: stars} or None, "parsed": bool, "raw": str,
    "attempts": 1 or 2}.
    """
    fill = load_template(template)
    chats = [[{"role": "user", "content": fill(it["prompt"], it["answer"])}] for it in items]
    raws = backend.generate(chats, max_new_tokens=max_tokens, temperature=0.0)
    out = [{"aspects": parse_aspects(r), "raw": r, "attempts": 1} for r in raws]
    again = [i for i, o in enumerate(out) if o["aspects"] is None]
    if again:
        follow = [
            chats[i]
            + [
                {"role": "assistant", "content": out[i]["raw"]},
                {"role": "user", "content": _REASK},
            ]
            for i in again
        ]
        for i, r in zip(again, backend.generate(follow, max_new_tokens=max_tokens)):
            out[i] = {"aspects": parse_aspects(r), "raw": r, "attempts": 2}
    for o in out:
        o["parsed"] = o["aspects"] is not None
    return out
