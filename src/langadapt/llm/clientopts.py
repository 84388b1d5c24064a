"""How a stage talks to an OpenAI-compatible endpoint: one `client` block option.

Every stage that calls a teacher, a student, a judge or a model over HTTP (`eval`, `judge`,
`xling eval`, `distill seed/classify/difficulty/expand/refine/evaluate`) takes one
`client: Client = Client()` option instead of five loose ones. On the command line its fields
are `--client.concurrency 32`, `--client.timeout-s 60`, `--client.max-retries 2`,
`--client.cache off`, `--client.cache-path FILE`; in YAML a block `client: {concurrency: 32}`;
as overrides `client.concurrency=32` (in a pipeline `STAGE.client.concurrency=32`). Fields not
given keep their defaults (config.py merges field by field). YAML reads a bare `off` as false,
which `cache` refuses: quote it in a config file (`cache: "off"`) or use the flag. A stage hands the block to the backend as
`backend_for(..., **client.kwargs())`, which is what `EndpointBackend` takes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from langadapt.errors import ConfigError
from langadapt.llm.cache import CACHE_MODES


@dataclass(frozen=True)
class Client:
    """How to talk to any endpoint: requests in flight, patience, retries, the call cache.

    The block says *how* a stage talks to an endpoint, the same for every endpoint it calls
    (difficulty's student and judge, evaluate's candidates, reference and judge). *Which*
    endpoint and which key stay plain options of the stage, because they differ per model:
    `--served-model` and `--api-key-env` (difficulty's `--student-served-model`,
    `--judge-api-key-env`, ...). A local model folder ignores the block. Defaults are those of
    `llm.client.EndpointBackend`.

    Attributes:
        concurrency: endpoint requests in flight at once (per backend).
        timeout_s: seconds one endpoint answer may take before the attempt counts as failed
            and is retried.
        max_retries: retries per endpoint call after the first attempt (0 = none).
        cache: endpoint call cache (llm/cache.py): readwrite, read, write or off.
        cache_path: the cache's SQLite file (default under the langadapt cache root).
    """

    concurrency: int = 16
    timeout_s: float = 120.0
    max_retries: int = 4
    cache: Literal["off", "read", "write", "readwrite"] = "readwrite"
    cache_path: Path | None = None

    def __post_init__(self) -> None:
        # config.resolve has coerced the types already; these are the values no endpoint
        # call can work with, refused before any stage starts
        if self.concurrency < 1:
            raise ConfigError(
                f"client.concurrency must be at least 1 (requests in flight), not "
                f"{self.concurrency}"
            )
        if self.timeout_s <= 0:
            raise ConfigError(
                f"client.timeout_s must be positive (seconds per answer), not {self.timeout_s}"
            )
        if self.max_retries < 0:
            raise ConfigError(
                f"client.max_retries must not be negative (0 = no retry), not {self.max_retries}"
            )
        if self.cache not in CACHE_MODES:  # a Python caller skips config's Literal check
            raise ConfigError(
                f"client.cache is {self.cache!r}; choose one of: {', '.join(CACHE_MODES)}"
            )

    def kwargs(self) -> dict[str, Any]:
        """The block as the keyword arguments `EndpointBackend` (and `backend_for`) take."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
