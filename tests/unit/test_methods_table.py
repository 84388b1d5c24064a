"""Every registered method of every kind, over the tiny architectures: one table, no exceptions.

A method is tested the day it is registered: the table is built from `registry.methods()`, and
a kind without a driver here fails `test_every_kind_has_a_driver`. Each driver checks what
every method of its kind must do: the identity default (a method given nothing to change
changes nothing), output shapes, finite values and determinism under a fixed seed, plus the
traits a method declares (a row-wise init's streamed blocks equal its whole result).
`test_a_broken_method_fails_the_table` registers deliberately broken methods and shows that
the drivers catch them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from langadapt import registry
from langadapt.checkpoint import Checkpoint
from langadapt.propagate.fit import FitInputs
from langadapt.tiny import TINY_MATRIX, builtin_corpus, train_byte_level_bpe, train_spm_bpe
from langadapt.tokens.mapping import Side, build_transform, shared_tokens

KEY = "model.embed_tokens.weight"


@pytest.fixture(scope="module")
def cases(tiny_dir, tmp_path_factory):
    """Per tiny architecture: old and new Side, the base's embeddings `[old_rows, hidden]`, and
    the transforms old -> old (identity) and old -> new, built once for every method."""
    root = tmp_path_factory.mktemp("methods-table")
    texts = builtin_corpus()
    out = {}
    for arch, family, tied in TINY_MATRIX:
        base = tiny_dir(arch, family, tied)
        label = f"{arch}-{family}-{'tied' if tied else 'untied'}"
        train = train_spm_bpe if family == "sentencepiece-bpe" else train_byte_level_bpe
        newtok = train(texts, 600, root / label)
        E = Checkpoint(base).get(KEY).float()
        old, new = Side.load(base), Side.load(newtok)
        same = build_transform(old, old, E.shape[0], E.shape[0], None)
        tr = build_transform(old, new, E.shape[0], len(new), None)
        out[label] = (old, new, E, same, tr, shared_tokens(old, new, None))
    return out


def _init_driver(method: registry.Method, case) -> None:
    old, new, E, same, tr, pairs = case
    # identity default: the base tokenizer against itself copies every row exactly
    got = method.func(same.T, E, same.copied, seed=0)
    assert torch.equal(got, E), "an identity mapping must leave the matrix unchanged"
    a = method.func(tr.T, E, tr.copied, seed=0)
    b = method.func(tr.T, E, tr.copied, seed=0)
    assert a.shape == (len(new), E.shape[1]) and a.dtype == torch.float32
    assert torch.isfinite(a).all(), "non-finite rows"
    assert torch.equal(a, b), "not deterministic under a fixed seed"
    rows = torch.tensor(sorted(pairs))
    assert torch.equal(a[rows], E[torch.tensor([pairs[int(i)] for i in rows])]), (
        "a token in both vocabularies must keep its row"
    )
    blocks = method.traits["blocks"]
    if blocks is not None:  # declared row-wise: streaming must give the same matrix
        assert torch.equal(torch.cat(list(blocks(tr.T, E))), a)


def _propagate_driver(method: registry.Method, case) -> None:
    old, new, E, _, tr, pairs = case
    T = tr.T if method.traits["needs_transform"] else None
    fit_rows = torch.tensor([i for i in range(len(new)) if i not in new.special])
    shared_old = torch.tensor(sorted(j for i, j in pairs.items() if i not in new.special))

    def fit(inst: torch.Tensor):
        return method.func(FitInputs(E, inst, T, fit_rows, shared_old, 0.0, {}))

    # identity default: an instruct model whose matrix is the base's needs no change
    D, quality = fit(E.clone())
    assert isinstance(quality, dict)
    if D is not None:
        assert D.shape == (E.shape[1], E.shape[1])
        assert torch.allclose(D.double(), torch.eye(E.shape[1], dtype=torch.float64), atol=1e-4)
    # a tuned instruct model: a finite map, the same on every call
    g = torch.Generator().manual_seed(0)
    inst = E + 0.01 * torch.randn(E.shape, generator=g)
    D1, _ = fit(inst)
    D2, _ = fit(inst)
    if D1 is not None:
        assert D1.shape == (E.shape[1], E.shape[1]) and torch.isfinite(D1).all()
        assert torch.equal(D1, D2), "not deterministic"


DRIVERS: dict[str, Callable] = {"init": _init_driver, "propagate": _propagate_driver}


def test_every_kind_has_a_driver():
    kinds = {m.kind for m in registry.methods()}
    drivers = set(DRIVERS) | set(OTHER_DRIVERS) | set(ARCH_DRIVERS)
    assert kinds - drivers == set(), "add a driver for the new kind"


class _ScriptedJudgeModel:
    """A judge model that always answers `reply` (a Backend; counts its prompts)."""

    def __init__(self, reply: str):
        self.reply, self.prompts = reply, 0

    def generate(self, prompts, **sampling):
        self.prompts += len(prompts)
        return [self.reply] * len(prompts)


def _judge_driver(method):
    """A correct answer with a world reference scores at the top of the scale; malformed judge
    output is retried once, then counted unparseable (score None, never a number); the verdicts
    are deterministic."""
    items = [
        {"id": "fact", "prompt": "Where does Anna live?", "answer": "Milan.",
         "reference": {"answers": ["Milan", "She lives in Milan."]}},
        {"id": "rule", "prompt": "Tell me about Anna. Write the answer in capital letters.",
         "answer": "ANNA LIVES IN MILAN.", "reference": {"modifier": {"type": "uppercase"}}},
    ]  # fmt: skip
    top = _ScriptedJudgeModel('{"score": 10}')
    first = method.func([dict(it) for it in items], backend=top)
    assert [v["score"] for v in first] == [1.0, 1.0] and all(v["parsed"] for v in first)
    assert method.func([dict(it) for it in items], backend=top) == first, "not deterministic"
    garbage = _ScriptedJudgeModel("I would rather not say.")
    bad = method.func([dict(it) for it in items], backend=garbage)
    if method.traits["needs_backend"]:
        assert [(v["score"], v["parsed"], v["attempts"]) for v in bad] == [(None, False, 2)] * 2
        assert garbage.prompts == 4  # each item asked twice, no more
    else:  # a judge that asks no model is not moved by one
        assert bad == first and garbage.prompts == 0
    if method.traits["needs_reference"]:
        wrong = [dict(it, answer="Rome") for it in items]
        assert [v["score"] for v in method.func(wrong, backend=top)] == [0.0, 0.0]


# One task file per eval method (its `item` trait decides what the data rows carry), run through
# the harness's own item preparation and scoring on each tiny architecture.
_TASKS = {
    "choices": (
        [{"id": f"c{i}", "q": q, "answer": i % 2} for i, q in enumerate(["cats?", "dogs?", "sun?"])],
        {"template": {"user": "Question: {q}", "assistant": "Answer:"},
         "options": {"choices": ["yes", "no"], "answer_field": "answer", "single_token": False},
         "metrics": ["accuracy"]},
    ),
    "answer": (
        [{"id": f"a{i}", "q": q, "a": a} for i, (q, a) in enumerate([("2+2?", "4"), ("Hi?", "Hello")])],
        {"template": {"user": "Question: {q}", "assistant": "Answer:"},
         "options": {"answer_field": "a", "max_tokens": 6}, "metrics": ["exact_match"]},
    ),
    "continuation": (
        [{"id": f"k{i}", "text": t, "s": t.split()[0], "gold": 1.0} for i, t in
         enumerate(["The cat sleeps in the sun.", "Кошка спит на солнце."])],
        {"template": {"user": "Text: {text}", "assistant": "Important:"},
         "options": {"continuation": "{s}"}, "metrics": []},
    ),
    "text": (None, {"template": {}, "metrics": []}),
}  # fmt: skip


@pytest.fixture(scope="module")
def eval_runs(cases, tiny_dir, tmp_path_factory):
    """Per (arch, method): the harness's rows for the method's task, scored twice."""
    import json

    import yaml

    from langadapt.evaluate import runner
    from langadapt.evaluate.lm import LM
    from langadapt.evaluate.taskfile import resolve_tasks
    from langadapt.llm.local import LocalBackend

    root = tmp_path_factory.mktemp("eval-methods")
    out = {}
    for arch, family, tied in TINY_MATRIX:
        label = f"{arch}-{family}-{'tied' if tied else 'untied'}"
        lm = LM(tiny_dir(arch, family, tied), chat="off")
        backend = LocalBackend.from_model(lm.model, lm.tok, batch_size=4)
        for m in registry.methods("eval-method"):
            rows, spec = _TASKS[m.traits["item"]]
            folder = root / label / m.name
            folder.mkdir(parents=True)
            if rows is None:
                (folder / "data.txt").write_text("\n".join(builtin_corpus()[:4]) + "\n")
                dataset = {"path": "data.txt"}
            else:
                (folder / "data.jsonl").write_text(
                    "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
                )
                dataset = {"path": "data.jsonl", "id_field": "id"}
            metrics = spec["metrics"] or list(m.traits["figures"]) or ["r_precision"]
            task_file = folder / "task.yaml"
            task_file.write_text(
                yaml.safe_dump(
                    {"name": f"t_{m.name}", "group": "g", "dataset": dataset, "method": m.name}
                    | {k: v for k, v in spec.items() if k != "metrics"}
                    | {"metrics": metrics}
                )
            )
            (task,) = resolve_tasks([str(task_file)], folder)
            runs = []
            for attempt in ("first", "second"):
                items = runner._prepare(task, None, 0)
                path = folder / f"{attempt}.jsonl"
                runs.append(runner._score_task(lm, backend, task, items, path, 2, False))
            out[label, m.name] = (task, runs)
    return out


def _eval_driver(method: registry.Method, case, runs) -> None:
    task, (first, second) = runs
    assert first and len(first) == len(second)
    assert [r["id"] for r in first] == [r["id"] for r in second]
    for a, b in zip(first, second):
        assert "pred" in a, "a method must return `pred` for every item"
        assert a["pred"] == b["pred"], "not deterministic"
        for value in a.values():
            if isinstance(value, float):
                assert math.isfinite(value)
    if method.traits["item"] == "choices":
        assert all(r["pred"] in (0, 1) for r in first)


def _metric_driver(method: registry.Method) -> None:
    """A perfect prediction scores a metric's best value; the value is finite and repeatable."""
    perfect = _PERFECT.get(method.name)
    assert perfect is not None, f"add perfect items for the metric {method.name}"
    items, best = perfect
    got = method.func([dict(it) for it in items])
    assert math.isfinite(got) and got == pytest.approx(best)
    assert method.func([dict(it) for it in items]) == got


