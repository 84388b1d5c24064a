"""What an endpoint call that failed for good means, in words a user can act on.

The `openai` client raises its own exception family once its retries are spent (or at once for
errors that retrying cannot fix: 400, 401, 403, 404, 422). `explain` turns one into a sentence
that names the endpoint URL, what failed and what to do; `EndpointBackend` puts it in the
`EndpointError` it raises. Nothing here prints or stores a header, so no API key appears.
"""

from __future__ import annotations

from typing import Any


def _server_message(exc: Any) -> str:
    """The message the server put in its error body, else the exception's own."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return str(getattr(exc, "message", None) or exc)


async def _served(client) -> str:
    """The ids at /v1/models, for a 'model not served' message (empty when it cannot say)."""
    try:
        return ", ".join([m.id async for m in client.models.list()][:20])
    except Exception:  # the listing is a courtesy: many servers do not offer it
        return ""


async def explain(exc: BaseException, backend: Any, client: Any) -> str:
    """One sentence on why a call to `backend` (an `EndpointBackend`) failed for good."""
    import openai

    url, tries = backend.url, backend.max_retries + 1
    if isinstance(exc, openai.APITimeoutError):
        return (
            f"endpoint {url} gave no answer within {backend.timeout_s:g} s, {tries} attempts; "
            "check that the server is up and not overloaded, or raise --client.timeout-s"
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        why = f"{type(cause).__name__}: {cause}" if cause else str(exc)
        return (
            f"endpoint {url} cannot be reached ({why}) after {tries} attempts; check the URL "
            "and that the server is running"
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        where = (
            f"the key in the environment variable {backend.api_key_env}"
            if backend.api_key_env
            else "no API key (api_key_env is not set)"
        )
        return (
            f"endpoint {url} refused the request with HTTP {exc.status_code} "
            f"({_server_message(exc)}); it was sent {where}: set api_key_env to the name of a "
            "variable holding a valid key"
        )
    if isinstance(exc, openai.NotFoundError):
        served = await _served(client)
        listed = f"it serves: {served}" if served else "it lists no models at /v1/models"
        return (
            f"endpoint {url} answered HTTP 404 for model {backend.model!r} "
            f"({_server_message(exc)}); {listed}; pass one of those names as the model"
        )
    if isinstance(exc, openai.RateLimitError):
        return (
            f"endpoint {url} still rate-limits (HTTP 429) after {tries} attempts; lower "
            "--client.concurrency or raise --client.max-retries"
        )
    if isinstance(exc, openai.APIStatusError):
        return (
            f"endpoint {url} answered HTTP {exc.status_code} ({_server_message(exc)}) for "
            f"model {backend.model!r}"
            + (f" after {tries} attempts" if exc.status_code >= 500 else "")
            + "; check the request options against what the server accepts"
        )
    return (
        f"endpoint {url} sent an answer that is not an OpenAI-style completion "
        f"({type(exc).__name__}: {exc}); check that the URL is the API root (ending in /v1)"
    )
