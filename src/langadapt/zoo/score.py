"""Exact-match fact accuracy of a chat model: the zoo's acceptance figures.

A question is asked the way the `world_facts` evaluation task asks it: the user turn
"Question: {question}" ("Вопрос: ..." in Russian), rendered with the model's chat template, and
the assistant turn opened with "Answer:" ("Ответ:"); the greedy continuation up to the end of
the turn or line, stripped of spaces and a final full stop and casefolded, must equal the
casefolded gold answer.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.corpus import read_json_lines
from langadapt.zoo.data import PROMPT


def normalise(text: str) -> str:
    return text.strip().rstrip(".").strip().casefold()


def prompts(tokenizer, questions: list[str], lang: str) -> list[str]:
    """Chat-rendered prompts ending in the answer prefix, without the BOS the tokenizer adds."""
    q, a = PROMPT[lang]
    out = []
    for question in questions:
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": q + question}], tokenize=False, add_generation_prompt=True
        )
        bos = tokenizer.bos_token
        out.append((text[len(bos) :] if bos and text.startswith(bos) else text) + a)
    return out


def fact_accuracy(model: Path, rows: list[dict], lang: str, batch_size: int = 32) -> dict:
    """{"exact": share of exact answers, "n": questions, "examples": the first few}."""
    from langadapt.llm.local import LocalBackend

    backend = LocalBackend(model, batch_size=batch_size, dtype="float32", device="cpu")
    texts = prompts(backend.tokenizer, [r["question"] for r in rows], lang)
    preds = backend.generate(texts, max_new_tokens=32, stop=["\n"])
    hits = [
        any(normalise(p) == normalise(g) for g in r.get("answers", [r["answer"]]))
        for p, r in zip(preds, rows)
    ]
    examples = [
        {"question": r["question"], "answer": r["answer"], "pred": p.strip()}
        for p, r in zip(preds[:5], rows[:5])
    ]
    return {"exact": round(sum(hits) / max(1, len(rows)), 4), "n": len(rows), "examples": examples}


def world_scores(model: Path, world: Path, langs: tuple[str, ...] = ("en", "ru")) -> dict:
    """Held-out fact accuracy per language, from the world's eval/facts.{lang}.jsonl."""
    return {
        f"facts.{lang}": fact_accuracy(
            model, read_json_lines(Path(world) / f"eval/facts.{lang}.jsonl"), lang
        )
        for lang in langs
    }
