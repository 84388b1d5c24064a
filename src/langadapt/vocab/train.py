"""`langadapt vocab train`: a new target-language tokenizer trained with SentencePiece.

LEP (Tikhomirov & Chernyshev, arXiv 2412.21140, section 2.1.1) compares extending a base
tokenizer with replacing it by one trained from scratch on the target language, in a BPE and a
Unigram variant. This stage makes the second kind. The training follows Mistral-7B's own
SentencePiece settings (byte fallback, digits split into single tokens, whitespace-only pieces
allowed, no normalization, one space prepended), which makes decode(encode(x)) == x exact.

The output is a Hugging Face folder that AutoTokenizer loads as a fast tokenizer (the Hub's
lossless Mistral layout of tokenizer.json) plus the SentencePiece `tokenizer.model`. With
`like`, the new tokenizer is a drop-in replacement for a base model's: the same special token
strings in the same roles, the same chat tokens (declared to SentencePiece as symbols that are
never split), the same chat template, and BOS added exactly when the base adds it.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Literal

from langadapt.artifacts import StageRun
from langadapt.corpus import Corpus
from langadapt.errors import ConfigError, InputError, LangAdaptError
from langadapt.vocab.like import Specials, default_specials, read_like

N_BYTES = 256  # byte-fallback pieces <0x00>..<0xFF>
# SentencePiece's own messages for a vocabulary that does not fit the corpus
_TOO_SMALL = re.compile(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)")
_TOO_LARGE = re.compile(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)")
# Characters of the byte-piece spelling "<0xNN>". In a Unigram vocabulary they must be pieces of
# their own, or a literal "<0x41>" in a text would be read as the byte piece and decode to "A"
# (see convert.spm_unigram_tokenizer_json).
_BYTE_SPELLING = "<>x0123456789ABCDEF"


def _template(specials: Specials, ids: dict[str, int]) -> dict | None:
    """A TemplateProcessing post-processor adding BOS and/or EOS as the base does, or None."""
    bos, eos = specials.roles.get("bos_token"), specials.roles.get("eos_token")
    pre = [bos] if specials.add_bos and bos else []
    post = [eos] if specials.add_eos and eos else []
    if not pre and not post:
        return None

    def seq(name: str, type_id: int) -> list[dict]:
        sp = [{"SpecialToken": {"id": t, "type_id": type_id}} for t in pre]
        tail = [{"SpecialToken": {"id": t, "type_id": type_id}} for t in post]
        return [*sp, {"Sequence": {"id": name, "type_id": type_id}}, *tail]

    return {
        "type": "TemplateProcessing",
        "single": seq("A", 0),
        "pair": seq("A", 0) + seq("B", 1),
        "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in pre + post},
    }


def _spm_symbols(specials: Specials) -> dict:
    """SentencePiece trainer arguments that reserve the carried tokens at the front of the vocab.

    unk/bos/eos/pad take SentencePiece's own slots (ids 0.. in that order; SentencePiece always
    needs an unknown piece, so a base without one still gets `<unk>`); every other carried
    token is a user-defined symbol, which SentencePiece, like the fast tokenizer's added tokens,
    matches whole in raw text and never splits.
    """
    roles = specials.roles
    taken = set(specials.tokens())
    unk = roles.get("unk_token") or next(
        u for u in ("<unk>", "<|unk|>", "<unk_0>") if u not in taken
    )
    args: dict = {"unk_id": 0, "unk_piece": unk}
    next_id = 1
    used = {unk}
    for role, key in (("bos_token", "bos"), ("eos_token", "eos"), ("pad_token", "pad")):
        tok = roles.get(role)
        if tok and tok not in used:
            args[f"{key}_id"], args[f"{key}_piece"] = next_id, tok
            used.add(tok)
            next_id += 1
        else:
            args[f"{key}_id"] = -1
    user = [t for t in specials.tokens() if t not in used]
    bad = [t for t in user if "," in t or any(c.isspace() for c in t)]
    if bad:
        raise ConfigError(
            f"special token(s) {bad[:3]} of the base contain a comma or whitespace, which "
            "SentencePiece cannot declare as a symbol; remove them from the base tokenizer"
        )
    if user:
        args["user_defined_symbols"] = user
    return args


def _finish_json(tok_json: dict, specials: Specials, n_pieces: int) -> dict:
    """Make the converted tokenizer.json carry exactly the base's specials and BOS/EOS policy."""
    special_set = set(specials.tokens()) - set(specials.added)
    # transformers' LlamaTokenizer conversion appends <s>/</s> when the SentencePiece BOS/EOS
    # pieces are named otherwise; they are not part of this vocabulary
    added = [a for a in tok_json["added_tokens"] if a["id"] < n_pieces]
    for a in added:
        a["special"] = a["content"] in special_set or a["content"] == _unk_of(tok_json)
    tok_json["added_tokens"] = added
    ids = {a["content"]: a["id"] for a in added}
    tok_json["post_processor"] = _template(specials, ids)
    return tok_json


