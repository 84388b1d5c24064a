"""The one chat path (`llm.chat`) and the one local generator (`LocalBackend`).

Rendering must give what each of the four former renderers gave (training, LocalBackend,
evaluation prompts, the zoo's scorer), and batched greedy generation must give, string for
string, what a plain one-prompt-at-a-time `model.generate` gives.
"""

from __future__ import annotations

import pytest
import torch

from langadapt.errors import ModelError
from langadapt.llm import chat
from langadapt.llm.backend import END_OF_TURN, cut_at_stop
from langadapt.llm.local import LocalBackend
from langadapt.models import load_causal_lm, load_tokenizer

FAMILIES = [
    ("mistral", "sentencepiece-bpe"),
    ("llama", "byte-level-bpe"),
    ("qwen2", "byte-level-bpe"),
]
USER = [{"role": "user", "content": "Question: where does the cat sleep?"}]
PROMPTS = [
    "The cat",
    USER,
    USER + [{"role": "assistant", "content": "Answer:"}],
    "Moscow is a very big city and the river",
    [{"role": "user", "content": "hi"}],
    [
        {"role": "user", "content": "Where is Moscow?"},
        {"role": "assistant", "content": "Answer: in Russia."},
        {"role": "user", "content": "And the cat?"},
        {"role": "assistant", "content": "Ответ:"},
    ],
]


def _reference_ids(tok, prompt) -> list[int]:
    """Token ids as the former LocalBackend / evaluation built them, straight from HF."""
    if isinstance(prompt, str):
        return tok(prompt)["input_ids"]
    msgs, prefix = prompt, ""
    if msgs[-1]["role"] == "assistant":
        msgs, prefix = msgs[:-1], msgs[-1]["content"]
    text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) + prefix
    return tok(text, add_special_tokens=False)["input_ids"]


@pytest.mark.parametrize("arch,family", FAMILIES)
def test_rendering_matches_the_former_renderers(tiny_dir, arch, family):
    tok = load_tokenizer(tiny_dir(arch, family))
    text = chat.render(tok, USER, prefix="Answer:")
    assert text == tok.apply_chat_template(USER, tokenize=False, add_generation_prompt=True) + (
        "Answer:"
    )
    assert chat.render(tok, USER) == tok.apply_chat_template(USER, tokenize=False)
    for p in PROMPTS:
        assert chat.encode_prompt(tok, p) == _reference_ids(tok, p)
    ids = chat.encode_prompt(tok, USER)
    if tok.bos_token_id is not None:  # the template writes the BOS; the tokenizer adds none
        assert ids[0] == tok.bos_token_id and ids.count(tok.bos_token_id) == 1
        # the zoo's former scorer: BOS text cut off the rendering, the tokenizer's BOS added
        cut = chat.render(tok, USER, prefix="Answer:")[len(tok.bos_token) :]
        assert tok(cut)["input_ids"] == chat.encode_prompt(tok, USER + [PROMPTS[2][-1]])
    assert chat.encode_prompt(tok, "The cat") == tok("The cat")["input_ids"]


def test_a_rejected_conversation_names_the_messages_and_the_fix(tiny_dir):
    tok = load_tokenizer(tiny_dir("llama", "byte-level-bpe"))
    tok.chat_template = "{{ raise_exception('no system role') }}"
    with pytest.raises(ModelError, match=r"rejects the messages of item 7 \(no system role\); x"):
        chat.prompt_text(tok, USER, what="the messages of item 7", fix="x")


def _plain_generate(model, tok, prompt, max_new_tokens: int, stop: list[str]) -> str:
    """One prompt alone, no padding: the reference a batch must reproduce."""
    vocab = tok.get_vocab()
    eos = sorted({tok.eos_token_id} | {vocab[t] for t in END_OF_TURN if t in vocab})
    ids = torch.tensor([_reference_ids(tok, prompt)])
    with torch.inference_mode():
        gen = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=eos,
            pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
            **({"stop_strings": stop, "tokenizer": tok} if stop else {}),
        )
    return cut_at_stop(tok.decode(gen[0, ids.shape[1] :].tolist(), skip_special_tokens=True), stop)


@pytest.mark.parametrize("arch,family", FAMILIES)
@pytest.mark.parametrize("stop", [[], ["\n"]], ids=["no-stop", "stop"])
def test_batched_greedy_equals_one_prompt_at_a_time(tiny_dir, arch, family, stop):
    folder = tiny_dir(arch, family, seed=3)
    model = load_causal_lm(folder, dtype="float32").eval()
    tok = load_tokenizer(folder)
    backend = LocalBackend.from_model(model, tok, batch_size=4)  # 6 prompts: 2 batches, padded
    got = backend.generate(PROMPTS, max_new_tokens=12, stop=stop)
    want = [_plain_generate(model, tok, p, 12, stop) for p in PROMPTS]
    assert got == want
    assert sum(bool(g) for g in got) >= 3  # not a comparison of empty strings
    # a folder-loaded backend is the same generator
    assert (
        LocalBackend(folder, batch_size=2, dtype="float32").generate(
            PROMPTS, max_new_tokens=12, stop=stop
        )
        == want
    )
