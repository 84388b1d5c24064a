"""What limits continued BPE: the rules the base tokenizer itself follows, and the corpus.

A new token is only useful if the base's own tokenizer could have made it. Three rules:

- `special`: special/added tokens, the unknown token and `<0xNN>` byte-fallback tokens are
  atoms; no merge touches them.
- `word boundary` (SentencePiece family): SentencePiece trains with `split_by_whitespace`, so a
  piece holds "▁" only as its first character. The corpus is already cut into such units
  (`vocab/words.py`), whatever the tokenizer.json layout; this rule is the guard behind it.
  Byte-level families are cut by their pre-tokenizer regex, which needs no such guard.
- `digits`: when the base encodes numbers one digit per token (Mistral-7B, Llama-2, tekken,
  Qwen2), no new token may hold a digit next to anything. This is decided by encoding probe
  numbers with the base, not from vocabulary strings: real vocabularies hold filler entries such
  as `[PAD32011]` that the tokenizer never produces from text.

When fewer tokens than asked could be learned (the corpus ran out of pairs seen
`min_frequency` times, or the rules refused the frequent ones), `stop_report` says why and what
to change; the stage prints it and stores it in manifest.json (`results.stop`). When not a
single token could be learned, `check_learned` raises instead, so no tokenizer identical to the
base is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langadapt.errors import ConfigError, InputError
from langadapt.vocab.bpe_continue import Learned
from langadapt.vocab.bpe_edit import BYTE_TOKEN, protected_tokens

SPECIAL, BOUNDARY, DIGITS = "special", "word boundary", "digits"
WHY = {
    SPECIAL: "touch special, unknown or byte tokens",
    BOUNDARY: "would hold a word boundary (▁) after their first character",
    DIGITS: "would join a digit to something (the base splits numbers into single digits)",
}
# numbers as they occur in text: years, round numbers, decimals, numbers beside words
DIGIT_PROBES = ("2024", "100", "1234567890", "3.14", "в 1999 году", "page 42,", "x7", "007")


def _has_digit(token: str) -> bool:
    return any(c.isdecimal() for c in token)


def splits_digits(tok_json: dict[str, Any]) -> bool:
    """True when the base tokenizer puts every digit of the probe numbers in a token of its own.

    Byte-level token strings spell ASCII digits as themselves, so the check reads the token
    strings of both families directly. False when no probe token holds a digit (a base that
    drops digits as unknown).
    """
    from tokenizers import Tokenizer

    bare = dict(tok_json, post_processor=None)
    backend = Tokenizer.from_str(json.dumps(bare, ensure_ascii=False))
    encs = backend.encode_batch(list(DIGIT_PROBES), add_special_tokens=False)
    # a byte-fallback token "<0x32>" is the one character "2"
    tokens = [chr(int(t[3:5], 16)) if BYTE_TOKEN.match(t) else t for e in encs for t in e.tokens]
    with_digits = [t for t in tokens if _has_digit(t)]
    return bool(with_digits) and all(len(t) == 1 for t in with_digits)


def merge_rules(tok_json: dict[str, Any], family: str) -> Callable[[str, str], str | None]:
    """forbid(left, right): the name of the rule a merge breaks, or None when it may merge."""
    protected = protected_tokens(tok_json)
    no_digits = splits_digits(tok_json)
    spm = family == "sentencepiece-bpe"

    def forbid(a: str, b: str) -> str | None:
        if a in protected or b in protected:
            return SPECIAL
        if spm and "▁" in (a + b)[1:]:
            return BOUNDARY
        if no_digits and (_has_digit(a) or _has_digit(b)):
            return DIGITS
        return None

    return forbid


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def stop_report(
    asked: int,
    added: int,
    learned: Learned,
    *,
    dropped: int,
    min_frequency: int,
    words: int,
) -> dict[str, Any]:
    """{"asked", "added", "stop", "best_left", "why": [sentences], "excluded": {rule: pairs},
    "fix"}: `words` is the number of distinct words of the corpus."""
    why: list[str] = []
    fix = None
    if learned.stop == "min_frequency":
        why.append(
            f"no remaining pair of tokens occurs {_times(min_frequency)} or more in the corpus "
            f"(the most frequent remaining pair occurs {_times(learned.best_left)})"
        )
        lower = (
            f" or a lower --min-frequency (now {min_frequency}; {learned.best_left} would merge "
            "the next pair)"
            if min_frequency > 1 and learned.best_left > 0
            else ""
        )
        fix = f"for more tokens give a larger corpus (now {words} distinct words){lower}"
    elif learned.stop == "no_pairs":
        why.append("no pair of tokens is left to merge: every word of the corpus is one token")
        fix = "for more tokens give a larger, more varied corpus"
    for rule, n in sorted(learned.excluded.items()):
        why.append(f"{n} pairs seen at least {min_frequency} times were excluded: they {WHY[rule]}")
    if learned.rebuilt:
        why.append(f"{learned.rebuilt} merges rebuilt tokens the base already holds (not new)")
    if dropped:
        why.append(f"{dropped} learned tokens were dropped as rank-dead")
    return {
        "asked": asked,
        "added": added,
        "stop": learned.stop if added < asked else "enough",
        "best_left": learned.best_left,
        "why": why if added < asked else [],
        "excluded": dict(learned.excluded),
        "fix": fix if added < asked else None,
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as the lines the stage prints (empty when every asked token was added)."""
    if report["added"] >= report["asked"]:
        return ""
    text = f"added {report['added']} of the {report['asked']} tokens asked for: "
    text += "; ".join(report["why"]) + "."
    return text + (f" To change it: {report['fix']}." if report["fix"] else "")


def check_learned(report: dict[str, Any], corpus: list[Path], min_frequency: int) -> None:
    """Raise when no token at all was learned: the output would be the base again."""
    if report["added"] > 0:
        return
    where = ", ".join(str(p) for p in corpus)
    reason = "; ".join(report["why"])
    if report["stop"] == "min_frequency" and min_frequency > 1:
        raise ConfigError(
            f"--min-frequency {min_frequency} is above the count of every pair of tokens in "
            f"{where}, so no token was learned ({reason}). Lower --min-frequency (to "
            f"{max(report['best_left'], 1)} or less) or give a larger corpus"
        )
    raise InputError(
        f"no new token could be learned from {where} ({reason}). Give a larger corpus of "
        "varied target-language text"
    )
