"""The backend a user names on the command line: an endpoint URL or a local model folder.

Stages that call a teacher, a student or a judge (`judge`, `xling eval`, `distill ...`) take the
model as one string, so the same option points at `langadapt serve`, vLLM or a hosted API, or
at an HF folder loaded in process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langadapt.errors import InputError
from langadapt.llm.backend import Backend


def backend_for(
    model: str | None,
    served_model: str | None,
    *,
    flag: str,
    served_flag: str = "--served-model",
    batch_size: int = 8,
    **client: Any,
) -> Backend:
    """An `EndpointBackend` for an http(s) URL (serving `served_model`), else a `LocalBackend`.

    Args:
        model: the URL or the folder.
        served_model: the model name the endpoint serves (required for a URL).
        flag: the option that named `model`, for errors (e.g. "--judge-model").
        served_flag: the option that names `served_model`, for errors.
        batch_size: prompts per forward pass of a local model.
        client: `EndpointBackend` options: a stage's `Client` block as `**client.kwargs()`
            (llm/clientopts.py), plus `api_key_env` and `progress`.
    """
    from langadapt.llm.client import EndpointBackend, is_endpoint

    if not model:
        raise InputError(f"{flag} is needed: a model folder or an endpoint URL")
    if is_endpoint(model):
        if not served_model:
            raise InputError(
                f"{flag} {model} is an endpoint: pass {served_flag} (the model name it serves)"
            )
        return EndpointBackend(model, served_model, **client)
    if not Path(model).is_dir():
        raise InputError(f"{flag} {model} is neither a model folder nor an http(s) endpoint URL")
    from langadapt.llm.local import LocalBackend

    return LocalBackend(Path(model), batch_size=batch_size)
