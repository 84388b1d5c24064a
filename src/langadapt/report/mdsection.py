"""A report section read back from a small Markdown file (a stage's `summary.md`).

Stages that appear in another report (the demo shows LUSIFER's and xling's results) write their
headline as Markdown: one `## Title` line, paragraphs, and pipe tables. This reads exactly that
subset into the typed blocks of `report.html`, so the including report escapes and lays it out
like its own sections; anything else is kept as paragraph text, never interpreted as HTML.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.errors import InputError
from langadapt.report.html import Section, Table, Text


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _is_rule(line: str) -> bool:
    return set(line.replace("|", "").replace(":", "").strip()) <= {"-"} and "-" in line


def parse(text: str, where: str) -> Section:
    """The section that `text` (a `## Title` line, paragraphs, pipe tables) describes."""
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("## "):
        raise InputError(f"{where}: a section summary must start with a '## Title' line")
    blocks: list[Text | Table] = []
    para: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Text(" ".join(para)))
            para.clear()
        if table:
            rows = [_cells(r) for r in table if not _is_rule(r)]
            blocks.append(Table(rows[0], rows[1:]))
            table.clear()

    for line in lines[1:]:
        if line.lstrip().startswith("|"):
            if para:
                flush()
            table.append(line)
        elif not line.strip():
            flush()
        else:
            if table:
                flush()
            para.append(line.strip())
    flush()
    return Section(lines[0][3:].strip(), blocks)


def read(folder: Path, name: str = "summary.md") -> Section:
    """The section in `folder/name`; InputError naming the folder when it has none."""
    path = Path(folder) / name
    if not path.is_file():
        raise InputError(
            f"{folder} holds no {name}: pass the output folder of a stage that writes one "
            "(lusifer eval with two models, xling eval, xling select)"
        )
    return parse(path.read_text(encoding="utf-8"), str(path))
