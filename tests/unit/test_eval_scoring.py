"""Scoring methods on tiny real models: reference parity, batch invariance, bits per byte."""

from __future__ import annotations

import math

import pytest
import torch

from langadapt.evaluate.lm import LM
from langadapt.evaluate.methods.bits_per_byte import bits_per_byte
from langadapt.evaluate.methods.generate import generate
from langadapt.evaluate.methods.loglik import continuation_logprob
from langadapt.evaluate.methods.next_token import choice_tokens, next_token_choice
from langadapt.llm.local import LocalBackend
from langadapt.tiny import builtin_corpus, tiny_model_folder

ANSWERS = ["Answer: A", "Answer: B", "Answer: C", "Answer: D", "Ответ: 1", "Ответ: 2"] * 40
FAMILIES = [
    ("llama", "sentencepiece-bpe"),
    ("llama", "byte-level-bpe"),
    ("qwen2", "byte-level-bpe"),
]
CONTEXTS = [
    "Question: where does the cat sleep?\nA. box\nB. sun\nAnswer:",
    "Q: hi\nAnswer:",
    "Вопрос: где живёт кот? Он живёт в доме у реки, где тихо и тепло.\nAnswer:",
]


@pytest.fixture(scope="module")
def letters_model(tmp_path_factory):
    """Tiny models whose tokenizers hold " A".." D" as single tokens, per family."""
    cache = {}

    def make(arch, family):
        if (arch, family) not in cache:
            out = tmp_path_factory.mktemp(f"letters-{arch}-{family}") / "m"
            cache[arch, family] = tiny_model_folder(
                out,
                arch=arch,
                family=family,
                texts=builtin_corpus() + ANSWERS,
                tied=arch == "qwen2",
            )
        return cache[arch, family]

    return make


def reference_choice_logprobs(lm, context: str, choices: list[str]) -> list[float]:
    """One forward per choice over context+choice, full softmax, no batching, no padding."""
    out = []
    for c in choices:
        ctx, cont = lm.encode_pair(context, " " + c)
        ids = torch.tensor([ctx + cont], device=lm.device)
        with torch.no_grad():
            logits = lm.model(input_ids=ids).logits[0].double()
        lp = torch.log_softmax(logits, dim=-1)
        out.append(sum(float(lp[len(ctx) - 1 + j, t]) for j, t in enumerate(cont)))
    return out


@pytest.mark.parametrize("arch,family", FAMILIES)
def test_next_token_choice_equals_reference(letters_model, arch, family):
    lm = LM(letters_model(arch, family), chat="off")
    choices = ["A", "B", "C", "D"]
    items = [{"id": str(i), "context": c, "choices": choices} for i, c in enumerate(CONTEXTS)]
    for it in items:  # the fast path really is the single-next-token one
        assert all(len(t) == 1 for t in choice_tokens(lm, it["context"], choices, " ")[1])
    got = next_token_choice(lm, items, options={}, batch_size=3)
    for it, res in zip(items, got):
        ref = reference_choice_logprobs(lm, it["context"], choices)
        assert res["logprobs"] == pytest.approx(ref, abs=1e-6)
        assert res["pred"] == max(range(4), key=lambda i: (ref[i], -i))


@pytest.mark.parametrize("arch,family", FAMILIES)
def test_multi_token_choices_sum_logprobs(letters_model, arch, family):
    lm = LM(letters_model(arch, family), chat="off")
    choices = ["the big river", "Moscow", "кот"]
    items = [{"id": str(i), "context": c, "choices": choices} for i, c in enumerate(CONTEXTS)]
    got = next_token_choice(lm, items, options={"single_token": False}, batch_size=2)
    for it, res in zip(items, got):
        assert res["logprobs"] == pytest.approx(
            reference_choice_logprobs(lm, it["context"], choices), abs=1e-5
        )


