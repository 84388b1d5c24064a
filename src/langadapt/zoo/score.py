"""Exact-match fact accuracy of a chat model: the zoo's acceptance figures, by `langadapt eval`.

The questions are scored by the evaluation harness as the shipped `world_facts.{lang}` task
asks them: its template (the user turn "Question: {question}", "Вопрос: ..." in Russian,
rendered with the model's chat template, the assistant turn opened with "Answer:" / "Ответ:"),
its generation options (greedy, 32 new tokens, stop at a line break) and its gold answers (the
short answer or either full sentence), through the harness's `generate` method on a
`LocalBackend`. The figure is the registered metric `exact_match_nostop`: the stripped,
casefolded prediction must equal a gold answer, a final full stop ignored on both sides. That
is the task's own `exact_match` (strip + casefold) except for the final full stop: "Milan."
against the gold "Milan" counts here and not there, so the two figures can differ.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.corpus import read_json_lines

METRIC = "exact_match_nostop"


def fact_items(rows: list[dict], lang: str, tokenizer) -> tuple[list[dict], dict]:
    """(harness items, each with its chat `prompt`, and the task's options) for fact rows
    (`{"id", "question", "answers", ...}` as in a world's eval/facts.{lang}.jsonl)."""
    from langadapt.evaluate.data import Record
    from langadapt.evaluate.prompts import build_items, prompt
    from langadapt.evaluate.taskfile import resolve_tasks

    (task,) = resolve_tasks([f"world_facts.{lang}"])
    records = []
    for i, row in enumerate(rows, 1):
        rec = Record(row)
        rec.where = f"fact row {i}"
        records.append(rec)
    items = build_items(task, records, [], 0)
    delimiter = task.options.get("delimiter", " ")
    for it in items:
        it["prompt"] = prompt(it, chat=bool(tokenizer.chat_template), delimiter=delimiter)
    return items, task.options


def fact_accuracy(model: Path, rows: list[dict], lang: str, batch_size: int = 32) -> dict:
    """{"exact": share of exact answers, "n": questions, "examples": the first few}."""
    from langadapt import registry
    from langadapt.evaluate.methods.generate import generate
    from langadapt.llm.local import LocalBackend

    backend = LocalBackend(model, batch_size=batch_size, dtype="float32", device="cpu")
    items, options = fact_items(rows, lang, backend.tokenizer)
    # one call: the backend batches all questions by length, `batch_size` at a time
    results = generate(
        backend, items, options=options, batch_size=batch_size, tokenizer=backend.tokenizer
    )
    scored = [{"gold": it["gold"], **res} for it, res in zip(items, results)]
    exact = registry.get("metric", METRIC).func(scored) if scored else 0.0
    examples = [
        {"question": r["question"], "answer": r["answer"], "pred": s["pred"]}
        for s, r in zip(scored[:5], rows[:5])
    ]
    return {"exact": round(exact, 4), "n": len(rows), "examples": examples}


def world_scores(model: Path, world: Path, langs: tuple[str, ...] = ("en", "ru")) -> dict:
    """Held-out fact accuracy per language, from the world's eval/facts.{lang}.jsonl."""
    return {
        f"facts.{lang}": fact_accuracy(
            model, read_json_lines(Path(world) / f"eval/facts.{lang}.jsonl"), lang
        )
        for lang in langs
    }
