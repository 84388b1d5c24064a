"""`langadapt eval` over `langadapt serve`: the same generation predictions as on the folder.

The server is a real subprocess on 127.0.0.1 (as in test_serve.py); the tokenizer comes from
the `root` folder its /v1/models names. Log-probability tasks are skipped with their reason;
an unreachable URL and a model name the server does not serve fail, naming them.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from langadapt.cli import main
from langadapt.tiny import builtin_corpus, tiny_model_folder

pytest.importorskip("openai")
pytestmark = pytest.mark.slow

GEN = ["world_facts.en", "world_copy_sentence.en"]


def _world(root: Path) -> Path:
    src = builtin_corpus()[:25]
    rows = {
        "facts.en": [
            {"id": f"f{i}", "question": src[i], "answers": [src[i + 1].split()[0]]}
            for i in range(4)
        ],
        "copy_sentence.en": [{"id": f"s{i}", "text": src[i]} for i in range(4)],
        "mc.en": [
            {"id": f"m{i}", "question": src[i], "choices": src[i + 1 : i + 5], "answer": i % 4}
            for i in range(3)
        ],
    }
    (root / "eval").mkdir(parents=True)
    for name, rs in rows.items():
        (root / "eval" / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rs))
    return root


def _start(model: Path):
    """test_serve.py's start_server (tests are not a package, so it is loaded by path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_serve_helpers", Path(__file__).with_name("test_serve.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.start_server(model, "--served-model", "tiny")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("evalep")
    model = tiny_model_folder(root / "model", arch="llama", vocab_size=400, max_positions=1024)
    proc, url = _start(model)
    yield model, url, _world(root / "world")
    proc.terminate()
    proc.wait(timeout=30)


def _eval(out: Path, model: str, world: Path, tasks: list[str], *extra: str) -> int:
    args = ["eval", "--model", model, "--tasks", *tasks, "--data-dir", str(world)]
    return main([*args, "--out", str(out), "--no-progress", *extra])


def _items(out: Path, label: str, task: str) -> list[dict]:
    path = out / "items" / label / f"{task}.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_endpoint_predictions_equal_the_folder(served, tmp_path):
    model, url, world = served
    assert _eval(tmp_path / "local", str(model), world, GEN) == 0
    cache = ["--client.cache-path", str(tmp_path / "calls.sqlite"), "--client.concurrency", "8"]
    assert _eval(tmp_path / "ep", url, world, GEN, "--served-model", "tiny", *cache) == 0
    for task in GEN:
        mine, theirs = (
            _items(tmp_path / "local", "model", task),
            _items(tmp_path / "ep", "tiny", task),
        )
        assert [r["id"] for r in mine] == [r["id"] for r in theirs]
        assert any(r["pred"] for r in mine)  # the comparison is not of empty answers
        for a, b in zip(mine, theirs):  # predictions and the token counts of copy metrics
            assert (a["pred"], a["pred_tokens"], a["gold_tokens"]) == (
                b["pred"],
                b["pred_tokens"],
                b["gold_tokens"],
            )
    local = json.loads((tmp_path / "local" / "results.json").read_text())
    ep = json.loads((tmp_path / "ep" / "results.json").read_text())
    assert ep["scores"]["tiny"]["tasks"] == local["scores"]["model"]["tasks"]
    assert ep["scores"]["tiny"]["path"] == url and "skipped" not in ep
    manifest = json.loads((tmp_path / "ep" / "manifest.json").read_text())
    assert "tiny" in json.dumps(manifest) and url in json.dumps(manifest)


def test_logprob_task_over_url_is_skipped_with_reason(served, tmp_path, capsys):
    model, url, world = served
    rc = _eval(
        tmp_path / "o", url, world, ["world_mc.en", "world_facts.en"], "--served-model", "tiny"
    )
    assert rc == 0
    res = json.loads((tmp_path / "o" / "results.json").read_text())
    assert list(res["tasks"]) == ["world_facts.en"]
    (sk,) = res["skipped"]
    assert sk["task"] == "world_mc.en" and "log-probabilities" in sk["reason"]
    assert "skipped task world_mc.en" in capsys.readouterr().out
    # only log-prob tasks: nothing to run, said before any call
    rc = _eval(tmp_path / "o2", url, world, ["world_mc.en"], "--served-model", "tiny")
    err = capsys.readouterr().err
    assert rc != 0 and "need a local model" in err and not (tmp_path / "o2").exists()


def test_wrong_served_name_and_unreachable_url(served, tmp_path, capsys):
    model, url, world = served
    rc = _eval(tmp_path / "a", url, world, GEN, "--served-model", "nope", "--client.cache", "off")
    err = capsys.readouterr().err
    assert rc != 0 and "does not serve model 'nope'" in err
    assert "it serves: tiny" in err and not (tmp_path / "a").exists()
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    no_retry = ["--client.max-retries", "0"]
    rc = _eval(tmp_path / "b", dead, world, GEN, "--served-model", "tiny", *no_retry)
    err = capsys.readouterr().err
    assert rc != 0 and dead in err and not (tmp_path / "b").exists()
