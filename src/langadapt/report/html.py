"""Self-contained HTML and Markdown reports built from a few typed blocks.

A report is a title plus sections; a section is a heading plus blocks: `Text`, `Table`,
`Figure` (PNG bytes, inlined as base64 in HTML, written beside the Markdown), and `Samples`
(one prompt with several models' outputs side by side). Every piece of text that came from a
model or a data file is HTML-escaped, so a generation containing `<script>` is shown, not run.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langadapt.artifacts import write_text_atomic


@dataclass
class Text:
    text: str


@dataclass
class Table:
    columns: list[str]
    rows: list[list[object]]
    caption: str = ""
    digits: int = 3


@dataclass
class Figure:
    png: bytes
    name: str  # file name for the Markdown copy, e.g. "spt.png"
    caption: str = ""


@dataclass
class Samples:
    prompt: str
    outputs: dict[str, str]  # model name -> generated text
    reference: str | None = None


@dataclass
class Section:
    heading: str
    blocks: list[Text | Table | Figure | Samples] = field(default_factory=list)


def _cell(value: object, digits: int) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "" if value is None else str(value)


_FIGURE = re.compile(r"^[-+#]?\d|^-?$")  # a number, an interval, '#4 48%', or empty / '-'


def _td(value: object, digits: int) -> str:
    """A cell; words are left-aligned, figures right-aligned (so their digits line up)."""
    text = _cell(value, digits)
    left = "" if _FIGURE.match(text) else " class='t'"
    return f"<td{left}>{html.escape(text)}</td>"


_CODE = re.compile(r"`([^`\n]+)`")


def _inline(text: str) -> str:
    """Escaped prose with Markdown's `code` spans as <code>: the HTML shows no backticks.

    Only prose (Text blocks, captions) goes through here; model output and data cells are
    escaped verbatim, so what a model wrote is shown exactly as it wrote it.
    """
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1b1f24;line-height:1.45}
h1{border-bottom:2px solid #d0d7de;padding-bottom:.3em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}caption{text-align:left;color:#57606a;padding:.3em 0}
th,td{border:1px solid #d0d7de;padding:.35em .7em;text-align:right}th{background:#f6f8fa}
td:first-child,th:first-child,td.t{text-align:left}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #d0d7de}figcaption{color:#57606a;font-size:.9em}
.samples{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:.6em;margin:1em 0}
.sample{border:1px solid #d0d7de;border-radius:6px;padding:.5em .7em;background:#fbfcfd}
.sample h4{margin:.1em 0 .4em;font-size:.85em;color:#57606a}
pre{white-space:pre-wrap;word-break:break-word;margin:0;font-size:.88em}
code{background:#f6f8fa;border-radius:4px;padding:.05em .3em;font-size:.9em}
.prompt{background:#f6f8fa;border-left:3px solid #0969da;padding:.5em .8em;margin-top:1.2em}
"""


def render_html(title: str, sections: Sequence[Section]) -> str:
    """One HTML document with inline CSS and images: opens offline in any browser."""
    esc = html.escape
    out = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>{esc(title)}</h1>",
    ]
    for sec in sections:
        out.append(f"<h2>{esc(sec.heading)}</h2>")
        for b in sec.blocks:
            if isinstance(b, Text):
                out += [f"<p>{_inline(p)}</p>" for p in b.text.split("\n\n") if p.strip()]
            elif isinstance(b, Table):
                out.append("<table>")
                if b.caption:
                    out.append(f"<caption>{_inline(b.caption)}</caption>")
                out.append("<tr>" + "".join(f"<th>{esc(c)}</th>" for c in b.columns) + "</tr>")
                for row in b.rows:
                    cells = "".join(_td(v, b.digits) for v in row)
                    out.append(f"<tr>{cells}</tr>")
                out.append("</table>")
            elif isinstance(b, Figure):
                data = base64.b64encode(b.png).decode("ascii")
                out.append(
                    f"<figure><img alt='{esc(b.caption or b.name)}' "
                    f"src='data:image/png;base64,{data}'>"
                    f"<figcaption>{_inline(b.caption)}</figcaption></figure>"
                )
            elif isinstance(b, Samples):
                out.append(
                    f"<div class='prompt'><pre>{esc(b.prompt)}</pre></div><div class='samples'>"
                )
                if b.reference is not None:
                    out.append(
                        f"<div class='sample'><h4>reference</h4><pre>{esc(b.reference)}</pre></div>"
                    )
                for name, text in b.outputs.items():
                    out.append(
                        f"<div class='sample'><h4>{esc(name)}</h4><pre>{esc(text)}</pre></div>"
                    )
                out.append("</div>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, sections: Sequence[Section]) -> tuple[str, dict[str, bytes]]:
    """The Markdown twin of `render_html`, and the images it links to ({file name: PNG})."""
    out, files = [f"# {title}", ""], {}
    for sec in sections:
        out += [f"## {sec.heading}", ""]
        for b in sec.blocks:
            if isinstance(b, Text):
                out += [b.text, ""]
            elif isinstance(b, Table):
                if b.caption:
                    out += [f"*{b.caption}*", ""]
                out.append("| " + " | ".join(map(_md_escape, b.columns)) + " |")
                out.append("|" + "---|" * len(b.columns))
                out += [
                    "| " + " | ".join(_md_escape(_cell(v, b.digits)) for v in row) + " |"
                    for row in b.rows
                ]
                out.append("")
            elif isinstance(b, Figure):
                files[b.name] = b.png
                out += [f"![{b.caption or b.name}]({b.name})", ""]
            elif isinstance(b, Samples):
                out += ["```text", b.prompt, "```", ""]
                if b.reference is not None:
                    out.append(f"- **reference**: {_md_escape(b.reference)}")
                out += [f"- **{_md_escape(k)}**: {_md_escape(v)}" for k, v in b.outputs.items()]
                out.append("")
    return "\n".join(out), files


def write_report(folder: Path, title: str, sections: Sequence[Section]) -> Path:
    """Write `report.html`, `report.md` and its images into `folder`; returns the HTML path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    md, files = render_markdown(title, sections)
    for name, png in files.items():
        (folder / name).write_bytes(png)
    for name, text in (("report.md", md), ("report.html", render_html(title, sections))):
        write_text_atomic(folder / name, text)
    return folder / "report.html"
