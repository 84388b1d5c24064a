"""What `langadapt eval --model` names: a local model folder or an OpenAI-compatible endpoint.

A folder is evaluated on every task (`evaluate.lm.LM` for log-probabilities, `LocalBackend` on
the same weights for generation). An endpoint (`http://HOST:PORT/v1` with `--served-model`)
runs the generation tasks through `llm.client.EndpointBackend`; tasks scored with a model's
log-probabilities (the eval methods whose trait `needs` is "loglik") cannot run over the
OpenAI API, so they are skipped with a recorded reason.

Generation tasks still need the evaluated model's tokenizer, for two things: whether prompts
are chats (the tokenizer has a chat template; `--chat` decides otherwise) and the token counts
of copy metrics (`pred_tokens`, `gold_tokens`). For an endpoint it is `--tokenizer FOLDER`,
else the folder the endpoint names as the model's `root` in `/v1/models` (`langadapt serve`
and vLLM do) when that folder is on this machine; else the run is refused before any call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langadapt.errors import InputError
from langadapt.llm.client import EndpointBackend, is_endpoint, public_url
from langadapt.models import has_tokenizer, read_config


@dataclass
class Target:
    """One entry of --model: a folder (`url` None) or an endpoint (`folder` None)."""

    entry: str
    folder: Path | None = None
    url: str | None = None

    @property
    def where(self) -> str:
        """How results name it: the folder path, or the URL without credentials."""
        return str(self.folder) if self.folder is not None else public_url(self.url or "")


def targets(model: list[str], served_model: str | None, tokenizer: Path | None) -> list[Target]:
    """Check every --model entry (a model folder with a tokenizer, or an http(s) URL)."""
    out = []
    for entry in model:
        entry = str(entry)
        if is_endpoint(entry):
            if not served_model:
                raise InputError(
                    f"--model {public_url(entry)} is an endpoint: pass --served-model NAME (a "
                    "model id its /v1/models lists)"
                )
            out.append(Target(entry, url=entry))
            continue
        folder = Path(entry)
        if not folder.is_dir():
            raise InputError(
                f"--model {entry} is neither a model folder nor an http(s) endpoint URL; pass a "
                "Hugging Face model folder or e.g. http://127.0.0.1:8000/v1"
            )
        read_config(folder)
        if not has_tokenizer(folder):
            raise InputError(
                f"model folder {folder} holds no tokenizer; evaluation needs one beside the weights"
            )
        out.append(Target(entry, folder=folder))
    if tokenizer is not None and not has_tokenizer(Path(tokenizer)):
        raise InputError(f"--tokenizer {tokenizer} is not a folder holding a tokenizer")
    return out


def labels(ts: list[Target], served_model: str | None) -> list[str]:
    """Result labels: a folder's name (with its parent's when two share it); an endpoint's
    served model name (with host and port when that name is taken)."""
    names = [Path(t.folder).name or str(t.folder) if t.folder else served_model or "" for t in ts]
    folder_names = [n for t, n in zip(ts, names) if t.folder is not None]
    out = []
    for t, n in zip(ts, names):
        if t.folder is not None and folder_names.count(n) > 1:  # as before endpoints existed
            n = f"{Path(t.folder).parent.name}/{n}"
        elif t.folder is None and names.count(n) > 1:
            u = public_url(t.url or "").split("//", 1)[-1].split("/", 1)[0]
            n = f"{n}@{u.replace(':', '-')}"
        out.append(n)
    return out


class EndpointModel:
    """What the harness needs of an evaluated model, for one behind an endpoint (state: the
    client and the tokenizer): `tok`, `chat`, and `backend` for the generation methods."""

    def __init__(
        self, target: Target, served_model: str, *, tokenizer: Path | None, chat: str, **client
    ) -> None:
        from langadapt.errors import ModelError
        from langadapt.models import load_tokenizer

        self.backend = EndpointBackend(target.url or "", served_model, **client)
        card = self.backend.card()  # unreachable, or not serving that name: fails here
        folder = Path(tokenizer) if tokenizer is not None else _root_tokenizer(card)
        if folder is None:
            raise InputError(
                f"no tokenizer for endpoint {target.where} (model {served_model!r}): its "
                "/v1/models entry names no folder on this machine; pass --tokenizer FOLDER, the "
                "served model's tokenizer (generation tasks count tokens and choose chat or "
                "plain prompts with it)"
            )
        self.tokenizer_folder = folder
        self.tok = load_tokenizer(folder)
        has_template = bool(getattr(self.tok, "chat_template", None))
        if chat == "on" and not has_template:
            raise ModelError(
                f"--chat on, but the tokenizer in {folder} has no chat template; use --chat "
                "auto or off for a base model"
            )
        self.chat = has_template if chat == "auto" else chat == "on"

    def close(self) -> None:
        self.backend.close()


def _root_tokenizer(card: dict[str, Any] | None) -> Path | None:
    root = (card or {}).get("root")
    if isinstance(root, str) and root and has_tokenizer(Path(root)):
        return Path(root)
    return None
