"""The training engine: the causal default equals an explicit loss and a plain loop, bit for bit;
a given data order, a custom loss and a custom save for a model that is not an HF model."""

from __future__ import annotations

import pytest
import torch

from langadapt import engine
from langadapt.engine import params
from langadapt.engine.schedule import Schedule
from langadapt.errors import ConfigError
from langadapt.tiny import tiny_causal_lm

SCHED = Schedule(
    lr=1e-2, batch_size=2, grad_accum=2, max_steps=5, warmup_steps=2, weight_decay=0.1, seed=3,
    save_every=0,
)  # fmt: skip  # 10 examples, 4 per step: 5 steps cross two epoch boundaries


def _blocks(n: int = 10, width: int = 12, vocab: int = 64) -> list:
    gen = torch.Generator().manual_seed(0)
    return [torch.randint(vocab, (width,), generator=gen) for _ in range(n)]


def _collate(batch: list) -> dict:
    ids = torch.stack(batch)
    return {"input_ids": ids, "labels": ids}


def _model():
    return tiny_causal_lm("llama", 64, hidden=32, layers=2, heads=4, kv_heads=2, seed=1)


def _engine(tmp_path, name: str, **kw) -> dict:
    model = _model()
    trainable = params.select(model, "all", weight_decay=SCHED.weight_decay)
    accelerator = engine.make_accelerator("no", SCHED.grad_accum)
    (tmp_path / name).mkdir()
    _, model = engine.train(
        model, _blocks(), _collate, trainable, SCHED, accelerator=accelerator,
        work=tmp_path / name, what="blocks", **kw,
    )  # fmt: skip
    return {k: v.detach().clone() for k, v in accelerator.unwrap_model(model).state_dict().items()}


def _plain_loop(order: str) -> dict:
    """The causal LM recipe written out with torch alone: what the engine must compute."""
    from transformers import get_scheduler

    torch.manual_seed(SCHED.seed)
    model = _model()
    model.config.use_cache = False
    trainable = params.select(model, "all", weight_decay=SCHED.weight_decay)
    opt = torch.optim.AdamW(trainable.groups, lr=SCHED.lr, betas=SCHED.betas)
    sched = get_scheduler("cosine", opt, num_warmup_steps=2, num_training_steps=5)
    data = _blocks()
    model.train()
    for step in range(5):
        for m in range(SCHED.grad_accum):
            epoch, i = divmod(step * SCHED.grad_accum + m, len(data) // SCHED.batch_size)
            gen = torch.Generator().manual_seed(SCHED.seed * 1000 + epoch)
            perm = torch.randperm(len(data), generator=gen) if order == "shuffled" else range(10)
            idx = list(perm[i * SCHED.batch_size : (i + 1) * SCHED.batch_size])
            loss = model(**_collate([data[j] for j in idx])).loss
            (loss / SCHED.grad_accum).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), SCHED.max_grad_norm)
        opt.step()
        opt.zero_grad()
        sched.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("order", ["shuffled", "given"])
def test_default_loss_is_causal_lm_loss_is_a_plain_loop(tmp_path, order):
    default = _engine(tmp_path, "default", order=order)
    explicit = _engine(tmp_path, "explicit", order=order, loss_fn=engine.causal_lm_loss)
    assert _equal(default, explicit)
    assert _equal(default, _plain_loop(order)), "the engine drifted from the plain recipe"
    assert not _equal(default, {k: v for k, v in _model().state_dict().items()})


class Doubler(torch.nn.Module):
    """Not an HF model: no config, no `.loss`; trained through a loss function of its own."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))


def _pairs_loss(seen: list):
    def loss_fn(model, batch):
        x = batch["x"]
        seen.append(x.tolist())
        return ((model.w * x - 2 * x) ** 2).mean(), torch.tensor(len(x))

    return loss_fn


def _run_doubler(work, seen, *, order="given", steps=6, save_every=0):
    work.mkdir(parents=True, exist_ok=True)
    model = Doubler()
    sched = Schedule(
        lr=0.1, batch_size=2, max_steps=steps, warmup_steps=0, scheduler="constant_with_warmup",
        save_every=save_every,
    )  # fmt: skip
    accelerator = engine.make_accelerator("no", 1)
    results, model = engine.train(
        model, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], lambda xs: {"x": torch.tensor(xs)},
        params.Trainable([{"params": list(model.parameters())}]), sched,
        accelerator=accelerator, work=work, what="pairs", loss_fn=_pairs_loss(seen), order=order,
    )  # fmt: skip
    return results, model, accelerator


def test_given_order_custom_loss_and_save_for_a_plain_module(tmp_path):
    seen: list = []
    results, model, accelerator = _run_doubler(tmp_path, seen)
    # three batches an epoch, the same order every epoch (a curriculum is kept as given)
    assert seen == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]] * 2
    assert results["steps"] == 6 and results["final_loss"] is not None
    assert 0.0 < accelerator.unwrap_model(model).w.item() <= 2.5  # moved towards 2

    saved = []
    (tmp_path / engine.CHECKPOINT).mkdir()
    engine.finish(accelerator, model, tmp_path, save=lambda acc, m, out: saved.append(out))
    assert saved == [tmp_path] and not (tmp_path / engine.CHECKPOINT).exists()

    shuffled: list = []
    _run_doubler(tmp_path / "s", shuffled, order="shuffled")
    assert shuffled != seen and sorted(sum(shuffled[:3], [])) == [1, 2, 3, 4, 5, 6]


def test_given_order_resumes_exactly(tmp_path, monkeypatch):
    clean: list = []
    _, model, acc = _run_doubler(tmp_path / "clean", clean, save_every=2)
    want = acc.unwrap_model(model).w.item()

    real = engine._save_checkpoint

    def crash(accelerator, work, step):
        real(accelerator, work, step)
        if step == 4:
            raise RuntimeError("killed")

    monkeypatch.setattr(engine, "_save_checkpoint", crash)
    with pytest.raises(RuntimeError, match="killed"):
        _run_doubler(tmp_path / "killed", [], save_every=2)
    monkeypatch.setattr(engine, "_save_checkpoint", real)
    rest: list = []
    results, model, acc = _run_doubler(tmp_path / "killed", rest, save_every=2)
    assert results["resumed_from_step"] == 4 and rest == clean[4:]
    assert acc.unwrap_model(model).w.item() == want


def test_bad_order_and_schedules_are_named(tmp_path):
    with pytest.raises(ConfigError, match="choose one of: shuffled, given"):
        _run_doubler(tmp_path, [], order="random")
    with pytest.raises(ConfigError, match=r"schedule\.lr is required.*--schedule\.lr"):
        Schedule(lr=None).check()
    with pytest.raises(ConfigError, match=r"schedule\.lr must be positive, not -1"):
        Schedule(lr=-1)
    with pytest.raises(ConfigError, match=r"schedule\.batch_size must be positive"):
        Schedule(lr=1e-3, batch_size=0)
    with pytest.raises(ConfigError, match=r"schedule\.max_steps must be at least 1"):
        Schedule(lr=1e-3, max_steps=0)
    with pytest.raises(ConfigError, match=r"schedule\.warmup_steps must not be negative"):
        Schedule(lr=1e-3, warmup_steps=-1)
