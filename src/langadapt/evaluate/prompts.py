"""From dataset rows to scorable items, and from items to prompt text for one model.

An item is a dict: `id`, the chat `messages` of the query, the `prefix` that opens the
assistant's answer (e.g. "Answer:"), the `gold` answer, and what its method needs (`choices`,
`continuation`, `text`) and its metrics need (`pair`, `group`). `shots` holds k solved examples
as (messages, prefix, answer text).

What an item carries depends on its method's `item` trait (`registry.TRAITS["eval-method"]`),
and whether shots are shown on its `shots` trait.

Prompts: a model whose tokenizer has a chat template (an instruct model) gets a chat: the
shots as earlier user/assistant turns, then the query, then the prefix as a final assistant
message, which `llm.chat` renders after the generation prompt; a base model gets plain text:
system, then each shot as "user\\nprefix answer", then the query, separated by blank lines (the
lm-eval-harness k-shot layout).
"""

from __future__ import annotations

import copy
from typing import Any

from langadapt import registry
from langadapt.errors import InputError
from langadapt.evaluate.data import Record, as_text, field, fill, get_field
from langadapt.evaluate.permute import permuted_items
from langadapt.evaluate.taskfile import Task
from langadapt.llm.backend import Prompt
from langadapt.llm.chat import prompt_text

_ASSISTANT = ("assistant", "bot")


def _messages(task: Task, rec: Record, extra: dict) -> tuple[list[dict], str]:
    """(context messages, assistant prefix) of one row."""
    tpl = task.template
    if "messages_field" in tpl:
        msgs = field(rec, tpl["messages_field"], purpose="the template (messages_field)")
        inputs = (
            field(rec, tpl["inputs_field"], purpose="the template")
            if tpl.get("inputs_field")
            else {}
        )
        scope = Record({**rec, **(inputs if isinstance(inputs, dict) else {}), **extra})
        scope.where = rec.where
        out = []
        for m in msgs:
            role = "assistant" if m.get("role") in _ASSISTANT else m.get("role", "user")
            out.append({"role": role, "content": fill(str(m.get("content", "")), scope)})
        if out and out[-1]["role"] == "assistant":
            return out[:-1], out[-1]["content"]
        return out, ""
    msgs = []
    if tpl.get("system"):
        msgs.append({"role": "system", "content": fill(tpl["system"], rec, extra)})
    msgs.append({"role": "user", "content": fill(tpl.get("user", ""), rec, extra)})
    return msgs, fill(tpl.get("assistant", ""), rec, extra)


def _kind(task: Task) -> str:
    return registry.get("eval-method", task.method).traits["item"]


def _gold_choice(task: Task, rec: Record, choices: list[str]) -> int:
    value = field(rec, task.options.get("answer_field", "answer"), purpose="the gold answer")
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < len(choices):
            raise InputError(
                f"{rec.where}: answer index {value} is outside the {len(choices)} options"
            )
        return value
    text = str(value).strip()
    for i, c in enumerate(choices):
        if c == text:
            return i
    for i, c in enumerate(choices):
        if c.casefold() == text.casefold():
            return i
    starts = [i for i, c in enumerate(choices) if text.casefold().startswith(c.casefold())]
    if len(starts) == 1:  # RWSD's gold answers are sentences starting with "Да"/"Нет"
        return starts[0]
    raise InputError(
        f"{rec.where}: the answer {value!r} is none of the options {choices}; fix the dataset "
        "or options.choices"
    )


def _base_item(task: Task, rec: Record, idx: int, extra: dict) -> dict[str, Any]:
    id_field = task.dataset.get("id_field")
    item_id = as_text(field(rec, id_field, purpose="the item id")) if id_field else str(idx)
    msgs, prefix = _messages(task, rec, extra)
    item: dict[str, Any] = {"id": item_id, "messages": msgs, "prefix": prefix}
    opts = task.options
    kind = _kind(task)
    if kind == "choices":
        choices = (
            [str(c) for c in opts["choices"]]
            if "choices" in opts
            else [str(c) for c in field(rec, opts["choices_field"], purpose="the options")]
        )
        item["choices"] = choices
        item["gold"] = _gold_choice(task, rec, choices)
    elif kind == "answer":
        gold = field(rec, opts.get("answer_field", "answer"), purpose="the gold answer")
        if isinstance(gold, list) and "answer_join" in opts:
            gold = str(opts["answer_join"]).join(as_text(g) for g in gold)
        item["gold"] = [as_text(g) for g in gold] if isinstance(gold, list) else as_text(gold)
    elif kind == "text":
        item["text"] = str(field(rec, opts.get("text_field", "text"), purpose="the text"))
        item["gold"] = None
    return item


def _shot_answer(task: Task, rec: Record, item: dict) -> str:
    if task.template.get("answer"):
        return fill(task.template["answer"], rec)
    if _kind(task) == "choices":
        return item["choices"][item["gold"]]
    gold = item["gold"]
    return gold[0] if isinstance(gold, list) else str(gold)


