"""Task taxonomies (label files) and reading a classifier's `<answer>` reply into one label.

A taxonomy is a text file, one label a line (`#` lines are comments); the last resort label
`Others` is always part of it (added when the file lacks it), so every instruction gets a label.
The default (`taxonomy/default.txt`) is the 31 labels plus Others of the TAPIR authors' code.
The classifier's prompt is a Jinja file (`prompts/classify.jinja`, variables `instruction`,
`labels`, `fallback`).
"""

from __future__ import annotations

import re
from pathlib import Path

from langadapt.errors import InputError
from langadapt.llm import template_file

HERE = Path(__file__).parent
DEFAULT_TAXONOMY = HERE / "taxonomy" / "default.txt"
DEFAULT_PROMPT = HERE / "prompts" / "classify.jinja"
OTHERS = "Others"
PROMPT_VARIABLES = frozenset({"instruction", "labels", "fallback"})
_ANSWER = re.compile(r"(?is)<answer>(.*?)</answer>")


def load_taxonomy(path: Path | None = None) -> list[str]:
    """The labels of a taxonomy file, in file order, with `Others` last.

    Raises InputError for a missing file, a file with no label, or a label given twice.
    """
    path = Path(path) if path else DEFAULT_TAXONOMY
    if not path.is_file():
        raise InputError(f"taxonomy {path} does not exist; pass a text file, one label a line")
    labels = [
        s
        for line in path.read_text(encoding="utf-8").splitlines()
        if (s := line.strip()) and not s.startswith("#")
    ]
    if not [x for x in labels if x != OTHERS]:
        raise InputError(
            f"taxonomy {path} holds no label; write one task label a line (e.g. Math, Code "
            f"Generation), or drop --taxonomy for the default ({DEFAULT_TAXONOMY.name})"
        )
    seen: set[str] = set()
    for x in labels:
        if x.lower() in seen:
            raise InputError(f"taxonomy {path} lists the label {x!r} twice; list each once")
        seen.add(x.lower())
    return [x for x in labels if x != OTHERS] + [OTHERS]


def load_prompt(path: Path | None = None):
    """The compiled Jinja classification prompt; unknown variables are an InputError."""
    return template_file.load_template(
        path,
        default=DEFAULT_PROMPT,
        variables=PROMPT_VARIABLES,
        what="classification prompt",
        fills="it is filled with",
    )


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())


def parse_label(reply: str, labels: list[str]) -> tuple[str, str]:
    """The label a classifier's reply names, and how it was found.

    Only the text inside the last `<answer>...</answer>` counts (the whole reply when there is
    no tag). It is the exact label (case and spacing aside) -> ("exact"); else the label named
    first among those that occur in it as whole words, the longest of those starting at the
    same place (so a label "Code" would lose to "Code Debug") -> ("word"); else `Others` ->
    ("none"). `Others` named beside a real label loses to it.
    """
    tags = _ANSWER.findall(reply)
    text = _norm(tags[-1] if tags else reply)
    by_norm = {_norm(x): x for x in labels}
    if text in by_norm:
        return by_norm[text], "exact"
    hits = []
    for norm, label in by_norm.items():
        m = re.search(rf"(?<![\w-]){re.escape(norm)}(?![\w-])", text)
        if m:
            hits.append((m.start(), -len(norm), label))
    hits = [h for h in hits if h[2] != OTHERS] or hits
    if hits:
        return min(hits)[2], "word"
    return OTHERS, "none"