@pytest.mark.parametrize(
    "arch,family,tied",
    [
        ("llama", "sentencepiece-bpe", False),
        ("llama", "byte-level-bpe", False),
        ("qwen2", "byte-level-bpe", True),
    ],
)
def test_batched_equals_unbatched(tiny_dir, arch, family, tied):
    lm = LM(tiny_dir(arch, family, tied), chat="off")
    ctx = [lm.encode(c) for c in CONTEXTS]
    a, b = lm.next_token_logprobs(ctx, 1), lm.next_token_logprobs(ctx, 3)
    assert torch.allclose(a, b, atol=1e-5)
    items = [
        {"id": str(i), "context": c, "continuation": "the cat sleeps"}
        for i, c in enumerate(CONTEXTS)
    ]
    one = continuation_logprob(lm, items, options={}, batch_size=1)
    three = continuation_logprob(lm, items, options={}, batch_size=3)
    assert [r["pred"] for r in one] == pytest.approx([r["pred"] for r in three], abs=1e-5)
    gitems = [{"id": str(i), "prompt": c, "gold": "x"} for i, c in enumerate(CONTEXTS)]
    g1, g3 = (
        generate(
            LocalBackend.from_model(lm.model, lm.tok, batch_size=b),
            gitems,
            options={"max_tokens": 8},
            batch_size=b,
            tokenizer=lm.tok,
        )
        for b in (1, 3)
    )
    assert [r["pred"] for r in g1] == [r["pred"] for r in g3]
    assert any(r["pred"] for r in g1)  # the comparison is not between empty strings


def _uniform_over(model, keep: set[int]) -> None:
    """Make a Llama-style model predict uniformly over `keep` (others get logit -1e4 * hidden).

    Every token embeds to ones, every layer adds zero (o_proj and down_proj are zero), the final
    RMSNorm of ones is ones, so logits = lm_head rows summed: 0 for kept tokens.
    """
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.model.embed_tokens.weight.fill_(1.0)
        model.model.norm.weight.fill_(1.0)
        for layer in model.model.layers:
            layer.input_layernorm.weight.fill_(1.0)
            layer.post_attention_layernorm.weight.fill_(1.0)
        head = model.lm_head.weight
        head.fill_(-1e4)
        head[sorted(keep)] = 0.0


TEXTS = ["The cat sleeps.", "Кот спит у реки, а собака лает.", "Ünïcödé ✓ 42"]


def test_bits_per_byte_is_per_byte_not_per_token(tmp_path):
    """A model uniform over the 256 byte tokens spends exactly 8 bits on every byte.

    Whatever the script (ASCII, Cyrillic at 2 bytes per char, symbols at 3), bpb is 8 while
    bits per character and bits per token change with the text: the figure is normalised by
    UTF-8 bytes, not by tokens or characters.
    """
    folder = tiny_model_folder(
        tmp_path / "bytes", arch="llama", family="byte-level-bpe", vocab_size=256 + 5
    )
    lm = LM(folder, chat="off")
    assert len(lm.tok) == 261  # 256 bytes, no merges, 5 specials
    byte_ids = {i for t, i in lm.tok.get_vocab().items() if i < 256}
    _uniform_over(lm.model, byte_ids)
    res = bits_per_byte(lm, [{"text": t} for t in TEXTS], options={}, batch_size=2)
    for t, r in zip(TEXTS, res):
        nbytes = len(t.encode("utf-8"))
        assert r["tokens"] == nbytes
        assert r["bits"] / r["bytes"] == pytest.approx(8.0, abs=1e-4)
        assert r["bits"] / r["chars"] == pytest.approx(8.0 * nbytes / len(t), abs=1e-4)


def test_bits_per_byte_hand_computation_with_merges(tiny_dir):
    """Uniform over all V tokens: bits = tokens * log2(V), divided by bytes (by hand)."""
    lm = LM(tiny_dir("llama", "byte-level-bpe"), chat="off")
    V = lm.model.config.vocab_size
    _uniform_over(lm.model, set(range(V)))
    res = bits_per_byte(lm, [{"text": t} for t in TEXTS], options={}, batch_size=3)
    assert res[0]["tokens"] < res[0]["bytes"]  # merges: fewer tokens than bytes
    for t, r in zip(TEXTS, res):
        n = len(lm.tok(t, add_special_tokens=False)["input_ids"])
        assert r["tokens"] == n
        assert r["bits"] == pytest.approx(n * math.log2(V), rel=1e-5)
        assert r["bits"] / r["bytes"] == pytest.approx(
            n * math.log2(V) / len(t.encode("utf-8")), rel=1e-5
        )


