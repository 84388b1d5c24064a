from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from langadapt import registry
from langadapt.checkpoint import Checkpoint
from langadapt.cli import main
from langadapt.errors import ModelError, OutputExistsError
from langadapt.init.stage import run as init
from langadapt.propagate.conversion import conversion
from langadapt.propagate.fit import FitInputs
from langadapt.propagate.stage import run
from langadapt.tiny import builtin_corpus, tiny_causal_lm, train_spm_bpe
from langadapt.tokens.mapping import Side, load_transform, shared_tokens

KEY, HEAD = "model.embed_tokens.weight", "lm_head.weight"


def perturbed_copy(src, dst, seed, scale=0.01, shard=None):
    """A copy of a model folder with every tensor moved a little ('tuned'), optionally sharded."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("model*.safetensors", "manifest.json"))
    sd = load_file(str(src / "model.safetensors"))
    g = torch.Generator().manual_seed(seed)
    sd = {
        k: (v.float() + scale * torch.randn(v.shape, generator=g)).to(v.dtype)
        for k, v in sd.items()
    }
    if shard is None:
        save_file(sd, str(dst / "model.safetensors"), metadata={"format": "pt"})
        return dst
    from huggingface_hub import save_torch_state_dict

    save_torch_state_dict(sd, str(dst), max_shard_size=shard)
    return dst


@pytest.fixture(scope="module")
def lep(tmp_path_factory, tiny_dir):
    """base (llama, SentencePiece, untied), instruct (tuned copy), donor (init + 'training')."""
    root = tmp_path_factory.mktemp("lep")
    base = tiny_dir("llama", "sentencepiece-bpe", False)
    newtok = train_spm_bpe(builtin_corpus(), 700, root / "newtok")
    donor = root / "donor"
    perturbed_copy(init(base, newtok, out=root / "init"), donor, seed=3, scale=0.02)
    return {"base": base, "instruct": perturbed_copy(base, root / "inst", 1), "donor": donor}


def _w(folder, key):
    return Checkpoint(folder).get(key)


def _reference(lep, method, key):
    """LEP with dense NumPy float64 np.linalg.lstsq, straight from the paper's equations."""
    base = _w(lep["base"], key).double().numpy()
    inst = _w(lep["instruct"], key).double().numpy()
    donor = _w(lep["donor"], key).double().numpy()
    old, new = Side.load(lep["base"]), Side.load(lep["donor"])
    if method == "swap":
        D = np.eye(base.shape[1])
    elif method == "overlap":
        C = sorted(j for i, j in shared_tokens(old, new, None).items() if i not in new.special)
        D = np.linalg.lstsq(base[C], inst[C], rcond=None)[0]
    else:
        T = load_transform(lep["donor"] / "init_transform.safetensors").to_dense().numpy()
        rows = [i for i in range(len(new)) if i not in new.special]
        D = np.linalg.lstsq(T[rows] @ base, T[rows] @ inst, rcond=None)[0]
    out = donor @ D
    for k in Side.load(lep["instruct"]).special:  # special tokens keep the instruct rows
        out[new.vocab[old.tokens[k]]] = inst[k]  # instruct shares the base tokenizer here
    return out


@pytest.mark.parametrize("method", ["swap", "overlap", "conversion"])
def test_matches_dense_numpy_reference(lep, tmp_path, method):
    out = run(lep["base"], [lep["instruct"]], lep["donor"], out=tmp_path / method, method=method)
    for key in (KEY, HEAD):
        ref = _reference(lep, method, key)
        got = _w(out, key).double().numpy()
        assert np.linalg.norm(got - ref) <= 1e-6 * np.linalg.norm(ref)
    results = json.loads((out / "manifest.json").read_text())["results"]
    fit = results["models"]["inst"][KEY]
    if method != "swap":
        assert 0 <= fit["relative_residual"] < 1 and 0 < fit["r2"] <= 1
    # every other tensor is the instruct's, byte for byte; the chat template is the instruct's
    names = Checkpoint(lep["instruct"]).names
    with safe_open(str(out / "model.safetensors"), "pt") as a:
        with safe_open(str(lep["instruct"] / "model.safetensors"), "pt") as b:
            for n in names:
                if n not in (KEY, HEAD):
                    assert a.get_tensor(n).numpy().tobytes() == b.get_tensor(n).numpy().tobytes()
    tok_cfg = json.loads((out / "tokenizer_config.json").read_text())
    assert json.loads((lep["instruct"] / "tokenizer_config.json").read_text()).get(
        "chat_template"
    ) == tok_cfg.get("chat_template")


