"""`langadapt vocab extend`: grow a BPE tokenizer with tokens learned on a target-language corpus.

This is the "Extended" vocabulary of the LEP paper (Tikhomirov & Chernyshev, arXiv 2412.21140,
section 2.1.1): every base token keeps its id and string, so the base model's embedding rows
stay valid, and new tokens take the ids after the largest existing one. `vocab_map.json`
records the mapping for the embedding initialisation stage.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from langadapt.artifacts import StageRun, write_json_atomic
from langadapt.errors import ConfigError, InputError, TokenizerError
from langadapt.tokens.family import detect_family, read_tokenizer_json
from langadapt.vocab.bpe_continue import learn_merges
from langadapt.vocab.bpe_edit import append_tokens, max_id, prune_rank_dead, spm_append_pieces
from langadapt.vocab.limits import check_learned, format_report, merge_rules, stop_report
from langadapt.vocab.words import (
    base_tokens,
    count_hub_spm_units,
    count_lines,
    count_units,
    is_hub_spm,
)

BPE_FAMILIES = ("sentencepiece-bpe", "byte-level-bpe")
# tokenizer files carried over from the base folder (never model weights or config.json)
CARRIED = (
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "chat_template.json",
    "generation_config.json",
)


def check_bpe_base(base: Path) -> tuple[dict[str, Any], str]:
    """(tokenizer.json, family) of a base folder, or TokenizerError for non-BPE families."""
    tok_json = read_tokenizer_json(base)
    family = detect_family(tok_json, where=str(base))
    if family not in BPE_FAMILIES:
        raise TokenizerError(
            f"{base} holds a {family} tokenizer; vocab extend/optimize support BPE families "
            "only (SentencePiece BPE such as Mistral-7B/Llama-2, byte-level BPE such as "
            "Llama-3/Qwen2/Mistral-Nemo). For Unigram tokenizers train a new one with "
            "`langadapt vocab train`"
        )
    return tok_json, family


def check_new_tokens(new_tokens: int) -> None:
    if new_tokens < 1:
        raise ConfigError(
            f"--new-tokens is {new_tokens}; give how many tokens to learn, at least 1 "
            "(the LEP paper adds a few thousand to tens of thousands)"
        )


def extend_json(
    tok_json: dict[str, Any],
    family: str,
    units: Counter[str],
    n_new: int,
    *,
    min_frequency: int = 2,
    log=print,
) -> tuple[dict[str, Any], list[str], list[str], dict[str, Any]]:
    """Learn up to `n_new` tokens on counted units.

    Returns (tokenizer.json, added tokens, dropped rank-dead tokens, the stop report of
    `vocab.limits.stop_report`).
    """
    vocab = tok_json["model"]["vocab"]
    chars: list[str] = []
    if family == "sentencepiece-bpe":
        # characters the base lacks fall back to bytes; as single tokens they need no merge
        char_counts: Counter[str] = Counter()
        for u, c in units.items():
            for ch in u:
                char_counts[ch] += c
        chars = [
            ch for ch, c in char_counts.most_common() if ch not in vocab and c >= min_frequency
        ][:n_new]
    interim = append_tokens(tok_json, chars, []) if chars else tok_json
    words_list = list(units)
    t0 = time.perf_counter()
    words = base_tokens(interim, words_list)
    counts = [units[w] for w in words_list]
    learned = learn_merges(
        words,
        counts,
        n_new - len(chars),
        min_frequency=min_frequency,
        forbid=merge_rules(tok_json, family),
        existing=set(vocab) | set(chars),
    )
    merges = learned.merges
    log(
        f"learned {len(merges)} merges over {len(words)} unique words "
        f"in {time.perf_counter() - t0:.1f}s"
    )
    known = set(vocab) | set(chars)
    tokens = chars + list(dict.fromkeys(a + b for a, b in merges if a + b not in known))
    out, kept, _, dropped = prune_rank_dead(tok_json, tokens, merges, family)
    report = stop_report(
        n_new,
        len(kept),
        learned,
        dropped=len(dropped),
        min_frequency=min_frequency,
        words=len(units),
    )
    return out, kept, dropped, report


def vocab_map(base: Path, family: str, old_size: int, new_json: dict, old_to_new: list) -> dict:
    """The vocab_map.json record read by the embedding initialisation stage."""
    new_size = max_id(new_json) + 1
    mapped = {i for i in old_to_new if i is not None}
    return {
        "base": str(Path(base).absolute()),
        "family": family,
        "old_vocab_size": old_size,
        "new_vocab_size": new_size,
        "old_to_new": old_to_new,
        "new_ids": sorted(
            i
            for i in set(new_json["model"]["vocab"].values())
            | {t["id"] for t in new_json["added_tokens"]}
            if i not in mapped
        ),
    }


def write_folder(
    tmp: Path, base: Path, tok_json: dict, spm_model: bytes | None, vmap: dict
) -> None:
    """Write the tokenizer folder and check that it loads with the ids we meant.

    The check goes through `tokenizers` (what AutoTokenizer wraps), not transformers, whose
    import alone costs seconds; the tests load every output with AutoTokenizer.
    """
    from tokenizers import Tokenizer

    (tmp / "tokenizer.json").write_text(json.dumps(tok_json, ensure_ascii=False), "utf-8")
    for name in CARRIED:
        if (Path(base) / name).is_file():
            shutil.copy(Path(base) / name, tmp / name)
    if spm_model is not None:
        (tmp / "tokenizer.model").write_bytes(spm_model)
    write_json_atomic(tmp / "vocab_map.json", vmap)
    tok = Tokenizer.from_file(str(tmp / "tokenizer.json"))
    size = tok.get_vocab_size(with_added_tokens=True)
    moved = [
        t["content"] for t in tok_json["added_tokens"] if tok.token_to_id(t["content"]) != t["id"]
    ]
    if size != vmap["new_vocab_size"] or moved:
        raise TokenizerError(
            f"the written tokenizer loads with {size} tokens (expected {vmap['new_vocab_size']})"
            f"{' and moved ' + ', '.join(moved[:5]) if moved else ''}; please report this with "
            f"the base folder {base}"
        )


def read_units(
    corpus: list[Path], text_field: str, tok_json: dict, family: str
) -> tuple[int, Counter[str]]:
    """(number of texts, units with counts) of a corpus, split as the base tokenizer splits."""
    from langadapt.corpus import Corpus

    lines = count_lines(Corpus(corpus, field=text_field))
    if len(lines) == 1:
        (text, n), where = next(iter(lines.items())), ", ".join(str(p) for p in corpus)
        raise InputError(
            f"{where}: all {n} lines are the same text ({text[:60]!r}); tokens learned from it "
            "would only spell that one sentence. Give a corpus of varied target-language text "
            "(many distinct lines)"
        )
    if family == "sentencepiece-bpe" and is_hub_spm(tok_json):
        return lines.total(), count_hub_spm_units(lines)
    return lines.total(), count_units(lines, tok_json, family)


def run(
    *,
    base: Path,
    corpus: list[Path],
    new_tokens: int,
    out: Path,
    min_frequency: int = 2,
    text_field: str = "text",
    force: bool = False,
) -> Path:
    """Extend a BPE tokenizer with new tokens learned on a corpus (LEP "Extended", sec. 2.1.1).

    Learning continues BPE training from the base vocabulary: the corpus is split into words
    exactly as the base tokenizer splits text, each unique word starts as its base tokens, and
    the most frequent adjacent pair is merged until `new_tokens` tokens exist. Base ids never
    change; new tokens are real vocabulary (model.vocab + merges), and any that encoding its
    own text would not produce ("rank-dead") is dropped and counted.

    Args:
        base: Hugging Face tokenizer folder (tokenizer.json; SentencePiece BPE or byte-level BPE).
        corpus: text files (.txt lines, .jsonl/.parquet with a text field) or folders of them.
        new_tokens: how many tokens to add at most.
        out: output tokenizer folder (with vocab_map.json, old id -> new id).
        min_frequency: a pair seen fewer times in the corpus is never merged.
        text_field: field of JSONL/Parquet corpora that holds the text.
        force: replace `out` even when it holds another run.
    """
    check_new_tokens(new_tokens)
    tok_json, family = check_bpe_base(base)
    run_ = StageRun(
        "vocab.extend",
        out,
        inputs={"base": base, "corpus": list(corpus)},
        options={
            "new_tokens": new_tokens,
            "min_frequency": min_frequency,
            "text_field": text_field,
        },
        force=force,
    )
    if run_.up_to_date():
        return out
    with run_.writing() as tmp:
        t0 = time.perf_counter()
        lines, units = read_units(corpus, text_field, tok_json, family)
        t_count = time.perf_counter() - t0
        new_json, added, dropped, report = extend_json(
            tok_json, family, units, new_tokens, min_frequency=min_frequency
        )
        check_learned(report, corpus, min_frequency)
        spm = None
        if (Path(base) / "tokenizer.model").is_file() and family == "sentencepiece-bpe":
            spm = spm_append_pieces((Path(base) / "tokenizer.model").read_bytes(), added)
        old_size = max_id(tok_json) + 1
        ids = set(tok_json["model"]["vocab"].values()) | {t["id"] for t in tok_json["added_tokens"]}
        vmap = vocab_map(
            base, family, old_size, new_json, [i if i in ids else None for i in range(old_size)]
        )
        write_folder(tmp, base, new_json, spm, vmap)
        print(
            f"vocab extend: added {len(added)} tokens ({vmap['old_vocab_size']} -> "
            f"{vmap['new_vocab_size']}); dropped_rank_dead={len(dropped)}"
        )
        if format_report(report):
            print(f"vocab extend: {format_report(report)}")
        run_.results.update(
            family=family,
            added=len(added),
            dropped_rank_dead=len(dropped),
            stop=report,
            old_vocab_size=vmap["old_vocab_size"],
            new_vocab_size=vmap["new_vocab_size"],
            lines=lines,
            unique_words=len(units),
            seconds_counting=round(t_count, 2),
            seconds_total=round(time.perf_counter() - t0, 2),
        )
    return out
