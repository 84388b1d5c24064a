"""Instruction-modifier compliance by exact rules (Chirkova & Nikoulina, 2402.14778, Sec. 3).

The paper's modifier prompts add one instruction to a base prompt; its `.types` files name
each one. A rule decides compliance from the answer alone, or from the answer and the answer
to the same prompt without the modifier (`base`, for short/long):

| type | compliant when |
|---|---|
| `short` / `long` | fewer / more words than the base answer |
| `num_items_N` | exactly N list items (lines starting with -, *, •, -->, "1." / "1)", or `<li>`) |
| `lang_X` | the answer is in language X (the language verdict is `correct` for X) |
| `markdown_template` | Markdown beyond a bare list: a heading, emphasis, code, a table or a link |
| `html_template` | an HTML page: parsed with the standard library's `html.parser`, an `<html>` or `<body>` element holding text |
| `arrow_template` | at least one line starts with `-->` and no line starts with another list marker |
| `cap_template` | at least `CAP_SHARE` of the words that start with a cased letter start upper-case |
| `A+B` | both rules pass (a two-part instruction whose parts are both checkable) |

`complex_inst` (the paper's two-part instructions such as "after the recipe, explain how to
serve it": content, not form), `scientific_style` and `simple_style` cannot be decided by a
rule: they are `judge` types, scored only by the judged aspects.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from langadapt.errors import InputError

CAP_SHARE = 0.9  # a few lower-case function words in a Title-Cased answer still comply
JUDGE_TYPES = frozenset({"complex_inst", "scientific_style", "simple_style"})
_ITEM = re.compile(r"^\s*(?:-->|[-*•]|\d{1,3}[.)])\s*\S")
_OTHER_MARKER = re.compile(r"^\s*(?:[-*•](?!->)|\d{1,3}[.)])\s*\S")
_MARKDOWN = [
    re.compile(r"(?m)^\s{0,3}#{1,6}\s+\S"),  # heading
    re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__|(?<![*\w])\*[^*\s][^*\n]*\*(?![*\w])"),  # emphasis
    re.compile(r"```|`[^`\n]+`"),  # code
    re.compile(r"(?m)^\s*\|?\s*:?-{3,}:?\s*\|"),  # table rule
    re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"),  # link
]
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def items(text: str) -> int:
    """List items in `text`: marked lines, or `<li>` elements when the answer is HTML."""
    lines = sum(bool(_ITEM.match(line)) for line in text.splitlines())
    return lines or len(re.findall(r"(?i)<li[\s>]", text))


class _Page(HTMLParser):
    """Collects element names and whether any text sits inside `<html>` / `<body>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.open: list[str] = []
        self.page_text = False

    def handle_starttag(self, tag: str, attrs) -> None:
        self.tags.add(tag)
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:  # tolerate unclosed inner tags, as browsers do
            while self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if data.strip() and ({"html", "body"} & set(self.open)):
            self.page_text = True


def _html(answer: str, param: str, base: str | None) -> tuple[bool, str]:
    page = _Page()
    page.feed(answer)
    page.close()
    ok = bool({"html", "body"} & page.tags) and page.page_text
    return ok, f"elements: {', '.join(sorted(page.tags)) or 'none'}"


def _length(shorter: bool) -> Callable[[str, str, str | None], tuple[bool | None, str]]:
    def rule(answer: str, param: str, base: str | None) -> tuple[bool | None, str]:
        if base is None:
            return None, "no answer to the prompt without the modifier"
        a, b = _words(answer), _words(base)
        return (a < b if shorter else a > b), f"{a} words, {b} without the modifier"

    return rule


def _num_items(answer: str, param: str, base: str | None) -> tuple[bool, str]:
    n = items(answer)
    return n == int(param), f"{n} items, {param} asked"


def _markdown(answer: str, param: str, base: str | None) -> tuple[bool, str]:
    found = [i for i, pat in enumerate(_MARKDOWN) if pat.search(answer)]
    names = ("heading", "emphasis", "code", "table", "link")
    return bool(found), "found: " + (", ".join(names[i] for i in found) or "none")


def _arrow(answer: str, param: str, base: str | None) -> tuple[bool, str]:
    lines = answer.splitlines()
    arrows = sum(line.lstrip().startswith("-->") for line in lines)
    other = sum(bool(_OTHER_MARKER.match(line)) for line in lines)
    return arrows > 0 and other == 0, f"{arrows} lines with -->, {other} with other markers"


def _capitals(answer: str, param: str, base: str | None) -> tuple[bool, str]:
    cased = [w for w in _WORD.findall(answer) if w[0].lower() != w[0].upper()]
    if not cased:
        return False, "no words"
    share = sum(w[0].isupper() for w in cased) / len(cased)
    return share >= CAP_SHARE, f"{share:.2f} of words capitalised"


# type (or its prefix before "_N" / "_X") -> rule(answer, parameter, base answer)
RULES: dict[str, Callable[[str, str, str | None], tuple[bool | None, str]]] = {
    "short": _length(True),
    "long": _length(False),
    "num_items": _num_items,
    "markdown_template": _markdown,
    "html_template": _html,
    "arrow_template": _arrow,
    "cap_template": _capitals,
}


def parse(mtype: str, where: str) -> list[tuple[str, str]]:
    """The parts of a modifier type as (rule name, parameter): `num_items_5` -> ("num_items",
    "5"), `lang_fr` -> ("lang", "fr"), `short+lang_fr` -> two parts. Raises InputError naming
    `where` for an unknown type."""
    parts = []
    for part in mtype.split("+"):
        part = part.strip()
        if m := re.fullmatch(r"num_items_(\d+)", part):
            parts.append(("num_items", m.group(1)))
        elif m := re.fullmatch(r"lang_([a-z]{2,3})", part):
            parts.append(("lang", m.group(1)))
        elif part in RULES or part in JUDGE_TYPES:
            parts.append((part, ""))
        else:
            known = sorted(RULES.keys() - {"num_items"} | JUDGE_TYPES) + ["num_items_N", "lang_X"]
            raise InputError(
                f"{where}: unknown modifier type {part!r}; known types: {', '.join(known)} "
                "(two checkable parts joined by +)"
            )
    if len(parts) > 1 and any(name in JUDGE_TYPES for name, _ in parts):
        raise InputError(f"{where}: {mtype!r} joins a judged type with +; only rules combine")
    return parts


def check(mtype: str, answer: str, *, base: str | None, language: Callable[[str, str], str]):
    """Compliance of `answer` with modifier `mtype` (already `parse`d once, so known).

    `language(answer, lang)` gives the language verdict (lid.Identifier.verdict's "verdict").
    Returns {"status": "pass" | "fail" | "unchecked" (a rule lacked its base answer) |
    "judge" (no rule: judged aspects only), "why": str}.
    """
    parts = parse(mtype, "modifier")
    if parts[0][0] in JUDGE_TYPES:
        return {"status": "judge", "why": "no exact rule: see the judged aspects"}
    whys, oks = [], []
    for name, param in parts:
        if name == "lang":
            verdict = language(answer, param)
            ok, why = verdict == "correct", f"language verdict for {param}: {verdict}"
        else:
            ok, why = RULES[name](answer, param, base)
        oks.append(ok)
        whys.append(why)
    if any(ok is None for ok in oks):
        status = "unchecked"
    else:
        status = "pass" if all(oks) else "fail"
    return {"status": status, "why": "; ".join(whys)}
