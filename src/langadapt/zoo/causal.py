"""Build the zoo's causal LMs: a tokenizer, a random Llama, pretraining, instruction tuning.

Each step is a normal langadapt stage (`train.pretrain.run`, `train.sft.run`) writing its own
folder with manifest.json, metrics.jsonl and loss.png, so a model card can say exactly how its
model was made, and an interrupted zoo build resumes at the unfinished stage.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from langadapt import tiny
from langadapt.corpus import iter_json_lines, read_json_lines
from langadapt.engine.schedule import Schedule
from langadapt.models import load_tokenizer
from langadapt.train import pretrain, sft
from langadapt.zoo import data
from langadapt.zoo.tokenizers import causal_tokenizer


@dataclass(frozen=True)
class CausalSpec:
    """Shape and training of one causal member (see `build.SIZES`)."""

    vocab: int
    hidden: int
    layers: int
    heads: int
    shares: dict[str, float]  # language -> share of the world's pretraining documents
    qa_langs: tuple[str, ...]  # languages whose train-people QA lines join pretraining
    qa_repeat: int
    pretrain_steps: int
    pretrain_lr: float
    sft_langs: tuple[str, ...]
    sft_steps: int
    sft_lr: float
    block_size: int = 128
    batch_size: int = 8
    # pretraining QA documents: "text" (the named answer) or "chat" (see data.qa_text)
    qa_form: Literal["text", "chat"] = "text"
    # what the tokenizer is trained on, when it is not the pretraining text: a base can read
    # more Russian than its tokenizer was fitted to, as Llama-2/Mistral read non-English text
    # their English-centric tokenizers split into many pieces
    tokenizer_shares: dict[str, float] | None = None
    tokenizer_qa_langs: tuple[str, ...] | None = None


def _results(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    keep = ("steps", "final_loss", "tokens_per_s", "corpus_tokens", "blocks", "conversations")
    res = {k: v for k, v in manifest["results"].items() if k in keep}
    first = next(iter_json_lines(folder / "metrics.jsonl"))[1]["loss"]
    return res | {"first_loss": round(first, 4), "seconds": manifest["seconds"]}


def init_model(spec: CausalSpec, texts: list[str], out: Path, seed: int) -> Path:
    """A tokenizer trained on `texts` and a randomly initialised Llama beside it."""
    if (out / "config.json").is_file():
        return out
    work = out.with_name(out.name + ".tmp")
    causal_tokenizer(texts, spec.vocab, work)
    tok = load_tokenizer(work)
    model = tiny.tiny_causal_lm(
        "llama",
        len(tok),
        hidden=spec.hidden,
        layers=spec.layers,
        heads=spec.heads,
        kv_heads=spec.heads,
        intermediate=4 * spec.hidden,
        max_positions=1024,
        seed=seed,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    model.save_pretrained(str(work))
    work.rename(out)
    return out


def pretrained(spec: CausalSpec, world: Path, work: Path, out: Path, seed: int) -> dict:
    """Pretrain a new model from random init on world text; returns what the card reports."""
    t0 = time.perf_counter()
    corpus = data.pretrain_corpus(
        world,
        spec.shares,
        list(spec.qa_langs),
        spec.qa_repeat,
        work / f"{out.name}.corpus.jsonl",
        spec.qa_form,
    )
    texts = [r["text"] for r in read_json_lines(corpus)]
    tok_texts = texts
    if spec.tokenizer_shares is not None or spec.tokenizer_qa_langs is not None:
        tok_corpus = data.pretrain_corpus(
            world,
            spec.tokenizer_shares or spec.shares,
            list(spec.qa_langs if spec.tokenizer_qa_langs is None else spec.tokenizer_qa_langs),
            spec.qa_repeat,
            work / f"{out.name}.tokenizer.jsonl",
            spec.qa_form,
        )
        tok_texts = [r["text"] for r in read_json_lines(tok_corpus)]
    init = init_model(spec, tok_texts, work / f"{out.name}.init", seed)
    pretrain.run(
        model=init,
        corpus=[corpus],
        out=out,
        train="all",
        block_size=spec.block_size,
        schedule=Schedule(
            lr=spec.pretrain_lr,
            batch_size=spec.batch_size,
            max_steps=spec.pretrain_steps,
            warmup_steps=min(20, spec.pretrain_steps),
            weight_decay=0.1,
            save_every=0,
            seed=seed,
        ),
    )
    docs = {
        lang: round(share * len(read_json_lines(world / f"pretrain/{lang}.jsonl")))
        for lang, share in spec.shares.items()
    }
    return {
        "stage": "pretrain (all weights, from random init)",
        "data": [f"pretrain/{lang}.jsonl: first {n} documents" for lang, n in docs.items()]
        + [
            f"QA {'chats' if spec.qa_form == 'chat' else 'lines'} of train people ({lang}) "
            f"x{spec.qa_repeat}"
            for lang in spec.qa_langs
        ],
        **(
            {
                "tokenizer data": "fitted to "
                + ", ".join(
                    [
                        f"pretrain/{lang}.jsonl: first {round(share * 100)}%"
                        for lang, share in (spec.tokenizer_shares or spec.shares).items()
                    ]
                    + [
                        f"QA of train people ({lang})"
                        for lang in (
                            spec.qa_langs
                            if spec.tokenizer_qa_langs is None
                            else spec.tokenizer_qa_langs
                        )
                    ]
                )
            }
            if spec.tokenizer_shares is not None or spec.tokenizer_qa_langs is not None
            else {}
        ),
        "documents": len(texts),
        "vocab": len(load_tokenizer(init)),
        "hidden": spec.hidden,
        "layers": spec.layers,
        "lr": spec.pretrain_lr,
        "block_size": spec.block_size,
        "batch_size": spec.batch_size,
        **_results(out),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }


def tuned(spec: CausalSpec, model: Path, world: Path, work: Path, out: Path, seed: int) -> dict:
    """Full instruction tuning of `model` on the world's training instructions of `sft_langs`."""
    t0 = time.perf_counter()
    chats = data.sft_data(world, list(spec.sft_langs), work / f"{out.name}.sft.jsonl")
    sft.run(
        model=model,
        data=[chats],
        out=out,
        max_length=192,
        schedule=Schedule(
            lr=spec.sft_lr,
            batch_size=spec.batch_size,
            max_steps=spec.sft_steps,
            warmup_steps=min(10, spec.sft_steps),
            save_every=0,
            seed=seed,
        ),
    )
    return {
        "stage": "sft (full fine-tuning, loss on assistant turns)",
        "data": [
            f"instruct/train.{lang}.jsonl + QA chats of train people, sentence answers ({lang})"
            for lang in spec.sft_langs
        ],
        "lr": spec.sft_lr,
        "batch_size": spec.batch_size,
        **_results(out),
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }
