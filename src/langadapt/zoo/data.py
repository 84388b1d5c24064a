"""What the zoo trains on, derived from a world folder (`langadapt world generate`).

Besides the world's own files, two derived sets teach tiny models to *extract* facts they read:

- question/answer pairs about TRAIN people ("Question: How old is Anna Petrova?\\nAnswer: Anna
  Petrova is 48 years old."), for every fact relation, mixed into the pretraining text.
  Allen-Zhu & Li (Physics of Language Models 3.1, arXiv 2309.14316, section 5) show that a model
  pretrained on biographies plus QA of some people answers questions about the others, while
  biographies alone followed by QA fine-tuning mostly fail to; the held-out (eval) people never
  get a QA line. In "text" form the answer restates the name, so the fact follows the name as it
  does in the biographies; in "chat" form (the small `base`) the pair is the QA chat below,
  rendered with the chat template, so pretraining already practises the exact format the
  model is asked in (docs/zoo.md: mean held-out accuracy over seeds 0.73 -> 0.78).
- the same pairs as chats ("Question: ..." -> "Answer: She is 48 years old."), the prompt format
  of the `world_facts` evaluation task, beside the world's own conversations. Answering with a
  sentence rather than the bare value is what makes held-out facts come out: the model writes
  the words that precede the fact in the biographies and completes them (docs/zoo.md: 18% of
  held-out facts with bare answers, 54% with sentences, same base and schedule).

The QA pairs are rebuilt from the world's seed and size (its manifest) with the generator's own
question templates; the rebuilt world is checked against the folder's eval/facts files first.
"""

from __future__ import annotations

import json
from pathlib import Path

from langadapt.corpus import read_json_lines, write_json_lines
from langadapt.errors import InputError

# files `zoo build` reads; a folder without them is not a world
REQUIRED = (
    "manifest.json",
    "kb.jsonl",
    "pretrain/en.jsonl",
    "pretrain/ru.jsonl",
    "instruct/train.en.jsonl",
    "instruct/train.ru.jsonl",
    "instruct/test.ru.jsonl",
    "eval/facts.en.jsonl",
    "eval/facts.ru.jsonl",
)
PROMPT = {"en": ("Question: ", "Answer:"), "ru": ("Вопрос: ", "Ответ:")}
# positions in a facts row's `answers` (world.evalsets.facts): short, pronoun sentence, named one
PRONOUN_SENTENCE, NAMED_SENTENCE = 1, 2


def check_world(world: Path) -> dict:
    """The world's manifest, after checking that every file the zoo reads is there."""
    world = Path(world)
    make = "make one with: langadapt world generate --seed 0 --size small --out DIR"
    if not world.is_dir():
        raise InputError(f"--world {world} is not a folder; {make}")
    for name in REQUIRED:
        if not (world / name).is_file():
            raise InputError(f"--world {world} is not a world: {name} is missing; {make}")
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    opts = manifest.get("options", {})
    if manifest.get("stage") != "world.generate" or "seed" not in opts or "size" not in opts:
        raise InputError(
            f"--world {world}: manifest.json is not that of `langadapt world generate`; {make}"
        )
    return manifest


def train_qa(world: Path, lang: str) -> list[dict]:
    """{"question", "answer"} for every fact relation of every TRAIN person of the world."""
    from langadapt.world import evalsets
    from langadapt.world.entities import build_world
    from langadapt.world.generate import SIZES

    opts = check_world(world)["options"]
    rebuilt = build_world(int(opts["seed"]), SIZES[opts["size"]]["people"])
    if evalsets.facts(rebuilt.split("eval"), lang) != read_json_lines(
        world / f"eval/facts.{lang}.jsonl"
    ):
        raise InputError(
            f"--world {world}: eval/facts.{lang}.jsonl differs from what seed {opts['seed']} "
            f"size {opts['size']} gives with this langadapt version; regenerate the world"
        )
    return evalsets.facts(rebuilt.split("train"), lang)


def qa_text(row: dict, lang: str, form: str = "text") -> str:
    """One pretraining QA document: plain text with the named sentence ("text"), or the QA chat
    as the zoo's chat template renders it ("chat", see `chat_text`)."""
    if form == "chat":
        return chat_text(qa_chat(row, lang)["messages"])
    q, a = PROMPT[lang]
    return f"{q}{row['question']}\n{a} {row['answers'][NAMED_SENTENCE]}"


def chat_text(messages: list[dict]) -> str:
    """A conversation as the zoo's Llama-3 chat template (`tiny.LLAMA3_CHAT_TEMPLATE`) renders it,
    without the BOS: pretraining adds one to every document."""
    return "".join(
        f"<|start_header_id|>{m['role']}<|end_header_id|>\n\n{m['content']}<|eot_id|>"
        for m in messages
    )


def qa_chat(row: dict, lang: str) -> dict:
    q, a = PROMPT[lang]
    return {
        "messages": [
            {"role": "user", "content": q + row["question"]},
            {"role": "assistant", "content": f"{a} {row['answers'][PRONOUN_SENTENCE]}"},
        ]
    }


def pretrain_corpus(
    world: Path,
    shares: dict[str, float],
    qa_langs: list[str],
    qa_repeat: int,
    out: Path,
    qa_form: str = "text",
) -> Path:
    """Pretraining text, one {"text"} document per line: the given share of each language's
    world documents (in file order) plus `qa_repeat` copies of the train-people QA documents of
    `qa_langs`, in `qa_form` (see `qa_text`)."""
    rows = []
    for lang, share in shares.items():
        docs = read_json_lines(world / f"pretrain/{lang}.jsonl")
        rows += docs[: max(1, round(share * len(docs)))]
    for lang in qa_langs:
        rows += [{"text": qa_text(r, lang, qa_form)} for r in train_qa(world, lang)] * qa_repeat
    write_json_lines(out, rows)
    return out


def sft_data(world: Path, langs: list[str], out: Path) -> Path:
    """Instruction data: the world's training conversations plus QA chats with sentence answers."""
    rows = []
    for lang in langs:
        rows += [
            {"messages": r["messages"]}
            for r in read_json_lines(world / f"instruct/train.{lang}.jsonl")
        ]
        rows += [qa_chat(r, lang) for r in train_qa(world, lang)]
    write_json_lines(out, rows)
    return out
