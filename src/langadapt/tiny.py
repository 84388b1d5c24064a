"""Tiny but real Hugging Face models and tokenizers, built in code in seconds.

Tests, benchmarks and the embedded default use these instead of downloaded checkpoints: the same
classes (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, XLMRobertaForMaskedLM), the same
tokenizer families (SentencePiece BPE with byte fallback, byte-level BPE), only small.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Literal

Arch = Literal["llama", "mistral", "qwen2"]
ARCHS: tuple[Arch, ...] = ("llama", "mistral", "qwen2")

# Chat templates in the style of the real families, so the chat-token paths are exercised.
MISTRAL_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
    "{{ '[INST] ' + m['content'] + ' [/INST]' }}{% elif m['role'] == 'assistant' %}"
    "{% generation %}{{ m['content'] + eos_token }}{% endgeneration %}{% endif %}{% endfor %}"
)
LLAMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' }}"
    "{% if m['role'] == 'assistant' %}{% generation %}{{ m['content'] + '<|eot_id|>' }}"
    "{% endgeneration %}{% else %}{{ m['content'] + '<|eot_id|>' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)
LLAMA3_SPECIALS = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
]
QWEN2_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' }}"
    "{% if m['role'] == 'assistant' %}{% generation %}{{ m['content'] + '<|im_end|>' }}"
    "{% endgeneration %}{% else %}{{ m['content'] + '<|im_end|>' }}{% endif %}{{ '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
QWEN2_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Llama-3's pre-tokenizer regex
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def builtin_corpus() -> list[str]:
    """The small hand-written English/Russian corpus shipped with the package (50 lines)."""
    text = resources.files("langadapt").joinpath("data/bilingual.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line.strip()]


def tiny_causal_lm(
    arch: Arch = "llama",
    vocab_size: int = 512,
    *,
    tied: bool = False,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int | None = None,
    max_positions: int = 512,
    seed: int = 0,
    bos_token_id: int | None = 1,
    eos_token_id: int | None = 2,
    pad_token_id: int | None = None,
):
    """A randomly initialised causal LM of a real architecture, shape `[vocab, hidden]` embeddings."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, Qwen2Config

    cls = {"llama": LlamaConfig, "mistral": MistralConfig, "qwen2": Qwen2Config}[arch]
    cfg = cls(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=intermediate or 2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=tied,
        bos_token_id=bos_token_id,
        eos_token_id=eos_token_id,
        pad_token_id=pad_token_id,
    )
    torch.manual_seed(seed)
    return AutoModelForCausalLM.from_config(cfg)


def tiny_xlmr(
    vocab_size: int = 512,
    *,
    hidden: int = 32,
    layers: int = 2,
    heads: int = 4,
    max_positions: int = 514,
    seed: int = 0,
):
    """A randomly initialised XLM-R masked LM (the LUSIFER encoder family)."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaForMaskedLM

    cfg = XLMRobertaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=2 * hidden,
        max_position_embeddings=max_positions,
        pad_token_id=1,
    )
    torch.manual_seed(seed)
    return XLMRobertaForMaskedLM(cfg)


def train_spm_bpe(
    texts: Iterable[str],
    vocab_size: int,
    out: Path,
    *,
    chat_template: str | None = MISTRAL_CHAT_TEMPLATE,
) -> Path:
    """Train a Mistral-style SentencePiece BPE (byte fallback, digits split) and save an HF folder.

    Special tokens are `<unk>`=0, `<s>`=1, `</s>`=2 as in Mistral-7B and Llama-2.
    """
    import sentencepiece as spm

    from langadapt.tokens.convert import spm_bpe_tokenizer_json, write_hf_tokenizer

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="bpe",
        byte_fallback=True,
        split_digits=True,
        character_coverage=1.0,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        normalization_rule_name="identity",
        hard_vocab_limit=False,
        minloglevel=2,
        num_threads=1,
    )
    with tempfile.TemporaryDirectory() as tmp:
        mfile = Path(tmp) / "tokenizer.model"
        mfile.write_bytes(model.getvalue())
        tj = spm_bpe_tokenizer_json(mfile)
        return write_hf_tokenizer(
            tj,
            out,
            chat_template=chat_template,
            spm_model=mfile,
            specials={"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
        )


def train_byte_level_bpe(
    texts: Iterable[str],
    vocab_size: int,
    out: Path,
    *,
    style: Literal["llama3", "qwen2"] = "llama3",
) -> Path:
    """Train a byte-level BPE (regex split, bytes as characters) and save an HF folder.

    `style` picks the special tokens and chat template: Llama-3's (BOS `<|begin_of_text|>`) or
    Qwen2's (ChatML, no BOS). Specials come after the learned vocabulary, as in both families.
    """
    specials = LLAMA3_SPECIALS if style == "llama3" else QWEN2_SPECIALS
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    from langadapt.tokens.convert import bos_post_processor, write_hf_tokenizer

    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(specials),
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(list(texts), trainer)
    tok.add_special_tokens(specials)
    data = json.loads(tok.to_str())
    if style == "qwen2":
        return write_hf_tokenizer(
            data,
            out,
            chat_template=QWEN2_CHAT_TEMPLATE,
            extra_special=QWEN2_SPECIALS[1:],
            specials={"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
        )
    bos = LLAMA3_SPECIALS[0]
    data["post_processor"] = bos_post_processor(bos, tok.token_to_id(bos))
    return write_hf_tokenizer(
        data,
        out,
        chat_template=LLAMA3_CHAT_TEMPLATE,
        extra_special=LLAMA3_SPECIALS[2:],
        specials={"bos_token": bos, "eos_token": "<|end_of_text|>", "pad_token": "<|end_of_text|>"},
    )


# The (architecture, tokenizer family, tied) combinations that exist in the wild: Llama-2 and
# Mistral-7B use SentencePiece BPE, Llama-3 and Qwen2 byte-level BPE; Qwen2 ties small models.
TINY_MATRIX: tuple[tuple[Arch, str, bool], ...] = (
    ("llama", "sentencepiece-bpe", False),
    ("mistral", "sentencepiece-bpe", False),
    ("llama", "byte-level-bpe", False),
    ("qwen2", "byte-level-bpe", True),
    ("qwen2", "byte-level-bpe", False),
    ("llama", "sentencepiece-bpe", True),
)


def tiny_model_folder(
    out: Path,
    *,
    arch: Arch = "llama",
    family: str = "byte-level-bpe",
    vocab_size: int = 400,
    tied: bool = False,
    texts: list[str] | None = None,
    seed: int = 0,
    **model_kwargs,
) -> Path:
    """A folder with a tiny model and a matching tokenizer trained on `texts` (builtin corpus).

    Qwen2 only comes with byte-level BPE: transformers 5 loads any tokenizer beside a Qwen2
    config as Qwen2Tokenizer, which assumes that family.
    """
    from langadapt.models import load_tokenizer

    if arch == "qwen2" and family != "byte-level-bpe":
        raise ValueError("Qwen2 models use byte-level BPE tokenizers")
    out = Path(out)
    texts = texts or builtin_corpus()
    if family == "sentencepiece-bpe":
        train_spm_bpe(texts, vocab_size, out)
    else:
        train_byte_level_bpe(texts, vocab_size, out, style="qwen2" if arch == "qwen2" else "llama3")
    tok = load_tokenizer(out)
    model = tiny_causal_lm(
        arch,
        len(tok),
        tied=tied,
        seed=seed,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        **model_kwargs,
    )
    model.save_pretrained(str(out))
    return out