_TEXTS = [{"pred": "Milan", "gold": "Milan"}, {"pred": "the cat sat", "gold": ["the cat sat"]}]
_CHOICES = [{"pred": i % 3, "gold": i % 3} for i in range(6)]
_PERFECT: dict[str, tuple[list[dict], float]] = {
    "accuracy": (_CHOICES, 1.0),
    "macro_f1": (_CHOICES, 1.0),
    "mcc": (_CHOICES, 1.0),
    "confident_accuracy": (
        [{"pred": i % 2, "gold": i % 2, "pair": f"p{i // 2}"} for i in range(4)], 1.0
    ),
    "exact_match": (_TEXTS, 1.0),
    "exact_match_nostop": ([{"pred": "Milan.", "gold": "Milan"}], 1.0),
    "token_f1": (_TEXTS, 1.0),
    "rouge1_recall": (_TEXTS, 1.0),
    "rouge1_f": (_TEXTS, 1.0),
    "rouge2_recall": ([{"pred": "the cat sat", "gold": "the cat sat"}], 1.0),
    "rouge2_f": ([{"pred": "the cat sat", "gold": "the cat sat"}], 1.0),
    "copy_sentence": (
        [{"pred": "A cat.", "gold": "A cat.", "pred_tokens": 3, "gold_tokens": 3}], 1.0
    ),
    "copy_paragraph": (
        [{"pred": "A cat. A dog.", "gold": "A cat. A dog.", "pred_tokens": 6, "gold_tokens": 6}],
        1.0,
    ),
    "r_precision": (
        [{"group": "g", "pred": s, "gold": g} for s, g in [(0.9, 1), (0.1, 0), (0.8, 1)]], 1.0
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    "method", registry.methods("eval-method"), ids=lambda m: f"eval-method/{m.name}"
)
@pytest.mark.parametrize(
    "arch", [f"{a}-{f}-{'tied' if t else 'untied'}" for a, f, t in TINY_MATRIX]
)
def test_eval_method_on_tiny_architecture(method, arch, cases, eval_runs):
    _eval_driver(method, cases[arch], eval_runs[arch, method.name])


# kinds whose driver needs no tiny architecture (eval methods have their own test above)
OTHER_DRIVERS: dict[str, Callable] = {"judge": _judge_driver, "metric": _metric_driver}
ARCH_DRIVERS = {"eval-method": _eval_driver}


@pytest.mark.parametrize(
    "method", [m for m in registry.methods() if m.kind in OTHER_DRIVERS], ids=lambda m: m.name
)
def test_other_kinds(method):
    OTHER_DRIVERS[method.kind](method)


@pytest.mark.parametrize(
    "method",
    [m for m in registry.methods() if m.kind in DRIVERS],
    ids=lambda m: f"{m.kind}/{m.name}",
)
@pytest.mark.parametrize(
    "arch", [f"{a}-{f}-{'tied' if t else 'untied'}" for a, f, t in TINY_MATRIX]
)
def test_method_on_tiny_architecture(method, arch, cases):
    DRIVERS[method.kind](method, cases[arch])


def _broken_inits():
    def nan_rows(T, old, copied, *, seed=0):
        """Broken: non-finite rows."""
        out = (T @ old.double()).float()
        out[~copied] = float("nan")
        return out

    def drops_a_row(T, old, copied, *, seed=0):
        """Broken: one row short."""
        return (T @ old.double()).float()[:-1]

    def moves_shared_rows(T, old, copied, *, seed=0):
        """Broken: changes rows that must be copied."""
        return (T @ old.double()).float() + 1.0

    def random_each_call(T, old, copied, *, seed=0):
        """Broken: ignores its seed."""
        out = (T @ old.double()).float()
        out[~copied] = torch.randn(int((~copied).sum()), old.shape[1])
        return out

    return [nan_rows, drops_a_row, moves_shared_rows, random_each_call]


@pytest.mark.parametrize("func", _broken_inits(), ids=lambda f: f.__name__)
def test_a_broken_method_fails_the_table(func, cases):
    registry.register("init", f"broken-{func.__name__}", paper="none (a test)")(func)
    try:
        method = registry.get("init", f"broken-{func.__name__}")
        with pytest.raises(AssertionError):
            for case in cases.values():
                _init_driver(method, case)
    finally:
        registry._TABLE["init"].pop(f"broken-{func.__name__}")
