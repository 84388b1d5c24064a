"""`checkpoint.rewrite` with a `Streamed` replacement: same bytes as the whole tensor."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from langadapt.checkpoint import Checkpoint, Streamed, rewrite


@pytest.fixture
def ck(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    g = torch.Generator().manual_seed(0)
    tensors = {
        "a.weight": torch.randn(7, 3, generator=g).to(torch.bfloat16),
        "embed.weight": torch.randn(10, 3, generator=g).to(torch.bfloat16),
        "z.bias": torch.randn(5, generator=g),
    }
    save_file(tensors, str(folder / "model.safetensors"))
    return Checkpoint(folder)


def test_streamed_replacement_writes_the_same_file_as_the_tensor(ck, tmp_path):
    new = torch.arange(13 * 3, dtype=torch.float32).reshape(13, 3).to(torch.bfloat16)
    (tmp_path / "whole").mkdir()
    (tmp_path / "blocks").mkdir()
    rewrite(ck, tmp_path / "whole", {"embed.weight": new})
    streamed = Streamed((13, 3), torch.bfloat16, lambda: iter(new.split(4)))
    rewrite(ck, tmp_path / "blocks", {"embed.weight": streamed})
    whole = (tmp_path / "whole" / "model.safetensors").read_bytes()
    assert (tmp_path / "blocks" / "model.safetensors").read_bytes() == whole
    assert torch.equal(Checkpoint(tmp_path / "blocks").get("embed.weight"), new)


@pytest.mark.parametrize(
    "blocks,msg",
    [
        (lambda: iter([torch.zeros(4, 3, dtype=torch.bfloat16)]), "gave 4 rows, not 13"),
        (lambda: iter([torch.zeros(13, 3)]), "does not fit"),
    ],
)
def test_streamed_blocks_that_break_the_header_are_refused(ck, tmp_path, blocks, msg):
    with pytest.raises(RuntimeError, match=msg):
        rewrite(ck, tmp_path, {"embed.weight": Streamed((13, 3), torch.bfloat16, blocks)})
