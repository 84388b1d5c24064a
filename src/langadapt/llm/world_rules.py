"""Exact checks of an answer against what the synthetic world knows: accepted answers and
response-modifier rules (Chirkova & Nikoulina, arXiv 2402.14778, section 3).

The world (`langadapt world generate`) writes every fact's accepted answers (`eval/facts.*`:
`answers`) and every modifier instruction's rule (`eval/modifiers.*`: `modifier` = {`type`,
params}); this module takes them as data, so core code stays independent of the world package.
Each check returns True or False; there is no judgement to get wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langadapt.errors import InputError

_BULLET = re.compile(r"^\s*[-*•]\s+\S")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+\S")


def normalise(text: str) -> str:
    """Case-folded, NFC, inner whitespace collapsed, surrounding punctuation and spaces dropped."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = " ".join(text.split())
    return text.strip(" .,!?;:\"'«»()[]")


def matches_answer(answer: str, accepted: Sequence[str]) -> bool:
    """The answer is one of the accepted answers, up to case, spacing and end punctuation."""
    got = normalise(answer)
    return any(got == normalise(a) for a in accepted if a)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _letters(text: str) -> list[str]:
    return [c for c in text if c.isalpha()]


def _script_share(text: str, lang: str) -> float:
    letters = _letters(text)
    if not letters:
        return 0.0
    cyr = sum("\u0400" <= c <= "\u04ff" for c in letters)
    return (cyr if lang == "ru" else len(letters) - cyr) / len(letters)


def _length(text: str, p: Mapping[str, Any]) -> bool:
    return 0 < len(text.split()) <= int(p["max_words"])


def _list_n(text: str, p: Mapping[str, Any]) -> bool:
    lines = _lines(text)
    return len(lines) == int(p["n"]) and all(_BULLET.match(x) for x in lines)


def _numbered(text: str, p: Mapping[str, Any]) -> bool:
    nums = [_NUMBERED.match(x) for x in _lines(text)]
    return len(nums) == int(p["n"]) and [int(m.group(1)) if m else 0 for m in nums] == list(
        range(1, int(p["n"]) + 1)
    )


def _language(text: str, p: Mapping[str, Any]) -> bool:
    return _script_share(text, str(p["lang"])) >= 0.9


def _markdown(text: str, p: Mapping[str, Any]) -> bool:
    return re.search(r"\*\*[^*\n]+\*\*", text) is not None


def _html(text: str, p: Mapping[str, Any]) -> bool:
    tag = re.escape(str(p.get("tag", "ul")))
    body = re.search(rf"<{tag}>(.*)</{tag}>", text, flags=re.S | re.I)
    return body is not None and re.search(r"<li>.*?</li>", body.group(1), flags=re.S) is not None


def _uppercase(text: str, p: Mapping[str, Any]) -> bool:
    letters = _letters(text)
    return bool(letters) and all(c == c.upper() for c in letters)


# modifier type -> rule(answer, params); the types `langadapt world generate` writes
RULES: dict[str, Callable[[str, Mapping[str, Any]], bool]] = {
    "length": _length,
    "list_n": _list_n,
    "numbered": _numbered,
    "language": _language,
    "markdown": _markdown,
    "html": _html,
    "uppercase": _uppercase,
}


def check(answer: str, reference: Any, item_id: str = "?") -> bool:
    """Whether `answer` is right by `reference`: accepted answers (a string, a list, or
    {"answers": [...]}) or a modifier rule ({"modifier": {"type": ..., params}})."""
    if isinstance(reference, str):
        return matches_answer(answer, [reference])
    if isinstance(reference, list):
        return matches_answer(answer, [str(a) for a in reference])
    if isinstance(reference, Mapping):
        if "answers" in reference or "answer" in reference:
            accepted = reference.get("answers") or [reference.get("answer")]
            return matches_answer(answer, [str(a) for a in accepted if a is not None])
        mod = reference.get("modifier")
        if isinstance(mod, Mapping) and mod.get("type") in RULES:
            try:
                return RULES[str(mod["type"])](answer, mod)
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(
                    f"item {item_id}: modifier {dict(mod)} lacks a usable parameter ({exc}); "
                    "use the modifier records `langadapt world generate` writes"
                ) from None
    raise InputError(
        f"item {item_id}: reference {reference!r} is neither accepted answers (a string, a list "
        f"or {{'answers': [...]}}) nor a modifier ({{'modifier': {{'type': one of "
        f"{', '.join(RULES)}, ...}}}}); the world judge needs one of those"
    )
