"""The zoo's tokenizers: byte-level BPE for the causal LMs, SentencePiece-style Unigram for the encoder.

- `causal_tokenizer`: Llama-3 style byte-level BPE (regex split, Llama-3 specials and chat
  template, BOS added), trained on the model's own pretraining text. For `base` that text is
  English-heavy, so Russian falls apart into many short pieces: the English-centric starting
  point LEP (arXiv 2412.21140) adapts.
- `encoder_tokenizer`: XLM-R style Unigram (Metaspace "▁" word boundaries, `<s>`=0, `<pad>`=1,
  `</s>`=2, `<unk>`=3, `<mask>`), trained on both languages, saved with tokenizer_class
  XLMRobertaTokenizer so AutoTokenizer loads it beside an XLM-R config.
"""

from __future__ import annotations

from pathlib import Path

from langadapt import tiny

XLMR_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def causal_tokenizer(texts: list[str], vocab_size: int, out: Path) -> Path:
    """Train a Llama-3 style byte-level BPE of `vocab_size` tokens (specials included)."""
    return tiny.train_byte_level_bpe(texts, vocab_size, out, style="llama3")


def canonical_unigram(vocab: list[list], n_special: int) -> list[list]:
    """A trained Unigram vocabulary `[[piece, score], ...]` made the same on every run.

    The `tokenizers` Unigram trainer sums in parallel and keeps its required characters in a
    hash set, so two runs on the same text differ: scores in their last bits, and the order (so
    the ids, and with them the encoder's weights) of the characters it appends at the end with
    made-up scores a step of 1e-4 apart. Scores are rounded to 1e-9 (far below anything that
    changes a segmentation), pieces sorted by score then text, and that appended run of single
    characters is put in text order over the same scores.
    """
    head = vocab[:n_special]
    rest = sorted(([p, round(s, 9)] for p, s in vocab[n_special:]), key=lambda ps: (-ps[1], ps[0]))
    i = len(rest) - 1
    while i > 0 and len(rest[i - 1][0]) == 1 and rest[i - 1][1] - rest[i][1] <= 1.5e-4:
        i -= 1
    tail = rest[i:] if rest and len(rest[-1][0]) == 1 else []
    pieces = sorted(p for p, _ in tail)
    tail = [[p, s] for p, (_, s) in zip(pieces, tail)]
    return head + rest[: len(rest) - len(tail)] + tail


def encoder_tokenizer(texts: list[str], vocab_size: int, out: Path) -> Path:
    """Train an XLM-R style Unigram tokenizer and save an HF folder."""
    import json

    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )

    from langadapt.tokens.convert import write_hf_tokenizer

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=XLMR_SPECIALS,
        unk_token="<unk>",
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    tj = json.loads(tok.to_str())
    tj["model"]["vocab"] = canonical_unigram(tj["model"]["vocab"], len(XLMR_SPECIALS))
    out = write_hf_tokenizer(
        tj,
        out,
        specials={
            "bos_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
        },
    )
    cfg_path = Path(out) / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "XLMRobertaTokenizer"
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out
