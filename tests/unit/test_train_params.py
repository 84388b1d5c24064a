"""Which rows are new, what trains, and stop strings of the generation backend."""

from __future__ import annotations

import json

import pytest
import torch

from langadapt.engine import params
from langadapt.errors import InputError
from langadapt.llm.backend import cut_at_stop
from langadapt.tiny import tiny_causal_lm


@pytest.mark.parametrize(
    "data,want",
    [
        ({"new_ids": [7, 9]}, [7, 9]),
        ({"first_new_id": 8}, [8, 9]),
        ({"old_vocab_size": 9}, [9]),
        ({"added": {"кот": 9, "дом": 8}}, [8, 9]),
    ],
)
def test_new_row_ids_from_vocab_map(tmp_path, data, want):
    (tmp_path / "m.json").write_text(json.dumps(data))
    assert params.new_row_ids(tmp_path / "m.json", 10) == want
    assert params.new_row_ids(8, 10) == [8, 9]


def test_new_row_ids_errors(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps({"tokens": 1}))
    with pytest.raises(InputError, match="holds none of new_ids"):
        params.new_row_ids(tmp_path / "m.json", 10)
    with pytest.raises(InputError, match="10-row embedding"):
        params.new_row_ids(10, 10)


@pytest.mark.parametrize("tied", [False, True])
def test_new_rows_adamw_never_moves_old_rows(tied):
    model = tiny_causal_lm("llama", 64, tied=tied)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tr = params.select(model, "new-rows", weight_decay=0.1, new_ids=list(range(60, 64)))
    assert len(tr.groups[0]["params"]) == (1 if tied else 2)
    opt = torch.optim.AdamW(tr.groups, lr=1e-2)
    for _ in range(3):
        ids = torch.randint(0, 64, (2, 16))
        model(input_ids=ids, labels=ids).loss.backward()
        params.decay_rows(tr, 1e-2)
        opt.step()
        opt.zero_grad()
    after = model.state_dict()
    for key, old in before.items():
        if "embed_tokens" in key or "lm_head" in key:
            assert torch.equal(after[key][:60], old[:60]) and not torch.equal(after[key], old)
        else:
            assert torch.equal(after[key], old), key


def test_cut_at_stop():
    assert cut_at_stop("abc\nUser: x", ["\nUser:", "zz"]) == "abc"
    assert cut_at_stop("abc", []) == "abc"
