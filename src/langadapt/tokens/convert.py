"""Turn a SentencePiece BPE or Unigram `tokenizer.model` into a Hugging Face tokenizer folder.

transformers' own conversion (LlamaTokenizer) uses a Metaspace pre-tokenizer that drops a
leading space and adds no BOS. We write the layout of the Hub's Mistral-7B/Llama-2
`tokenizer.json` instead, which is lossless: a Prepend("▁") + Replace(" " -> "▁") normalizer,
no pre-tokenizer, a BPE model with byte fallback, a decoder that strips the one added space,
and a post-processor that puts BOS in front.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

HUB_SPM_NORMALIZER = {
    "type": "Sequence",
    "normalizers": [
        {"type": "Prepend", "prepend": "▁"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
    ],
}


def bos_post_processor(bos: str, bos_id: int) -> dict[str, Any]:
    """A TemplateProcessing post-processor that puts `bos` before each sequence."""
    special = {"SpecialToken": {"id": bos, "type_id": 0}}
    return {
        "type": "TemplateProcessing",
        "single": [special, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [
            special,
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": bos, "type_id": 1}},
            {"Sequence": {"id": "B", "type_id": 1}},
        ],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }


def spm_bpe_tokenizer_json(model_file: Path) -> dict[str, Any]:
    """The Hub-style tokenizer.json (as a dict) of a SentencePiece BPE model file."""
    from transformers import LlamaTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(model_file, Path(tmp) / "tokenizer.model")
        # transformers reads the protobuf, including byte pieces and scores -> merges
        slow = LlamaTokenizer.from_pretrained(tmp, legacy=False)
        data = json.loads(slow.backend_tokenizer.to_str())
    data["normalizer"] = HUB_SPM_NORMALIZER
    data["pre_tokenizer"] = None
    data["model"]["unk_token"] = data["model"].get("unk_token") or "<unk>"
    vocab = data["model"]["vocab"]
    bos = next((t for t in ("<s>", "<|begin_of_text|>") if t in vocab), None)
    if bos is not None:
        data["post_processor"] = bos_post_processor(bos, vocab[bos])
    return data


# SentencePiece piece types (sentencepiece_model.proto): which pieces the segmenter may choose
_SPM_NORMAL, _SPM_UNKNOWN, _SPM_CONTROL, _SPM_USER, _SPM_UNUSED, _SPM_BYTE = 1, 2, 3, 4, 5, 6
# Score given to byte and control pieces in the Unigram lattice. SentencePiece never puts them in
# its lattice (bytes only replace unknown characters); the tokenizers Unigram model has no piece
# types, so a literal "<0x41>" in the text would win as one piece with SentencePiece's score 0
# and decode to "A". A score far below every real piece keeps them out of every best path.
_EXCLUDED_SCORE = -1e6


def spm_unigram_tokenizer_json(model_file: Path) -> dict[str, Any]:
    """The tokenizer.json (as a dict) of a SentencePiece Unigram model, in the lossless layout.

    Same layout as `spm_bpe_tokenizer_json` (Prepend+Replace("▁") normalizer, no
    pre-tokenizer, byte-fallback decoder that strips the one added space, BOS post-processor),
    with a Unigram model: `vocab` is the list of [piece, log-probability] in id order, as
    transformers' SpmConverter builds it. Control, unknown and user-defined pieces become
    added tokens (control ones special), as SpmConverter does.
    """
    from sentencepiece import sentencepiece_model_pb2 as spm_pb2

    proto = spm_pb2.ModelProto()
    proto.ParseFromString(Path(model_file).read_bytes())
    spec = proto.trainer_spec
    vocab = [
        [p.piece, _EXCLUDED_SCORE if p.type in (_SPM_BYTE, _SPM_CONTROL) else p.score]
        for p in proto.pieces
    ]
    added = [
        {
            "id": i,
            "content": p.piece,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": p.type != _SPM_USER,
        }
        for i, p in enumerate(proto.pieces)
        if p.type in (_SPM_UNKNOWN, _SPM_CONTROL, _SPM_USER)
    ]
    bos = proto.pieces[spec.bos_id].piece if spec.bos_id >= 0 else None
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": HUB_SPM_NORMALIZER,
        "pre_tokenizer": None,
        "post_processor": bos_post_processor(bos, spec.bos_id) if bos else None,
        "decoder": {
            "type": "Sequence",
            "decoders": [
                {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
                {"type": "ByteFallback"},
                {"type": "Fuse"},
                {"type": "Strip", "content": " ", "start": 1, "stop": 0},
            ],
        },
        "model": {
            "type": "Unigram",
            "unk_id": spec.unk_id,
            "vocab": vocab,
            "byte_fallback": bool(spec.byte_fallback),
        },
    }


def write_hf_tokenizer(
    tok_json: dict[str, Any],
    out: Path,
    *,
    specials: dict[str, str],
    chat_template: str | None = None,
    extra_special: list[str] | None = None,
    spm_model: Path | None = None,
) -> Path:
    """Save a tokenizer.json dict as a folder AutoTokenizer loads (fast), with its specials.

    Args:
        tok_json: the tokenizers pipeline as a dict.
        out: folder to write (created).
        specials: role -> token string, e.g. {"bos_token": "<s>", "eos_token": "</s>"}.
        chat_template: a Jinja chat template to store with the tokenizer.
        extra_special: further special token strings (chat tokens) to mark as special.
        spm_model: a SentencePiece model file to copy in as tokenizer.model.
    """
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(tok_json, ensure_ascii=False)),
        **specials,
    )
    if extra_special:
        tok.add_special_tokens({"additional_special_tokens": list(extra_special)})
    if chat_template:
        tok.chat_template = chat_template
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(str(out))
    if spm_model is not None:
        shutil.copy(spm_model, out / "tokenizer.model")
    return out
