"""Shared fixtures: tiny models and tokenizers built in the test, paths to ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip the test when it is absent (a fresh clone without it)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: real-data tests need ../shared/data beside the repo")
    return SHARED_DATA


@pytest.fixture(scope="session")
def builtin_texts() -> list[str]:
    from langadapt.tiny import builtin_corpus

    return builtin_corpus()


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """Factory: tiny_dir(arch, family, tied) -> a cached tiny model+tokenizer folder."""
    from langadapt.tiny import tiny_model_folder

    cache: dict[tuple, Path] = {}

    def make(
        arch: str = "llama",
        family: str = "byte-level-bpe",
        tied: bool = False,
        vocab_size: int = 400,
        seed: int = 0,
    ) -> Path:
        key = (arch, family, tied, vocab_size, seed)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"tiny-{arch}-{family}-{'tied' if tied else 'untied'}")
            cache[key] = tiny_model_folder(
                out / "model", arch=arch, family=family, tied=tied, vocab_size=vocab_size, seed=seed
            )
        return cache[key]

    return make


@pytest.fixture(scope="session")
def mistral_tokenizer_dir() -> Path:
    """Mistral-7B's real SentencePiece BPE tokenizer as an HF folder (from mistral-common)."""
    pytest.importorskip(
        "mistral_common", reason="the real Mistral tokenizers ship in mistral-common"
    )
    from realtok import mistral_tokenizer_dir as build

    return build()


@pytest.fixture(scope="session")
def tekken_tokenizer_dir() -> Path:
    """Mistral-Nemo's real tekken byte-level BPE tokenizer as an HF folder (cached; slow once)."""
    pytest.importorskip(
        "mistral_common", reason="the real Mistral tokenizers ship in mistral-common"
    )
    from realtok import tekken_tokenizer_dir as build

    return build()