def test_paper_identities(lep, tmp_path):
    base, donor = lep["base"], lep["donor"]
    out = run(base, [base], donor, out=tmp_path / "swap", method="swap")
    special = sorted(Side.load(base).special)  # <unk> <s> </s>: same ids in both tokenizers
    rest = [i for i in range(len(Side.load(donor))) if i not in special]
    for key in (KEY, HEAD):
        assert torch.equal(_w(out, key)[rest], _w(donor, key)[rest])
        assert torch.equal(_w(out, key)[special], _w(base, key)[special])  # instruct's own rows
    T = load_transform(donor / "init_transform.safetensors")
    b = _w(base, KEY)
    rows = torch.arange(T.shape[0])
    D, quality = conversion(FitInputs(b, b, T, rows, torch.arange(10)))
    assert torch.allclose(D, torch.eye(D.shape[0], dtype=torch.float64), atol=1e-8, rtol=0)
    assert quality["relative_residual"] < 1e-6 and quality["r2"] > 1 - 1e-10


def test_scale_interpolates_between_swap_and_fit(lep, tmp_path):
    args = (lep["base"], [lep["instruct"]], lep["donor"])
    w = {
        s: _w(run(*args, out=tmp_path / f"s{s}", method="overlap", scale=s), KEY).float()
        for s in (0.0, 0.5, 1.0)
    }
    swap = _w(run(*args, out=tmp_path / "swap", method="swap"), KEY).float()
    assert torch.equal(w[0.0], swap)
    torch.testing.assert_close(w[0.5], (w[0.0] + w[1.0]) / 2, atol=1e-6, rtol=1e-5)