def _unk_of(tok_json: dict) -> str | None:
    """The unknown token string of a BPE or Unigram tokenizer.json."""
    model = tok_json["model"]
    if model["type"] == "Unigram":
        return model["vocab"][model["unk_id"]][0] if model.get("unk_id") is not None else None
    return model.get("unk_token")


def run(
    corpus: list[Path],
    *,
    type: Literal["bpe", "unigram"] = "bpe",
    vocab_size: int,
    like: Path | None = None,
    pad_token: str | None = None,
    character_coverage: float = 1.0,
    max_sentences: int = 0,
    shuffle: bool = True,
    max_sentence_length: int = 16384,
    text_field: str = "text",
    threads: int = 0,
    out: Path,
    force: bool = False,
) -> Path:
    """Train a new BPE or Unigram tokenizer for the target language with SentencePiece.

    Args:
        corpus: text, JSONL or Parquet files (or folders of them) in the target language.
        type: the SentencePiece model: bpe or unigram (LEP section 2.1.1 builds both).
        vocab_size: number of tokens of the new tokenizer, special tokens included.
        like: a base tokenizer (or model) folder; the new tokenizer copies its special tokens,
            roles, chat template and BOS policy so it can replace it. Without it the specials are
            <unk>=0, <s>=1, </s>=2 as in Mistral-7B and Llama-2.
        pad_token: without --like, also reserve this pad token (e.g. "<pad>").
        character_coverage: share of the corpus characters that get their own token; the rest
            are spelled in byte-fallback tokens (Mistral-7B used 0.99995).
        max_sentences: train on a random sample of this many lines (0 = all lines).
        shuffle: sample the lines at random when max_sentences is set.
        max_sentence_length: lines longer than this many bytes are left out of training.
        text_field: the text field of JSONL/Parquet corpora.
        threads: training threads (0 = all CPU cores).
        out: the output tokenizer folder.
        force: replace an existing output folder.
    """
    import sentencepiece as spm

    corpus_files = Corpus(corpus, field=text_field)
    if like is not None and pad_token:
        raise ConfigError("--pad-token cannot be combined with --like: the base decides the pad")
    specials = read_like(Path(like)) if like is not None else default_specials(pad_token)
    n_special = len(specials.tokens()) + (0 if specials.roles.get("unk_token") else 1)
    minimum = n_special + N_BYTES + 1
    if vocab_size < minimum:
        raise ConfigError(
            f"--vocab-size {vocab_size} is too small: {n_special} special tokens + {N_BYTES} "
            f"byte-fallback tokens + at least one character need {minimum} or more (a real "
            "corpus needs more: one token per distinct character)"
        )
    if not 0 < character_coverage <= 1:
        raise ConfigError(f"--character-coverage must be in (0, 1], not {character_coverage}")
    if max_sentences < 0 or threads < 0:
        raise ConfigError("--max-sentences and --threads must not be negative")
    symbols = _spm_symbols(specials)
    run = StageRun(
        "vocab.train",
        out,
        inputs={"corpus": corpus_files.files, "like": like},
        options={
            "type": type,
            "vocab_size": vocab_size,
            "pad_token": pad_token,
            "character_coverage": character_coverage,
            "max_sentences": max_sentences,
            "shuffle": shuffle,
            "max_sentence_length": max_sentence_length,
            "text_field": text_field,
        },
        force=force,
    )
    if run.up_to_date():
        return run.out

    reader_error: list[LangAdaptError] = []

    def sentences():
        # SentencePiece pulls from this inside C++; keep our error to re-raise it afterwards
        from tqdm.auto import tqdm

        try:
            yield from tqdm(corpus_files, desc="reading corpus", unit=" lines", disable=None)
        except LangAdaptError as exc:
            reader_error.append(exc)

    model = io.BytesIO()
    with run.writing() as tmp:
        try:
            spm.SentencePieceTrainer.train(
                sentence_iterator=sentences(),
                model_writer=model,
                model_type=type,
                vocab_size=vocab_size,
                byte_fallback=True,
                split_digits=True,
                allow_whitespace_only_pieces=True,
                character_coverage=character_coverage,
                add_dummy_prefix=True,
                remove_extra_whitespaces=False,
                normalization_rule_name="identity",
                input_sentence_size=max_sentences,
                shuffle_input_sentence=shuffle,
                max_sentence_length=max_sentence_length,
                num_threads=threads or os.cpu_count() or 1,
                required_chars=_BYTE_SPELLING if type == "unigram" else "",
                minloglevel=2,
                **symbols,
            )
        except RuntimeError as exc:
            if reader_error:
                raise reader_error[0] from None
            raise _training_error(str(exc), vocab_size, type) from None
        if reader_error:
            raise reader_error[0]
        _write(tmp, model.getvalue(), type, specials)
        run.results.update(_results(tmp, specials, type))
    return run.out


