"""A local Hugging Face causal LM as a generation backend (batched, left-padded).

The one local generator of langadapt: calibration's reference answers, the zoo's scorer and
every generation task of `langadapt eval` run through `LocalBackend.generate`. Prompts become
token ids by `llm.chat.encode_prompt` (chats through the chat template, without a second BOS).
Batches are left-padded with an attention mask (the only way a batch can grow at its end;
transformers derives the position ids from the mask), so each completion is the one the prompt
would get alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from langadapt.llm.backend import END_OF_TURN, Prompt, cut_at_stop
from langadapt.llm.chat import encode_prompt
from langadapt.models import load_causal_lm, load_tokenizer


class LocalBackend:
    """Generate with a model folder on this machine (GPU when there is one).

    State: the model (weights on `device`) and its tokenizer; use `from_model` to generate
    with a model already loaded elsewhere (evaluation shares its scoring model this way).
    """

    def __init__(
        self,
        model: Path,
        *,
        batch_size: int = 8,
        dtype: str = "auto",
        device: str | None = None,
        allow_pickle: bool = False,
    ):
        import torch

        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        loaded = load_causal_lm(model, dtype=dtype, allow_pickle=allow_pickle)
        loaded.to(device).eval()
        self._setup(loaded, load_tokenizer(model), batch_size, device)

    @classmethod
    def from_model(cls, model, tokenizer, *, batch_size: int = 8) -> LocalBackend:
        """A backend over a loaded HF causal LM (left on its device) and its tokenizer.

        Neither is changed: padding is done here, not by the tokenizer's padding settings.
        """
        self = cls.__new__(cls)
        self._setup(model, tokenizer, batch_size, model.device)
        return self

    def _setup(self, model, tokenizer, batch_size: int, device) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.device, self.batch_size = device, batch_size
        # pad positions are masked out, so any id works; the pad, else EOS, keeps HF quiet
        self.pad_id = next(
            (i for i in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0) if i is not None), 0
        )
        vocab = tokenizer.get_vocab()
        self.stop_ids = sorted(
            {i for i in (tokenizer.eos_token_id,) if i is not None}
            | {vocab[t] for t in END_OF_TURN if t in vocab}
        ) or [self.pad_id]

    def generate(
        self,
        prompts: Sequence[Prompt],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
        seed: int | None = None,
        repetition_penalty: float = 1.0,
    ) -> list[str]:
        """Completions of `prompts`, greedy at temperature 0, cut before any `stop` string.

        Generation ends at EOS, at an end-of-turn token (`END_OF_TURN`), at a stop string or
        after `max_new_tokens`. Prompts are batched `batch_size` at a time in order of length
        (batches of similar length waste less compute on padding); each batch is a
        `[batch, longest prompt]` tensor of ids, left-padded. Sampling (temperature > 0) seeds
        torch's generator with `seed` when given. `repetition_penalty` > 1 divides the
        logits of tokens already in the prompt or the answer (CTRL, Keskar et al. 2019; HF's
        `repetition_penalty`); 1.0 leaves decoding unchanged.
        """
        import torch

        encoded = [encode_prompt(self.tokenizer, p) for p in prompts]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        kwargs: dict = {"do_sample": False}
        if temperature > 0:
            kwargs = {"do_sample": True, "temperature": temperature, "top_p": 1.0}
            if seed is not None:
                torch.manual_seed(seed)
        if stop:
            kwargs.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        if repetition_penalty != 1.0:
            kwargs["repetition_penalty"] = float(repetition_penalty)
        out: list[str] = [""] * len(encoded)
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            width = max(len(encoded[i]) for i in idx)
            ids = torch.full((len(idx), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                ids[r, width - len(encoded[i]) :] = torch.tensor(encoded[i])
                mask[r, width - len(encoded[i]) :] = 1
            with torch.inference_mode():
                gen = self.model.generate(
                    input_ids=ids.to(self.device),
                    attention_mask=mask.to(self.device),
                    max_new_tokens=max_new_tokens,
                    eos_token_id=self.stop_ids,
                    pad_token_id=self.pad_id,
                    **kwargs,
                )
            for r, i in enumerate(idx):
                text = self.tokenizer.decode(gen[r, width:].tolist(), skip_special_tokens=True)
                out[i] = cut_at_stop(text, stop)
        return out
