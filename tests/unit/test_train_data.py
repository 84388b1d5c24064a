"""Packing (LEP 2.4.1) and chat rendering with assistant-only labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from langadapt.errors import InputError
from langadapt.llm.chat import GENERATION_MARKER
from langadapt.models import load_tokenizer
from langadapt.train import chat
from langadapt.train.packing import block_starts, pack_blocks, token_stream

MESSAGES = [
    {"role": "user", "content": "Where does the cat sleep?"},
    {"role": "assistant", "content": "The cat sleeps on the warm roof."},
    {"role": "user", "content": "And in Moscow?"},
    {"role": "assistant", "content": "Moscow is a big city."},
]
# (arch, family) -> the end-of-turn marker its template puts after an assistant turn
STYLES = {
    ("mistral", "sentencepiece-bpe"): "</s>",
    ("llama", "byte-level-bpe"): "<|eot_id|>",
    ("qwen2", "byte-level-bpe"): "<|im_end|>",
}


def test_block_starts_follow_boundaries():
    # 9 = boundary token; blocks of 3 may only open at 0 or right after a 9
    stream = np.array([5, 9, 1, 2, 3, 4, 9, 7, 8, 9, 6, 6, 6, 6])
    assert block_starts(stream, 3, {9}, align=True) == [0, 7, 10]
    assert block_starts(stream, 3, {9}, align=False) == [0, 3, 6, 9]


@pytest.mark.parametrize("arch,family", list(STYLES))
def test_packed_blocks_open_at_document_or_paragraph_starts(tiny_dir, builtin_texts, arch, family):
    tok = load_tokenizer(tiny_dir(arch, family))
    texts = [t + "\n" + u for t, u in zip(builtin_texts[::2], builtin_texts[1::2])]
    blocks, n = pack_blocks(tok, texts, 24)
    stream = token_stream(tok, texts)
    assert n == len(stream) and len(blocks) >= 5
    first = tok(texts[0], add_special_tokens=False)["input_ids"]
    doc0 = ([tok.bos_token_id] if tok.bos_token_id is not None else []) + first
    assert blocks[0].tolist() == doc0[:24] + stream[len(doc0) : 24].tolist()
    for row in blocks[1:]:
        pos = next(
            i
            for i in range(1, len(stream))
            if stream[i : i + 24].tolist() == row.tolist() and i + 24 <= len(stream)
        )
        prev = tok.decode([int(stream[pos - 1])], skip_special_tokens=False)
        assert int(stream[pos - 1]) in (tok.bos_token_id, tok.eos_token_id) or prev.endswith("\n")
    if tok.bos_token_id is None:  # Qwen2: documents are text + eos only
        assert stream[0] != tok.eos_token_id and tok.eos_token_id in stream


def test_corpus_too_small_names_counts(tiny_dir):
    tok = load_tokenizer(tiny_dir("llama", "byte-level-bpe"))
    with pytest.raises(InputError, match=r"has \d+ tokens .* needs 4096"):
        pack_blocks(tok, ["one short line"], 4096, source="corpus x.txt")


@pytest.mark.parametrize("arch,family", list(STYLES))
@pytest.mark.parametrize("markers", [True, False], ids=["generation-markers", "prefix-diff"])
def test_labels_are_exactly_the_assistant_turns(tiny_dir, arch, family, markers):
    tok = load_tokenizer(tiny_dir(arch, family))
    if not markers:
        tok.chat_template = tok.chat_template.replace("{% generation %}", "").replace(
            "{% endgeneration %}", ""
        )
        assert not GENERATION_MARKER.search(tok.chat_template)
    ex = chat.encode(tok, MESSAGES, 4096)
    spans, cur = [], []
    for t, lab in zip(ex["input_ids"], ex["labels"]):
        if lab != chat.IGNORE:
            assert lab == t
            cur.append(t)
        elif cur:
            spans.append(cur)
            cur = []
    if cur:
        spans.append(cur)
    end = STYLES[(arch, family)]
    got = [tok.decode(s, skip_special_tokens=False) for s in spans]
    assert got == [m["content"] + end for m in MESSAGES if m["role"] == "assistant"]


@pytest.mark.parametrize("arch,family", [k for k in STYLES if k[0] != "qwen2"])
def test_no_double_bos(tiny_dir, arch, family):
    tok = load_tokenizer(tiny_dir(arch, family))
    ids = chat.encode(tok, MESSAGES, 4096)["input_ids"]
    assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1


def test_reads_chat_alpaca_and_bare_lists(tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps([{"instruction": "Translate", "input": "cat", "output": "кот"}])
    )
    (tmp_path / "c.jsonl").write_text(
        json.dumps({"messages": MESSAGES}) + "\n\n" + json.dumps(MESSAGES[:2]) + "\n"
    )
    convs = chat.read_conversations([tmp_path / "a.json", tmp_path / "c.jsonl"])
    assert convs[0].messages == [
        {"role": "user", "content": "Translate\n\ncat"},
        {"role": "assistant", "content": "кот"},
    ]
    assert [len(c.messages) for c in convs] == [2, 4, 2]
    assert convs[2].where.endswith("c.jsonl line 3")


@pytest.mark.parametrize(
    "line,match",
    [
        ('{"messages": [{"role": "user", "content": "hi"}]}', r"c\.jsonl line 2 has no assistant"),
        ('{"messages": [{"role": "user"', r"c\.jsonl line 2 is not valid JSON"),
        ('{"text": "hi"}', r"line 2 is neither a chat .* it has: text"),
    ],
)
def test_bad_instruction_records(tmp_path, line, match):
    good = json.dumps({"messages": MESSAGES[:2]})
    (tmp_path / "c.jsonl").write_text(good + "\n" + line + "\n")
    with pytest.raises(InputError, match=match):
        chat.read_conversations([tmp_path / "c.jsonl"])


def test_empty_answers_are_skipped(tmp_path, capsys):
    empty = {"instruction": "Say nothing", "input": "", "output": ""}
    good = {"instruction": "Say hi", "input": "", "output": "hi"}
    (tmp_path / "a.json").write_text(json.dumps([good, empty]))
    convs = chat.read_conversations([tmp_path / "a.json"])
    assert len(convs) == 1
    assert "skipped 1 conversations whose answers are empty (first: " in capsys.readouterr().err