def _training_error(msg: str, vocab_size: int, type: str) -> LangAdaptError:
    if m := _TOO_SMALL.search(msg):
        return ConfigError(
            f"--vocab-size {vocab_size} is too small for this corpus: its characters and the "
            f"special and byte-fallback tokens need {m.group(2)}; pass --vocab-size "
            f"{m.group(2)} or more, or lower --character-coverage"
        )
    if m := _TOO_LARGE.search(msg):
        return ConfigError(
            f"--vocab-size {vocab_size} is more than this corpus supports for {type} "
            f"(at most {m.group(2)}); lower --vocab-size or give a larger corpus"
        )
    return InputError(f"SentencePiece training failed: {msg}")


def _write(folder: Path, model_bytes: bytes, type: str, specials: Specials) -> None:
    """tokenizer.model + tokenizer.json + tokenizer_config.json (+ chat template) in `folder`."""
    import sentencepiece as spm

    from langadapt.tokens.convert import (
        spm_bpe_tokenizer_json,
        spm_unigram_tokenizer_json,
        write_hf_tokenizer,
    )

    model_file = folder / "tokenizer.model"
    model_file.write_bytes(model_bytes)
    n_pieces = spm.SentencePieceProcessor(model_file=str(model_file)).get_piece_size()
    convert = spm_bpe_tokenizer_json if type == "bpe" else spm_unigram_tokenizer_json
    tok_json = _finish_json(convert(model_file), specials, n_pieces)
    roles = dict(specials.roles)
    roles.setdefault("unk_token", None)  # a byte-level base has none; keep it that way
    write_hf_tokenizer(
        tok_json,
        folder,
        specials={k: v for k, v in roles.items() if v is not None},
        chat_template=specials.chat_template,
        extra_special=specials.extra_special or None,
    )
    cfg_file = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    # exact round trip: transformers' decode must not "clean up" spaces before punctuation
    cfg.update(specials.config, clean_up_tokenization_spaces=False)
    cfg_file.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _results(folder: Path, specials: Specials, type: str) -> dict:
    from langadapt.models import load_tokenizer

    tok = load_tokenizer(folder)
    return {
        "type": type,
        "vocab_size": len(tok),
        "specials_carried": len(specials.tokens()),
        "like_family": specials.family,
        "adds_bos": specials.add_bos,
        "chat_template": specials.chat_template is not None,
    }
