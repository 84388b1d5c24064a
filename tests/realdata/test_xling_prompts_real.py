"""The paper's prompt files: language ID puts them in their language; every file reads."""

from __future__ import annotations

import pytest

from langadapt.xling.lid import identifier
from langadapt.xling.prompts import read_all

pytestmark = pytest.mark.realdata
LANGS = ("en", "fr", "pt", "ru")


@pytest.mark.parametrize("lang", LANGS)
def test_lid_puts_the_prompts_in_their_language(shared_data, lang):
    path = shared_data / "xling" / "data" / f"alpacaeval_test_subset.{lang}.jsonl"
    prompts = read_all([path])
    assert len(prompts) == 113
    lid = identifier()
    right = sum(lid.identify(p.text)[0] == lang for p in prompts)
    assert right / len(prompts) >= 0.99, f"{right} of {len(prompts)} identified as {lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_modifier_files_read_with_their_types_and_bases(shared_data, lang):
    data = shared_data / "xling" / "data"
    prompts = read_all(
        [data / f"alpacaeval_test_subset.{lang}.jsonl", data / f"modifiers.{lang}.jsonl"]
    )
    mods = [p for p in prompts if p.modifier]
    assert len(mods) == 251
    assert all(p.base for p in mods if p.modifier in ("short", "long"))
    for p in mods:
        identifier().check_language(p.expected, p.where)
        if p.modifier.startswith("lang_"):
            assert p.expected == p.modifier[5:] != lang