def test_bits_per_byte_long_text_windows(tiny_dir):
    """A text longer than max_length is scored in windows and still counts every token."""
    lm = LM(tiny_dir("llama", "byte-level-bpe"), chat="off")
    text = " ".join(builtin_corpus()[:6])
    n = len(lm.tok(text, add_special_tokens=False)["input_ids"])
    whole = bits_per_byte(lm, [{"text": text}], options={"max_length": 4096}, batch_size=1)[0]
    windows = bits_per_byte(lm, [{"text": text}], options={"max_length": 16}, batch_size=4)[0]
    assert whole["tokens"] == windows["tokens"] == n
    assert windows["bits"] > 0 and whole["bits"] > 0


def test_bits_per_byte_does_not_depend_on_the_tokenization(tmp_path):
    """One probability model of text, read through two tokenizers, costs the same bits per byte.

    The vocabulary is the 256 byte tokens, the 5 specials and one merged token m = x+y. The
    model is context-free with p(byte) = 1/Z and p(m) = 1/Z^2 = p(x) p(y) (specials ~0), so it
    gives every string the same probability whether m is used or not. Tokenizer A has no
    merges (m is never produced); tokenizer B merges x+y. B needs fewer tokens, and bits per
    token differ, but bits per byte must not.
    """
    import json
    import shutil

    b_dir = tiny_model_folder(
        tmp_path / "merged", arch="llama", family="byte-level-bpe", vocab_size=256 + 5 + 1
    )
    a_dir = tmp_path / "bytes-only"
    shutil.copytree(b_dir, a_dir)
    tok_json = json.loads((a_dir / "tokenizer.json").read_text(encoding="utf-8"))
    (merge,) = tok_json["model"]["merges"]
    tok_json["model"]["merges"] = []  # the merged token stays in the vocabulary, unreachable
    (a_dir / "tokenizer.json").write_text(json.dumps(tok_json), encoding="utf-8")

    lm_a, lm_b = LM(a_dir, chat="off"), LM(b_dir, chat="off")
    left, right = merge if isinstance(merge, list) else merge.split(" ")
    m_id = lm_b.tok.convert_tokens_to_ids(left + right)
    byte_ids = [i for t, i in lm_b.tok.get_vocab().items() if i < 256]
    S = len(byte_ids)
    Z = (S + math.sqrt(S * S + 4)) / 2  # Z = S + 1/Z makes p(m) = p(x) p(y)
    hidden = lm_b.model.config.hidden_size
    for lm in (lm_a, lm_b):
        _uniform_over(lm.model, set(byte_ids) | {m_id})
        with torch.no_grad():  # logits = row sums of lm_head (hidden state is all ones)
            lm.model.lm_head.weight[m_id] = -math.log(Z) / hidden

    # the merge was learned on the built-in corpus, so its Russian lines use it many times
    texts = [t for t in builtin_corpus() if "а" in t][:3]
    res_a = bits_per_byte(lm_a, [{"text": t} for t in texts], options={}, batch_size=2)
    res_b = bits_per_byte(lm_b, [{"text": t} for t in texts], options={}, batch_size=2)
    for t, a, b in zip(texts, res_a, res_b):
        assert a["tokens"] == len(t.encode("utf-8"))  # A reads bytes
        assert b["tokens"] <= a["tokens"] - 3  # B uses the merged token several times
        assert a["bits"] / a["tokens"] != pytest.approx(b["bits"] / b["tokens"], rel=1e-3)
        assert b["bits"] / b["bytes"] == pytest.approx(a["bits"] / a["bytes"], rel=1e-5)
        assert a["bits"] / a["bytes"] == pytest.approx(math.log2(Z), rel=1e-5)
