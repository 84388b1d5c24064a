"""The `client` block (llm/clientopts.py): its defaults, its refusals, the keyword arguments it
gives `EndpointBackend`, and its YAML / dotted / flag forms through a real stage."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

from langadapt import commands
from langadapt.cliargs import build_parser
from langadapt.config import load_yaml, parse_overrides, resolve
from langadapt.distill import seed
from langadapt.errors import ConfigError
from langadapt.llm.client import EndpointBackend
from langadapt.llm.clientopts import Client
from langadapt.signature import static_options

ENDPOINT_STAGES = ["eval", "judge", "xling eval", "distill seed", "distill classify",
                   "distill difficulty", "distill expand", "distill refine", "distill evaluate"]  # fmt: skip
LOOSE = {"concurrency", "timeout_s", "max_retries", "cache", "cache_path"}


def test_defaults_are_the_endpoint_clients():
    c = Client()
    assert c.kwargs() == {"concurrency": 16, "timeout_s": 120.0, "max_retries": 4,
                          "cache": "readwrite", "cache_path": None}  # fmt: skip
    # the block's defaults are EndpointBackend's own, and kwargs() names only what it takes
    params = inspect.signature(EndpointBackend).parameters
    assert {k: params[k].default for k in c.kwargs()} == c.kwargs()


@pytest.mark.parametrize(
    "bad,fragment",
    [
        ({"concurrency": 0}, "client.concurrency must be at least 1"),
        ({"timeout_s": 0}, "client.timeout_s must be positive"),
        ({"timeout_s": -1.5}, "client.timeout_s must be positive"),
        ({"max_retries": -1}, "client.max_retries must not be negative"),
        ({"cache": "sometimes"}, "client.cache is 'sometimes'; choose one of: off, read"),
    ],
)
def test_values_no_call_can_work_with_are_refused(bad, fragment):
    with pytest.raises(ConfigError, match=fragment):
        Client(**bad)


def test_edge_values_are_accepted():
    assert Client(concurrency=1, timeout_s=0.1, max_retries=0, cache="off").max_retries == 0


@pytest.mark.parametrize("command", ENDPOINT_STAGES)
def test_every_endpoint_stage_takes_the_block_with_its_defaults(command):
    opts = {o.name: o for o in static_options(commands.COMMANDS[command][0])}
    assert not LOOSE & set(opts), f"{command} still has loose transport options"
    assert dataclasses.asdict(opts["client"].default) == Client().kwargs()
    assert "llm/clientopts.py" in opts["client"].help


def test_no_command_declares_a_transport_option_outside_the_block():
    transport = LOOSE - {"cache"}  # `zoo build --cache` is the zoo's folder, not the call cache
    for name, (target, _) in commands.COMMANDS.items():
        assert not transport & {o.name for o in static_options(target)}, name


def test_yaml_dotted_and_flags_resolve_to_a_client_of_distill_seed(tmp_path):
    base = {"data": "seed.json", "out": "o"}
    got = resolve(seed.run, base | {"client": {"concurrency": 32, "timeout_s": 60}})
    assert got["client"] == Client(concurrency=32, timeout_s=60.0)
    # a pipeline override `seed.client.cache=read` reaches the stage as `client.cache=read`
    got = resolve(seed.run, base, parse_overrides(["client.cache=read", "client.max_retries=1"]))
    assert got["client"] == Client(cache="read", max_retries=1)
    parser = build_parser("langadapt distill seed", seed.run)
    flags = ["--data", "seed.json", "--out", "o", "--client.concurrency", "32",
             "--client.timeout-s", "60", "--client.cache", "off",
             "--client.cache-path", str(tmp_path / "c.sqlite")]  # fmt: skip
    got = resolve(seed.run, {"client": {"max_retries": 2}}, vars(parser.parse_args(flags)))
    assert got["client"] == Client(concurrency=32, timeout_s=60.0, max_retries=2, cache="off",
                                   cache_path=Path(tmp_path / "c.sqlite"))  # fmt: skip
    assert resolve(seed.run, base)["client"] == Client()  # nothing given: the defaults
    config = tmp_path / "seed.yaml"
    config.write_text('client: {concurrency: 8, cache: "off"}\n')
    assert resolve(seed.run, base, load_yaml(config))["client"] == Client(
        concurrency=8, cache="off"
    )
    # a bare off is YAML 1.1's false: it still means the choice spelled "off", in a file and
    # in an override
    config.write_text("client: {cache: off}\n")
    assert resolve(seed.run, base, load_yaml(config))["client"] == Client(cache="off")
    got = resolve(seed.run, base, parse_overrides(["client.cache=off"]))
    assert got["client"] == Client(cache="off")


def test_a_refused_field_names_the_stage_and_the_field():
    with pytest.raises(ConfigError, match=r"client.concurrency must be at least 1.*distill seed"):
        resolve(seed.run, {"data": "s", "out": "o", "client.concurrency": 0},
                where="'distill seed'")  # fmt: skip
    with pytest.raises(ConfigError, match="unknown option 'client.concurency'"):
        resolve(seed.run, {"data": "s", "out": "o", "client": {"concurency": 2}})
    with pytest.raises(ConfigError, match="unknown option 'concurrency'"):
        resolve(seed.run, {"data": "s", "out": "o", "concurrency": 2})  # the old spelling


def test_help_lists_the_block_once():
    text = build_parser("langadapt distill seed", seed.run).format_help()
    assert text.count("\nclient:\n") == 1  # one help group, after the usage line
    group = text.split("\nclient:\n")[1]
    for flag in ("--client.concurrency", "--client.timeout-s", "--client.max-retries",
                 "--client.cache {off,read,write,readwrite}", "--client.cache-path"):  # fmt: skip
        assert group.count(flag) == 1, flag
    assert "--concurrency" not in text and "--cache-path" not in text
