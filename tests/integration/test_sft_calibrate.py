"""sft (full, LoRA, merged), calibrate end to end, and the local generation backend."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from langadapt.cli import main
from langadapt.engine.schedule import stage_default
from langadapt.tiny import tiny_model_folder
from langadapt.train import calibrate, sft

pytestmark = pytest.mark.slow


def chat_file(path: Path, texts: list[str]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for q, a in zip(texts[::2], texts[1::2]):
            msgs = [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
            f.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")
    return path


def losses(folder: Path) -> list[float]:
    return [json.loads(x)["loss"] for x in (folder / "metrics.jsonl").read_text().splitlines()]


def test_full_sft_learns_with_copy_mix(tiny_dir, tmp_path, builtin_texts):
    model = tiny_dir("mistral", "sentencepiece-bpe", False)
    data = chat_file(tmp_path / "d.jsonl", builtin_texts)
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(builtin_texts) + "\n", encoding="utf-8")
    out = sft.run(
        model=model,
        data=[data],
        out=tmp_path / "full",
        schedule=stage_default(sft.run, lr=3e-3, batch_size=5, epochs=6, warmup_steps=2),
        copy_task_mix=0.5,
        copy_corpus=[corpus],
    )
    curve = losses(out)
    assert sum(curve[-3:]) / 3 < sum(curve[:3]) / 3 - 0.5, curve
    assert json.loads((out / "manifest.json").read_text())["results"]["conversations"] == 50


def test_lora_merge_is_a_plain_folder_and_adapter_without_merge(tiny_dir, tmp_path, builtin_texts):
    model = tiny_dir("llama", "byte-level-bpe", False)
    data = chat_file(tmp_path / "d.jsonl", builtin_texts)
    sched = stage_default(sft.run, lr=1e-2, batch_size=5, max_steps=3, warmup_steps=1)
    common = dict(lora=True, schedule=sched)
    merged = sft.run(
        model=model,
        data=[data],
        out=tmp_path / "merged",
        merge=True,
        modules_to_save=["lm_head"],
        **common,
    )
    assert not list(merged.glob("adapter_*"))
    before, after = load_file(model / "model.safetensors"), load_file(merged / "model.safetensors")
    assert set(before) == set(after)
    assert not (before["lm_head.weight"] == after["lm_head.weight"]).all()
    assert not (
        before["model.layers.0.self_attn.q_proj.weight"]
        == after["model.layers.0.self_attn.q_proj.weight"]
    ).all()
    # loads in a process where peft cannot be imported
    code = (
        "import sys; sys.modules['peft'] = None\n"
        "from transformers import AutoModelForCausalLM\n"
        f"m = AutoModelForCausalLM.from_pretrained({str(merged)!r})\n"
        "print(type(m).__name__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and "LlamaForCausalLM" in proc.stdout, proc.stderr[-2000:]

    adapter = sft.run(model=model, data=[data], out=tmp_path / "adapter", **common)
    assert (adapter / "adapter_config.json").is_file()


def test_chat_template_file_for_a_base_model(tiny_dir, tmp_path, builtin_texts):
    base = tmp_path / "base"
    shutil.copytree(tiny_dir("llama", "sentencepiece-bpe", True), base)
    template = (base / "chat_template.jinja").read_text()
    (base / "chat_template.jinja").unlink()
    tpl = tmp_path / "t.jinja"
    tpl.write_text(template.replace("{% generation %}", "").replace("{% endgeneration %}", ""))
    data = chat_file(tmp_path / "d.jsonl", builtin_texts)
    out = tmp_path / "out"
    argv = ["sft", "--model", str(base), "--data", str(data), "--out", str(out)]
    argv += ["--schedule.lr", "1e-3", "--chat-template", str(tpl)]
    argv += ["--schedule.batch-size", "5", "--schedule.max-steps", "2"]
    assert main(argv) == 0
    assert (out / "chat_template.jinja").read_text() == tpl.read_text()


def test_calibrate_trains_first_and_last_layer_and_embeddings(tmp_path, builtin_texts):
    lep = tiny_model_folder(tmp_path / "lep", arch="llama", layers=3, seed=1)
    reference = tiny_model_folder(tmp_path / "ref", arch="llama", layers=3, seed=2)
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        "\n".join(json.dumps([{"role": "user", "content": t}]) for t in builtin_texts[:8]) + "\n"
    )
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(builtin_texts) + "\n", encoding="utf-8")
    out = calibrate.run(
        model=lep,
        reference=reference,
        prompts=[prompts],
        out=tmp_path / "cal",
        copy_corpus=[corpus],
        copy_task_mix=0.5,
        max_new_tokens=12,
        schedule=stage_default(calibrate.run, lr=1e-2, batch_size=4, warmup_steps=1),
    )
    rows = (out / calibrate.ANSWERS).read_text().splitlines()
    assert len(rows) == 8
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["results"]["judge_filter"] == "none"
    assert manifest["results"]["conversations"] == 16
    before, after = load_file(lep / "model.safetensors"), load_file(out / "model.safetensors")
    changed = {k for k in before if not (before[k] == after[k]).all()}
    assert "model.embed_tokens.weight" in changed and "lm_head.weight" in changed
    assert "model.layers.0.self_attn.q_proj.weight" in changed
    assert "model.layers.2.mlp.down_proj.weight" in changed
    assert not any(k.startswith("model.layers.1.") for k in changed)


def test_local_backend_batches_like_single_prompts(tmp_path, builtin_texts):
    from langadapt.llm.local import LocalBackend

    folder = tmp_path / "m"
    tiny_model_folder(folder, arch="llama", seed=4)
    backend = LocalBackend(folder, batch_size=3)
    prompts = ["The cat", "Moscow is a very big city and", [{"role": "user", "content": "hi"}]]
    batched = backend.generate(prompts, max_new_tokens=10)
    single = [backend.generate([p], max_new_tokens=10)[0] for p in prompts]
    assert batched == single and all(batched)
    stop = batched[0][3:5]
    cut = backend.generate(prompts[:1], max_new_tokens=10, stop=[stop])[0]
    assert stop not in cut and batched[0].startswith(cut)
