"""A stage's summary.md read back as a report section (the demo's other systems)."""

from __future__ import annotations

import pytest

from langadapt.errors import InputError
from langadapt.report import mdsection
from langadapt.report.html import Table, Text, render_html

SUMMARY = """## LUSIFER on the world

LUSIFER beats `base` on Russian retrieval: nDCG@10 0.61 [0.55, 0.67]
against 0.32 [0.27, 0.38].

| model | ru | ru->en |
|---|---|---|
| base | 0.32 | 0.10 |
| lusifer | 0.61 | 0.44 |

The difference is significant <b>here</b>.
"""


def test_title_paragraphs_and_table_become_blocks():
    sec = mdsection.parse(SUMMARY, "x/summary.md")
    assert sec.heading == "LUSIFER on the world"
    kinds = [type(b) for b in sec.blocks]
    assert kinds == [Text, Table, Text]
    assert (
        sec.blocks[0].text.startswith("LUSIFER beats `base`")
        and "against 0.32" in sec.blocks[0].text
    )
    table = sec.blocks[1]
    assert table.columns == ["model", "ru", "ru->en"]
    assert table.rows == [["base", "0.32", "0.10"], ["lusifer", "0.61", "0.44"]]


def test_markup_in_a_summary_is_escaped_not_rendered():
    html = render_html("t", [mdsection.parse(SUMMARY, "x")])
    assert "&lt;b&gt;here&lt;/b&gt;" in html and "<b>here" not in html
    assert "<code>base</code>" in html


def test_a_summary_without_title_or_a_folder_without_one_is_refused(tmp_path):
    with pytest.raises(InputError, match="## Title"):
        mdsection.parse("no title\n", "x/summary.md")
    with pytest.raises(InputError, match="holds no summary.md"):
        mdsection.read(tmp_path)
