"""`langadapt vocab optimize`: keep a base tokenizer's most used tokens, then extend it.

This is the "Optimized" vocabulary of the LEP paper (Tikhomirov & Chernyshev, arXiv
2412.21140, section 2.1.1): base tokens rarely used on the target-language corpus are removed
and tokens learned on it are added, so the vocabulary (and the embedding matrix
`[vocab, hidden]`) need not grow as much as with plain extension.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from langadapt.artifacts import StageRun
from langadapt.errors import ConfigError
from langadapt.tokens.family import bytes_to_unicode
from langadapt.vocab.bpe_edit import max_id, protected_tokens, spm_append_pieces, spm_keep_pieces
from langadapt.vocab.extend import (
    check_bpe_base,
    check_new_tokens,
    extend_json,
    read_units,
    vocab_map,
    write_folder,
)
from langadapt.vocab.limits import check_learned, format_report
from langadapt.vocab.prune import closure, keep_tokens
from langadapt.vocab.words import base_tokens


def token_counts(tok_json: dict, units: Counter[str]) -> Counter[str]:
    """How often each base token occurs when the base tokenizer encodes the counted units."""
    words = list(units)
    counts: Counter[str] = Counter()
    for w, toks in zip(words, base_tokens(tok_json, words)):
        c = units[w]
        for t in toks:
            counts[t] += c
    return counts


def _remap_config(path: Path, old_to_new: dict[int, int]) -> None:
    """Renumber `added_tokens_decoder` of a copied tokenizer_config.json, if it has one."""
    if not path.is_file():
        return
    cfg = json.loads(path.read_text(encoding="utf-8"))
    dec = cfg.get("added_tokens_decoder")
    if isinstance(dec, dict):
        cfg["added_tokens_decoder"] = {str(old_to_new[int(k)]): v for k, v in dec.items()}
        path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", "utf-8")


def run(
    *,
    base: Path,
    corpus: list[Path],
    keep: int,
    new_tokens: int,
    out: Path,
    min_frequency: int = 2,
    text_field: str = "text",
    force: bool = False,
) -> Path:
    """Keep the `keep` base tokens used most on a corpus, then add tokens learned on it (LEP).

    Kept: the `keep` most frequent ordinary tokens of the base tokenization of the corpus, every
    special/added token, every byte token (<0xNN> for SentencePiece, the 256 byte symbols for
    byte-level BPE), and every token BPE passes through to build a kept one. The rest and their
    merges are dropped, ids are renumbered compactly in their old order, and `new_tokens`
    tokens are learned as in `vocab extend`. vocab_map.json maps old ids to new (null: dropped).

    Args:
        base: Hugging Face tokenizer folder (tokenizer.json; SentencePiece BPE or byte-level BPE).
        corpus: text files (.txt lines, .jsonl/.parquet with a text field) or folders of them.
        keep: how many of the most frequent base tokens to keep (before the closure).
        new_tokens: how many tokens to add at most after pruning.
        out: output tokenizer folder (with vocab_map.json, old id -> new id).
        min_frequency: a pair seen fewer times in the corpus is never merged.
        text_field: field of JSONL/Parquet corpora that holds the text.
        force: replace `out` even when it holds another run.
    """
    if keep < 1:
        raise ConfigError(
            f"--keep is {keep}; give how many of the base tokens most used on the corpus to "
            "keep, at least 1 (specials and byte tokens are always kept on top)"
        )
    check_new_tokens(new_tokens)
    tok_json, family = check_bpe_base(base)
    run_ = StageRun(
        "vocab.optimize",
        out,
        inputs={"base": base, "corpus": list(corpus)},
        options={
            "keep": keep,
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
        atoms = protected_tokens(tok_json)
        if family == "byte-level-bpe":
            atoms |= set(bytes_to_unicode().values())
        freq = token_counts(tok_json, units)
        top = [t for t, _ in freq.most_common() if t not in atoms][:keep]
        vocab = tok_json["model"]["vocab"]
        kept = closure(set(top), tok_json, atoms) | {t for t in atoms if t in vocab}
        pruned, old_to_new = keep_tokens(tok_json, kept)
        new_json, added, dropped, report = extend_json(
            pruned, family, units, new_tokens, min_frequency=min_frequency
        )
        check_learned(report, corpus, min_frequency)
        spm = None
        spm_file = Path(base) / "tokenizer.model"
        if family == "sentencepiece-bpe" and spm_file.is_file():
            spm = spm_append_pieces(
                spm_keep_pieces(spm_file.read_bytes(), sorted(old_to_new)), added
            )
        old_size = max_id(tok_json) + 1
        vmap = vocab_map(
            base, family, old_size, new_json, [old_to_new.get(i) for i in range(old_size)]
        )
        write_folder(tmp, base, new_json, spm, vmap)
        _remap_config(tmp / "tokenizer_config.json", old_to_new)
        n_kept = len(old_to_new)
        print(
            f"vocab optimize: kept {n_kept} of {old_size} base ids ({len(top)} by frequency, "
            f"{n_kept - len(top)} specials/bytes/closure), added {len(added)}; "
            f"dropped_rank_dead={len(dropped)}"
        )
        occurring = sum(1 for t in freq if t not in atoms)
        keep_note = None
        if len(top) < keep:
            # --keep counts base tokens the corpus uses; the rest have no frequency to rank by
            keep_note = (
                f"kept {len(top)} of --keep {keep} by frequency: only {occurring} ordinary base "
                "tokens occur in the base tokenization of the corpus; a larger corpus would "
                "rank more of them"
            )
            print(f"vocab optimize: {keep_note}")
        if format_report(report):
            print(f"vocab optimize: {format_report(report)}")
        run_.results.update(
            family=family,
            kept=n_kept,
            kept_by_frequency=len(top),
            keep_note=keep_note,
            added=len(added),
            dropped_rank_dead=len(dropped),
            stop=report,
            old_vocab_size=old_size,
            new_vocab_size=vmap["new_vocab_size"],
            lines=lines,
            unique_words=len(units),
            seconds_total=round(time.perf_counter() - t0, 2),
        )
    return out
