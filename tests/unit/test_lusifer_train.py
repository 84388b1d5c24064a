"""LUSIFER's training pieces: data rows and their errors, the prefix layout, InfoNCE."""

from __future__ import annotations

import json
import math

import pytest
import torch

from langadapt.errors import InputError
from langadapt.lusifer import data
from langadapt.lusifer.alignment import compact
from langadapt.lusifer.contrastive import info_nce, pick


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_a_contrastive_row_without_a_positive_names_its_line(tmp_path):
    f = _write(
        tmp_path / "pairs.jsonl",
        [
            {"query": "q1", "positive": "p1"},
            {"query": "q2", "positives": ["p2", "p2b"], "negatives": ["n"]},
            {"query": "q3", "negatives": ["n3"]},
        ],
    )
    with pytest.raises(InputError, match=r"pairs.jsonl line 3 has no positive"):
        data.contrastive_rows([f])
    _write(f, [{"query": "q", "positive": 3}])
    with pytest.raises(InputError, match=r"line 1: 'positive' must be a text"):
        data.contrastive_rows([f])


def test_alignment_pairs_reconstruct_and_complete(tmp_path):
    f = _write(tmp_path / "a.jsonl", [{"text": "hello"}, {"query": "q", "positive": "p"}])
    pairs = data.alignment_pairs([f], "both", "Find", "Repeat")
    assert pairs == [
        ("Repeat", "hello", "hello"),
        ("Repeat", "q", "q"),
        ("Repeat", "p", "p"),
        ("Find", "q", "p"),
    ]
    with pytest.raises(InputError, match="a.jsonl line 1 gives no completion example"):
        data.alignment_pairs([f], "completion", "Find", "Repeat")


def test_pick_draws_the_same_negatives_for_the_same_row():
    row = data.Row("f line 1", "q", ("p1", "p2"), tuple(f"n{i}" for i in range(10)), None, None)
    first = pick(row, 3, 0, 7)
    assert first == pick(row, 3, 0, 7) and len(first[1]) == 7
    assert first[0] in row.positives and set(first[1]) <= set(row.negatives)


def test_compact_moves_padding_to_the_end_in_order():
    h = torch.arange(2 * 5, dtype=torch.float).reshape(2, 5, 1)
    present = torch.tensor([[1, 1, 0, 1, 0], [1, 0, 0, 1, 1]])
    labels = torch.arange(10).reshape(2, 5)
    x, p, a, lab = compact([(h, present, present, labels)])
    assert x[..., 0].tolist() == [[0, 1, 3], [5, 8, 9]]
    assert p.tolist() == [[1, 1, 1], [1, 1, 1]] and lab.tolist() == [[0, 1, 3], [5, 8, 9]]


def test_info_nce_matches_a_plain_reference():
    torch.manual_seed(0)
    q, d = torch.randn(3, 8), torch.randn(7, 8)
    pos = torch.tensor([0, 1, 2])
    got = info_nce(q, d, pos, 0.05)
    qn, dn = torch.nn.functional.normalize(q, dim=-1), torch.nn.functional.normalize(d, dim=-1)
    want = 0.0
    for i in range(3):
        s = [float(qn[i] @ dn[j]) / 0.05 for j in range(7)]
        want += -(s[i] - math.log(sum(math.exp(v) for v in s)))
    assert got.item() == pytest.approx(want / 3, rel=1e-5)
