"""Cross-lingual retrieval sets from parallel texts: line i of every language is one meaning.

Each text in language X is a query whose one relevant document is its translation in language
Y, searched among all the texts of Y (`doc_lang`), for every ordered pair X != Y. With 113
prompts in four languages (`../shared/data/xling`: `alpacaeval_test_subset.{en,fr,pt,ru}.jsonl`,
each line a JSON list of chat messages) that is 12 pairs x 113 queries; `lusifer eval` scores
each pair and all of them:

    from langadapt.lusifer.parallel import parallel_rows, write_rows
    rows = parallel_rows(read_parallel(folder / "data", "alpacaeval_test_subset.{lang}.jsonl",
                                       ["en", "fr", "pt", "ru"]))
    write_rows(rows, "xling.retrieval.jsonl")
    # langadapt lusifer eval --model M --data xling.retrieval.jsonl --out ev/
"""

from __future__ import annotations

from pathlib import Path

from langadapt.corpus import iter_json_lines, write_json_lines
from langadapt.errors import InputError


def _text(value: object, where: str) -> str:
    """A line's text: a string, {'text'|'content': ...}, or the first user turn of a chat."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("text", "content", "instruction"):
            if isinstance(value.get(key), str):
                return value[key]
    if isinstance(value, list):
        for msg in value:
            if isinstance(msg, dict) and msg.get("role") == "user":
                return _text(msg, where)
    raise InputError(
        f"{where}: expected a text, an object with 'text' or 'content', or a chat (a list of "
        "messages with a 'user' turn)"
    )


def read_parallel(folder: Path, pattern: str, langs: list[str]) -> dict[str, list[str]]:
    """{lang: texts} from `folder / pattern.format(lang=...)`; the files must align line by line."""
    out = {}
    for lang in langs:
        path = Path(folder) / pattern.format(lang=lang)
        out[lang] = [_text(obj, where).strip() for where, obj in iter_json_lines(path)]
    sizes = {lang: len(t) for lang, t in out.items()}
    if len(set(sizes.values())) != 1:
        raise InputError(
            f"parallel files in {folder} differ in length ({sizes}); line i of each must be "
            "the same text in its language"
        )
    return out


def parallel_rows(
    texts: dict[str, list[str]], pairs: list[tuple[str, str]] | None = None
) -> list[dict]:
    """Retrieval rows (`evaldata.py`'s format) for every ordered pair of languages, or `pairs`."""
    langs = list(texts)
    pairs = pairs or [(x, y) for x in langs for y in langs if x != y]
    rows = []
    for x, y in pairs:
        for lang in (x, y):
            if lang not in texts:
                raise InputError(f"no texts in language '{lang}' (have {', '.join(langs)})")
        rows += [
            {"query": q, "positive": d, "lang": x, "doc_lang": y}
            for q, d in zip(texts[x], texts[y])
            if q and d
        ]
    return rows


def write_rows(rows: list[dict], path: Path) -> Path:
    """Write the rows as a `lusifer eval` retrieval file (name it NAME.retrieval.jsonl)."""
    write_json_lines(Path(path), rows)
    return Path(path)