def test_several_instruct_models_sharded_checkpoint(lep, tmp_path):
    second = perturbed_copy(lep["base"], tmp_path / "chat", 7, shard="40KB")
    assert (second / "model.safetensors.index.json").is_file()
    out = run(lep["base"], [lep["instruct"], second], lep["donor"], out=tmp_path / "out")
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["chat", "inst"]
    index = json.loads((out / "chat" / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"]) == set(Checkpoint(second).names)
    src = Checkpoint(second)
    res = Checkpoint(out / "chat")
    for n in src.names:
        if n not in (KEY, HEAD):
            assert torch.equal(src.get(n), res.get(n))
    assert _w(out / "chat", KEY).shape[0] == len(Side.load(lep["donor"]))
    assert not torch.equal(_w(out / "chat", KEY), _w(out / "inst", KEY))


def _variant(src, dst, **kw):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.safetensors", "config.json"))
    tok = Side.load(src)
    tiny_causal_lm(kw.pop("arch", "llama"), kw.pop("vocab", len(tok)), **kw).save_pretrained(dst)
    return dst


def test_bad_inputs_exit_2_and_write_nothing(lep, tmp_path, capsys):
    base, inst, donor = lep["base"], lep["instruct"], lep["donor"]
    cases = {
        "hidden size 64": _variant(base, tmp_path / "wide", hidden=64),
        "architecture mistral": _variant(base, tmp_path / "mistral", arch="mistral"),
    }
    for match, bad in cases.items():
        with pytest.raises(ModelError, match=match):
            run(base, [bad], donor, out=tmp_path / "o")
    short = _variant(donor, tmp_path / "short", vocab=500)  # 500 rows, 700 tokens
    with pytest.raises(ModelError, match="fewer than its tokenizer"):
        run(base, [inst], short, out=tmp_path / "o")
    with pytest.raises(OutputExistsError, match="inside the input folder"):
        run(base, [inst], donor, out=inst / "lep")
    pickled = tmp_path / "pickled"
    shutil.copytree(inst, pickled, ignore=shutil.ignore_patterns("*.safetensors"))
    torch.save(load_file(str(inst / "model.safetensors")), pickled / "pytorch_model.bin")
    with pytest.raises(ModelError, match="--allow-pickle"):
        run(base, [pickled], donor, out=tmp_path / "o")
    for bad_inst, bad_donor in ((cases["hidden size 64"], donor), (inst, short), (pickled, donor)):
        argv = ["propagate", "--base", str(base), "--instruct", str(bad_inst), "--donor"]
        assert main([*argv, str(bad_donor), "--out", str(tmp_path / "o")]) == 2
    assert main(["propagate", "--base", str(base), "--instruct", str(inst), "--donor",
                 str(donor), "--out", str(inst / "lep")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "propagate: error:" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists() and not (inst / "lep").exists()
    assert {m.name for m in registry.methods("propagate")} == {"swap", "overlap", "conversion"}


def test_padded_qwen2_matrices_survive(tmp_path):
    from langadapt.tiny import train_byte_level_bpe

    base = tmp_path / "qwen"
    train_byte_level_bpe(builtin_corpus(), 400, base, style="qwen2")
    n = len(Side.load(base))
    model = tiny_causal_lm("qwen2", n + 37, tied=True, bos_token_id=None, eos_token_id=n - 2)
    model.save_pretrained(base)  # Qwen2 ships more embedding rows than tokenizer entries
    newtok = train_byte_level_bpe(builtin_corpus(), 600, tmp_path / "newtok", style="qwen2")
    donor = perturbed_copy(
        init(base, newtok, out=tmp_path / "init", pad_to_multiple_of=64), tmp_path / "donor", 2
    )
    inst = perturbed_copy(base, tmp_path / "inst", 1)
    out = run(base, [inst], donor, out=tmp_path / "out", pad_to_multiple_of=128)
    w = _w(out, KEY)
    assert _w(donor, KEY).shape[0] == 640 and w.shape[0] == 640
    # Swap keeps the donor's padding rows as they are
    swap = _w(run(base, [inst], donor, out=tmp_path / "swap", method="swap"), KEY)
    assert torch.equal(swap[600:], _w(donor, KEY)[600:])
    from langadapt.models import load_causal_lm, load_tokenizer

    m, tok = load_causal_lm(out), load_tokenizer(out)
    ids = tok("привет", return_tensors="pt")
    assert (
        m.generate(**ids, max_new_tokens=2, do_sample=False).shape[1]
        == ids["input_ids"].shape[1] + 2
    )


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32])
def test_mapping_precision_follows_the_output_dtype(dtype):
    """bf16/fp16 rows are mapped in float32, float32 rows in float64: either way the result is
    the float64 product rounded to the output dtype, give or take one unit in the last place."""
    from langadapt.propagate.stage import _apply

    g = torch.Generator().manual_seed(0)
    donor = torch.randn(300, 64, generator=g).to(dtype)
    D = torch.eye(64, dtype=torch.float64) + 0.1 * torch.randn(
        64, 64, generator=g, dtype=torch.float64
    )
    got = _apply(donor, D, 1.0, dtype, 320, 300)
    ref = donor.to(torch.float64) @ D
    assert got.dtype == dtype and got.shape == (320, 64)
    ulp = torch.finfo(dtype).eps * ref.abs().clamp_min(torch.finfo(dtype).tiny)
    assert ((got[:300].to(torch.float64) - ref).abs() <= ulp).all()
    assert torch.equal(got[300:], got[:300].float().mean(0).to(dtype).expand(20, 64))


def test_conversion_reuses_the_base_gram_across_instruct_models(lep):
    """A second instruct model of the same base reuses x^T M x and gets the same D as alone."""
    T = load_transform(lep["donor"] / "init_transform.safetensors")
    b, rows = _w(lep["base"], KEY), torch.arange(T.shape[0])
    g = torch.Generator().manual_seed(3)
    insts = [b + 0.01 * torch.randn(b.shape, generator=g) for _ in range(2)]
    shared: dict = {}
    together = [conversion(FitInputs(b, y, T, rows, rows[:1], shared=shared)) for y in insts]
    assert {"m", "ata", "t"} <= set(shared)
    for y, (D, q) in zip(insts, together):
        alone, q_alone = conversion(FitInputs(b, y, T, rows, rows[:1]))
        assert torch.equal(D, alone) and q == q_alone


def test_refuses_a_donor_that_adds_no_tokens(lep, tmp_path, capsys):
    """The base (or `init`'s input) passed as --donor: nothing new to propagate, nothing written."""
    base, inst = lep["base"], lep["instruct"]
    tuned = perturbed_copy(base, tmp_path / "tuned-base", seed=5)  # same tokenizer as the base
    for donor in (base, tuned):
        with pytest.raises(ModelError, match="adds no tokens") as exc:
            run(base, [inst], donor, out=tmp_path / "o", method="swap")
        msg = str(exc.value)
        # what was passed (the folders, the sizes) and what is expected (the commands)
        assert str(donor) in msg and str(base) in msg and "vocab extend" in msg
    argv = ["propagate", "--base", str(base), "--instruct", str(inst), "--donor", str(base)]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "adds no tokens" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_refuses_an_instruct_model_that_has_the_donor_vocabulary(lep, tmp_path):
    """A propagated model (or the donor) passed as --instruct: LEP would run on it twice."""
    base, inst, donor = lep["base"], lep["instruct"], lep["donor"]
    done = run(base, [inst], donor, out=tmp_path / "done", method="swap")
    for again in (done, donor):
        with pytest.raises(ModelError, match="already has the donor's vocabulary") as exc:
            run(base, [inst, again], donor, out=tmp_path / "o", method="swap")
        msg = str(exc.value)
        assert str(again) in msg and "before LEP" in msg and "base's tokenizer" in msg
    assert not (tmp_path / "o").exists()