def _swap(rec: Record, a: str, b: str) -> Record:
    out = Record(copy.deepcopy(dict(rec)))
    out.where = rec.where
    va, vb = field(rec, a, purpose="both_orders"), field(rec, b, purpose="both_orders")
    for path, value in ((a, vb), (b, va)):
        *head, last = path.split(".")
        parent = get_field(out, ".".join(head)) if head else out
        parent[int(last) if isinstance(parent, list) else last] = value
    return out


def build_items(
    task: Task, records: list[Record], shot_pool: list[Record], shots: int
) -> list[dict]:
    """Every scorable item of a task (see the module docstring)."""
    items: list[dict] = []
    seen: dict[str, str] = {}
    expand = task.dataset.get("expand")
    for idx, rec in enumerate(records):
        if expand:
            sents = field(rec, expand["field"], purpose="dataset.expand")
            labels = (
                set(field(rec, expand["label_field"], purpose="dataset.expand"))
                if expand.get("label_field")
                else set()
            )
            name = expand.get("as", "sentence")
            base = _base_item(task, rec, idx, {name: ""})
            for k, s in enumerate(sents):
                extra = {name: s}
                it = _base_item(task, rec, idx, extra)
                it.update(id=f"{base['id']}#{k}", group=base["id"], gold=k in labels)
                it["continuation"] = fill(
                    task.options.get("continuation", "{sentence}"), rec, extra
                )
                items.append(it)
            continue
        it = _base_item(task, rec, idx, {})
        if it["id"] in seen:  # results are stored and resumed by id
            raise InputError(
                f"{rec.where}: item id {it['id']!r} repeats {seen[it['id']]}; ids must be unique "
                "(fix the data or dataset.id_field)"
            )
        seen[it["id"]] = rec.where
        if _kind(task) == "continuation":
            it["continuation"] = fill(task.options.get("continuation", ""), rec)
        it["shots"] = _shots(task, rec, it, shot_pool, shots)
        items.append(it)
        if task.permute_choices:  # the gold in every position (permute.py)
            items += permuted_items(task, rec, idx, it, _base_item)
        orders = task.dataset.get("both_orders")
        if orders:
            if len(it.get("choices", [])) != 2:
                raise InputError(f"task '{task.name}': both_orders needs exactly two options")
            rev = _base_item(task, _swap(rec, orders[0], orders[1]), idx, {})
            rev.update(
                id=f"{it['id']}#swapped", pair=it["id"], gold=1 - it["gold"], shots=it["shots"]
            )
            it["pair"] = it["id"]
            items.append(rev)
    return items


def _shots(task: Task, rec: Record, item: dict, pool: list[Record], k: int) -> list:
    if k <= 0 or not registry.get("eval-method", task.method).traits["shots"]:
        return []
    out = []
    for j, other in enumerate(pool):
        if other is rec:
            continue
        shot = _base_item(task, other, j, {})
        if shot["id"] == item["id"]:
            continue
        out.append((shot["messages"], shot["prefix"], _shot_answer(task, other, shot)))
        if len(out) == k:
            break
    return out


def prompt(item: dict, *, chat: bool, delimiter: str = " ") -> Prompt:
    """The prompt of an item for one model: chat messages (a chat model) or plain k-shot text.

    A chat ends with the assistant prefix as a final assistant message when there is one
    (`llm.backend`'s convention for an answer to continue).
    """
    if chat:
        msgs: list[dict] = []
        for shot_msgs, prefix, answer in item.get("shots", []):
            msgs += shot_msgs
            msgs.append({"role": "assistant", "content": _join(prefix, answer, delimiter)})
        msgs += item["messages"]
        # systems first: several templates accept a system message only at the start
        msgs = [m for m in msgs if m["role"] == "system"][:1] + [
            m for m in msgs if m["role"] != "system"
        ]
        if item["prefix"]:
            msgs.append({"role": "assistant", "content": item["prefix"]})
        return msgs
    blocks = [m["content"] for m in item["messages"] if m["role"] == "system"][:1]
    for shot_msgs, prefix, answer in item.get("shots", []):
        user = "\n".join(m["content"] for m in shot_msgs if m["role"] != "system")
        blocks.append(user + "\n" + _join(prefix, answer, delimiter))
    user = "\n".join(m["content"] for m in item["messages"] if m["role"] != "system")
    blocks.append(user + "\n" + item["prefix"])
    return "\n\n".join(b for b in blocks if b)


def render(lm, item: dict, delimiter: str = " ") -> str:
    """The prompt text of an item for one model (`prompt`, rendered through the chat template
    of `lm.tok` when `lm.chat`)."""
    return prompt_text(
        lm.tok,
        prompt(item, chat=lm.chat, delimiter=delimiter),
        what=f"the messages of item {item['id']}",
        fix="use --chat off, or drop the task's system part",
    )


def _join(prefix: str, answer: str, delimiter: str) -> str:
    return prefix + delimiter + answer if prefix else answer
