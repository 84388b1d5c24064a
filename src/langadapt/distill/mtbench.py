"""MT-Bench single-answer grading (Zheng et al., "Judging LLM-as-a-judge with MT-Bench and
Chatbot Arena", arXiv 2306.05685), read from the benchmark's own files.

A folder holds FastChat's `question.jsonl` (80 two-turn questions in 8 categories),
`judge_prompts.jsonl` (the judge templates: `single-v1`, `single-math-v1` and their
`-multi-turn` twins) and `reference_answer_gpt-4.jsonl` (reference answers for the categories
FastChat grades against one: math, reasoning, coding). Turn 1 is graded with `single-v1`
(`single-math-v1` with the reference), turn 2 with the multi-turn template, which shows the
whole conversation and asks about the second answer, as FastChat does. The judge replies
"Rating: [[N]]" on 1-10; a reply without a rating is counted as unreadable, never scored
(FastChat stores -1 for it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from langadapt.errors import InputError

NEED_REF = frozenset({"math", "reasoning", "coding"})  # FastChat's NEED_REF_CATS
FILES = ("question.jsonl", "judge_prompts.jsonl", "reference_answer_gpt-4.jsonl")
_RATING = (re.compile(r"\[\[(\d+\.?\d*)\]\]"), re.compile(r"\[(\d+\.?\d*)\]"))


def _jsonl(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    except ValueError as exc:
        raise InputError(f"MT-Bench file {path} is not valid JSONL: {exc}") from None


def load(folder: Path) -> dict:
    """{"questions": [...], "prompts": {name: record}, "references": {question_id: [turns]}}."""
    folder = Path(folder)
    missing = [f for f in FILES if not (folder / f).is_file()]
    if missing:
        raise InputError(
            f"MT-Bench folder {folder} lacks {', '.join(missing)}; point --mt-bench-dir at a "
            f"folder with FastChat's {', '.join(FILES)} (the default is ../shared/data/mt_bench)"
        )
    questions = _jsonl(folder / "question.jsonl")
    prompts = {p["name"]: p for p in _jsonl(folder / "judge_prompts.jsonl")}
    need = ("single-v1", "single-math-v1", "single-v1-multi-turn", "single-math-v1-multi-turn")
    lacking = [n for n in need if n not in prompts]
    if lacking:
        raise InputError(f"{folder}/judge_prompts.jsonl lacks the template(s) {', '.join(lacking)}")
    refs = {r["question_id"]: r["choices"][0]["turns"]
            for r in _jsonl(folder / "reference_answer_gpt-4.jsonl")}  # fmt: skip
    for q in questions:
        if not isinstance(q.get("turns"), list) or len(q["turns"]) < 2 or "category" not in q:
            raise InputError(f"{folder}/question.jsonl question {q.get('question_id')} needs "
                             "'category' and two 'turns'")  # fmt: skip
        if q["category"] in NEED_REF and q["question_id"] not in refs:
            raise InputError(f"MT-Bench question {q['question_id']} ({q['category']}) has no "
                             "reference answer in reference_answer_gpt-4.jsonl")  # fmt: skip
    return {"questions": questions, "prompts": prompts, "references": refs}


def judge_text(bench: dict, question: dict, answers: list[str], turn: int) -> str:
    """The judge's message for one question's `turn` (1 or 2): the template's system prompt,
    a blank line, then its filled prompt (small models' chat templates may lack a system role,
    so it leads the user turn)."""
    ref = question["category"] in NEED_REF
    name = ("single-math-v1" if ref else "single-v1") + ("-multi-turn" if turn == 2 else "")
    tpl = bench["prompts"][name]
    q = question["turns"]
    fill: dict[str, str] = {}
    if turn == 1:
        fill = {"question": q[0], "answer": answers[0]}
    else:
        fill = {"question_1": q[0], "question_2": q[1], "answer_1": answers[0],
                "answer_2": answers[1]}  # fmt: skip
    if ref:
        r = bench["references"][question["question_id"]]
        fill |= (
            {"ref_answer_1": r[0]} if turn == 1 else {"ref_answer_1": r[0], "ref_answer_2": r[1]}
        )
    # str.format would read braces in the questions; fill each known field once, by name
    text = tpl["prompt_template"]
    text = re.sub(r"\{(\w+)\}", lambda m: fill.get(m.group(1), m.group(0)), text)
    return f"{tpl['system_prompt']}\n\n{text}"


def parse_rating(text: str) -> float | None:
    """FastChat's reading: the first "[[N]]", else the first "[N]"; off 1-10 is unreadable."""
    for pat in _RATING:
        m = pat.search(text)
        if m:
            value = float(m.group(1))
            return value if 1 <= value <= 10 else None
    return None
