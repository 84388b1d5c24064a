"""`langadapt vocab stats`: compare tokenizers on corpora, the way the LEP paper does.

The LEP paper (Tikhomirov & Chernyshev, arXiv 2412.21140, section 2.1) judges a tokenizer for
a language by its *symbols per token*: characters of text divided by the tokens it becomes
(higher = fewer tokens per text = cheaper and longer effective context). Next to it this
command reports what engineers check before swapping a tokenizer: tokens per word, UTF-8 bytes
per token, the share of byte-fallback and unknown tokens, and the share of lines that survive
decode(encode(x)) unchanged. It only reads, so it is a report command, not a stage: it prints
one table per corpus and, when asked, writes the figures as JSON and a bar chart (both written
atomically).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from pathlib import Path

from langadapt.artifacts import write_json_atomic, write_text_atomic
from langadapt.corpus import Corpus
from langadapt.errors import ConfigError, TokenizerError
from langadapt.report.plots import missing_plot_extra
from langadapt.tokens.metrics import TokenizerStats, tokenizer_stats

# (header, TokenizerStats field, format)
COLUMNS = (
    ("vocab", "vocab_size", "{:,}"),
    ("symbols/token", "symbols_per_token", "{:.3f}"),
    ("tokens/word", "tokens_per_word", "{:.3f}"),
    ("bytes/token", "bytes_per_token", "{:.3f}"),
    ("byte-fallback %", "byte_fallback_share", "{:.2%}"),
    ("unknown %", "unknown_share", "{:.2%}"),
    ("round trip %", "round_trip", "{:.2%}"),
)


def format_table(corpus: str, rows: dict[str, TokenizerStats]) -> str:
    """An aligned text table: one row per tokenizer, the columns of `COLUMNS`."""
    header = ["tokenizer", *(h for h, _, _ in COLUMNS)]
    body = [
        [name, *(fmt.format(getattr(s, field)).replace("%", "") for _, field, fmt in COLUMNS)]
        for name, s in rows.items()
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    n_lines = next(iter(rows.values())).lines if rows else 0

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))])

    out = [f"corpus: {corpus} ({n_lines:,} lines)", line(header)]
    out.append("  ".join("-" * w for w in widths))
    out += [line(r) for r in body]
    return "\n".join(out)


def _labels(folders: list[Path]) -> list[str]:
    """Short, unique names for tokenizer folders: the folder name, or more of the path."""
    names = [f.name for f in folders]
    if len(set(names)) == len(names):
        return names
    return [str(f) for f in folders]


def plot_symbols_per_token(results: dict[str, dict[str, TokenizerStats]], path: Path) -> None:
    """A grouped bar chart of symbols per token: one group per corpus, one bar per tokenizer."""
    from langadapt.report.plots import grouped_bars

    corpora = list(results)
    names = list(next(iter(results.values())))
    png = grouped_bars(
        [Path(c).name for c in corpora],
        {n: [results[c][n].symbols_per_token for c in corpora] for n in names},
        title="Tokenizer efficiency",
        ylabel="symbols per token (higher is better)",
    )
    write_text_atomic(path, png)


def _progress(texts: Iterable[str], desc: str) -> Iterable[str]:
    from tqdm.auto import tqdm

    return tqdm(texts, desc=desc, unit=" lines", leave=False, mininterval=1.0, disable=None)


def run(
    *,
    tokenizer: list[Path],
    corpus: list[Path],
    json: Path | None = None,
    plot: Path | None = None,
    max_lines: int = 0,
    text_field: str = "text",
) -> dict[str, dict[str, dict]]:
    """Compare tokenizers on corpora: symbols per token (LEP 2.1), byte fallback, round trip.

    Args:
        tokenizer: one or more tokenizer (or model) folders with a fast tokenizer.
        corpus: one or more text/JSONL/Parquet files; each gets its own table.
        json: also write all figures to this JSON file.
        plot: also draw symbols per token per tokenizer, grouped by corpus, into this PNG.
        max_lines: measure only the first this many lines of each corpus (0 = all).
        text_field: the text field of JSONL/Parquet corpora.
    """
    from langadapt.models import load_tokenizer

    if max_lines < 0:
        raise ConfigError(f"--max-lines must not be negative, not {max_lines}")
    corpora = {str(c): Corpus(c, field=text_field) for c in corpus}  # checks every file exists
    folders = [Path(t) for t in tokenizer]
    toks = {}
    for label, folder in zip(_labels(folders), folders):
        tok = load_tokenizer(folder)
        if not tok.is_fast:
            raise TokenizerError(f"{folder} holds no fast tokenizer (tokenizer.json)")
        toks[label] = tok
    if plot is not None and missing_plot_extra(f"--plot {plot}"):
        plot = None  # the tables and --json are written all the same

    results: dict[str, dict[str, TokenizerStats]] = {}
    for cname, texts in corpora.items():
        results[cname] = {}
        for label, tok in toks.items():
            stream = islice(texts, max_lines) if max_lines else texts
            results[cname][label] = tokenizer_stats(tok, _progress(stream, label))
        print(format_table(cname, results[cname]) + "\n")
    as_dict = {c: {t: s.as_dict() for t, s in rows.items()} for c, rows in results.items()}
    if json is not None:
        Path(json).parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(
            Path(json),
            {"tokenizers": {k: str(f) for k, f in zip(toks, folders)}, "corpora": as_dict},
        )
        print(f"wrote {json}")
    if plot is not None:
        plot_symbols_per_token(results, Path(plot))
        print(f"wrote {plot}")
    return as_dict
