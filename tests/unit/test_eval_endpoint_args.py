"""`langadapt eval --model URL`: the --model entries, labels and the endpoint checks, offline.

The endpoint here is the loopback echo stub (`llm.loopback.EchoEndpoint`); `langadapt serve`
itself is driven in tests/integration/test_eval_endpoint.py.
"""

from __future__ import annotations

import pytest

from langadapt.errors import EndpointError, InputError
from langadapt.evaluate.remote import EndpointModel, Target, labels, targets
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")


def test_entries_folder_or_url(tiny_dir, tmp_path):
    model = tiny_dir("llama")
    ts = targets([str(model), "http://127.0.0.1:9/v1"], "tiny", None)
    assert ts[0].folder == model and ts[0].url is None
    assert ts[1].url == "http://127.0.0.1:9/v1" and ts[1].where == "http://127.0.0.1:9/v1"
    assert labels(ts, "tiny") == [model.name, "tiny"]
    # the served name taken by a folder: the endpoint's label says where it is
    twin = Target("http://u:p@127.0.0.1:9/v1", url="http://u:p@127.0.0.1:9/v1")
    assert labels([Target("x", folder=tmp_path / "tiny"), twin], "tiny") == [
        "tiny",
        "tiny@127.0.0.1-9",
    ]
    assert twin.where == "http://127.0.0.1:9/v1"  # no credentials in results


def test_bad_entries_name_the_entry(tiny_dir, tmp_path):
    with pytest.raises(InputError, match=r"http:/127\.0\.0\.1:8000/v1 is neither a model folder"):
        targets(["http:/127.0.0.1:8000/v1"], "tiny", None)  # what list[Path] used to make
    with pytest.raises(InputError, match=r"is an endpoint: pass --served-model"):
        targets(["http://127.0.0.1:8000/v1"], None, None)
    with pytest.raises(InputError, match=r"--tokenizer .* is not a folder holding a tokenizer"):
        targets(["http://127.0.0.1:8000/v1"], "tiny", tmp_path)


def test_endpoint_without_tokenizer_is_refused_with_the_fix(tmp_path):
    with EchoEndpoint() as stub:  # its /v1/models entry names no root folder
        target = Target(stub.url, url=stub.url)
        with pytest.raises(InputError, match=r"pass --tokenizer FOLDER"):
            EndpointModel(target, "echo", tokenizer=None, chat="auto", cache="off")


def test_endpoint_checks_the_served_name_and_reachability(tiny_dir, tmp_path):
    model = tiny_dir("llama")
    with EchoEndpoint() as stub:
        target = Target(stub.url, url=stub.url)
        with pytest.raises(EndpointError, match=r"does not serve model 'nope'; it serves: echo"):
            EndpointModel(target, "nope", tokenizer=model, chat="auto", cache="off")
        em = EndpointModel(target, "echo", tokenizer=model, chat="auto", cache="off")
        assert em.tokenizer_folder == model and em.tok is not None
        em.close()
        url = stub.url
    gone = Target(url, url=url)  # the stub has stopped: nothing listens on its port
    with pytest.raises(EndpointError, match=rf"endpoint {url} .*cannot be reached|{url}"):
        EndpointModel(gone, "echo", tokenizer=model, chat="auto", cache="off", max_retries=0)
