"""GradCache (lusifer/gradcache.py): the chunked step gives the full-batch gradient."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from langadapt.engine.schedule import Schedule
from langadapt.lusifer.contrastive import info_nce
from langadapt.lusifer.gradcache import cached_step, chunks


@pytest.fixture(scope="module")
def parts(tmp_path_factory, tiny_dir):
    from test_lusifer_model import tiny_encoder_folder

    return tiny_encoder_folder(tmp_path_factory.mktemp("gc-enc") / "enc"), tiny_dir("qwen2")


def _batch(model, n=4):
    queries = [f"where does person {i} live?" for i in range(n)]
    docs = [f"person {i} lives in town {i % 3} near the river" for i in range(n)]
    docs += [f"person {i} is {20 + i} years old" for i in range(n)]
    batch = model.tokenize(queries + docs)
    return batch, n


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def _loss_of(n):
    return lambda reps: info_nce(reps[:n], reps[n:], torch.arange(n), 0.05)


def test_chunks_trim_their_padding():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]])
    assert chunks(mask, 2) == [(0, 2, 3), (2, 3, 1)]


def test_grad_cache_equals_the_full_batch_gradient(parts):
    from langadapt.lusifer import LusiferModel

    model = LusiferModel.build(*parts).eval()  # eval: no dropout, so both paths are exact
    batch, n = _batch(model)
    loss = _loss_of(n)(model(mode="project", **batch))
    loss.backward()
    full = _grads(model)
    model.zero_grad(set_to_none=True)
    cached = cached_step(model, batch, _loss_of(n), chunk=3)
    got = _grads(model)
    assert cached.item() == pytest.approx(loss.item(), rel=1e-5)
    assert full.keys() == got.keys() and len(full) > 4
    for k in full:
        assert torch.allclose(full[k], got[k], rtol=1e-4, atol=1e-6), k


def test_grad_cache_replays_dropout_per_chunk(parts):
    """With dropout on, the second pass must draw the masks of the first: the gradient equals
    that of the same chunks run once with a graph from the same seed."""
    from langadapt.lusifer import LusiferModel

    model = LusiferModel.build(*parts).train()
    assert model.encoder.config.hidden_dropout_prob > 0
    batch, n = _batch(model)
    ids, mask = batch["input_ids"], batch["attention_mask"]
    torch.manual_seed(1)
    reps = torch.cat(
        [
            model(mode="project", input_ids=ids[lo:hi, :w], attention_mask=mask[lo:hi, :w])
            for lo, hi, w in chunks(mask, 3)
        ]
    )
    _loss_of(n)(reps).backward()
    want = _grads(model)
    model.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    cached_step(model, batch, _loss_of(n), chunk=3)
    got = _grads(model)
    for k in want:
        assert torch.allclose(want[k], got[k], rtol=1e-4, atol=1e-6), k


def test_finetune_step_with_grad_cache_matches_the_plain_step(parts, tmp_path, monkeypatch):
    """One `lusifer finetune` step, dropout 0 everywhere: the same weights either way.

    Plain SGD stands in for AdamW, whose first step moves every weight by +-lr whatever the
    gradient's size, so float noise in a near-zero gradient would flip a weight by 2 lr.
    """
    from langadapt.lusifer import LusiferModel, finetune

    monkeypatch.setattr(
        torch.optim, "AdamW", lambda groups, lr, betas, weight_decay: torch.optim.SGD(groups, lr)
    )
    start = LusiferModel.build(*parts).save(tmp_path / "start")
    cfg_path = start / "encoder" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    cfg_path.write_text(json.dumps(cfg))
    rows = [
        {"query": f"q {i} where", "positive": f"doc {i} here", "negatives": [f"no {i}"]}
        for i in range(4)
    ]
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    outs = {}
    for chunk in (0, 3):
        outs[chunk] = finetune.run(
            model=start,
            data=[data],
            out=tmp_path / f"tuned{chunk}",
            lora_dropout=0.0,
            grad_cache_chunk=chunk,
            schedule=Schedule(lr=1.0, batch_size=4, max_steps=1, save_every=0),
            warmup_ratio=0.0,
            precision="no",
        )
    for name in ("connector.safetensors", "encoder/model.safetensors", "llm/model.safetensors"):
        a, b = load_file(outs[0] / name), load_file(outs[3] / name)
        s = load_file(start / name)
        assert any(not torch.equal(s[k], a[k]) for k in a), f"{name} did not train"
        for k in a:
            assert torch.allclose(a[k], b[k], rtol=1e-4, atol=1e-6), (name, k)
    with pytest.raises(Exception, match="grad-cache-chunk"):
        finetune.run(model=start, data=[data], out=tmp_path / "bad", grad_cache_chunk=-1)


def _rows(model, lo, hi):
    queries = [f"where does person {i} live?" for i in range(lo, hi)]
    docs = [f"person {i} lives in town {i % 3} near the river" for i in range(lo, hi)]
    docs += [f"person {i} is {20 + i} years old" for i in range(lo, hi)]
    return model.tokenize(queries + docs), hi - lo


def _rank(rank, parts, out):
    import torch.distributed as dist

    from langadapt.lusifer import LusiferModel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{out}/pg", rank=rank, world_size=2)
    torch.manual_seed(0)
    model = LusiferModel.build(*parts).eval()
    batch, n = _rows(model, 2 * rank, 2 * rank + 2)
    cached_step(model, batch, _loss_of(n), chunk=3)
    for p in model.parameters():  # what DDP does: the mean of the processes' gradients
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad /= 2
    if rank == 0:
        torch.save(_grads(model), out / "grads.pt")
    dist.destroy_process_group()


@pytest.mark.slow  # two spawned processes: about 20 s on an idle machine
def test_grad_cache_with_documents_gathered_across_two_processes(parts, tmp_path):
    """Two gloo processes, two queries each, GradCache on each: the mean gradient equals one
    process's plain full-batch gradient over all four queries (in-batch negatives global)."""
    import torch.multiprocessing as mp

    from langadapt.lusifer import LusiferModel

    mp.spawn(_rank, args=(parts, tmp_path), nprocs=2, join=True)
    torch.manual_seed(0)
    model = LusiferModel.build(*parts).eval()
    # the global batch in the gathered order: rank 0's documents, then rank 1's
    b0, _ = _rows(model, 0, 2)
    b1, _ = _rows(model, 2, 4)
    reps0 = model(mode="project", **b0)
    reps1 = model(mode="project", **b1)
    docs = torch.cat([reps0[2:], reps1[2:]])
    queries = torch.cat([reps0[:2], reps1[:2]])
    loss = info_nce(queries, docs, torch.tensor([0, 1, 4, 5]), 0.05)
    loss.backward()
    want, got = _grads(model), torch.load(tmp_path / "grads.pt")
    assert want.keys() == got.keys()
    for k in want:  # all-reduce sums in another order: float noise of about 1e-5
        assert torch.allclose(want[k], got[k], rtol=1e-3, atol=1e-5), k
