"""A causal LM under evaluation: tokenisation of prompts and batched log-probability scoring.

This is the local-model interface of the scoring methods (next-token choice, continuation
log-probability, bits per byte), which need the model's logits. Generation tasks run through a
`llm.backend.Backend` instead (`LocalBackend.from_model(lm.model, lm.tok)` shares these
weights), so that an HTTP endpoint can run them too.

All scoring uses right padding: with causal attention, pad tokens after a sequence cannot change
the logits of the real tokens before them, and positions stay 0..n-1, so a batch scores exactly
what each sequence scores alone.
"""

from __future__ import annotations

from pathlib import Path

from langadapt.errors import ModelError
from langadapt.llm.chat import encode_text

_PARITY_DTYPE = "float32"


class LM:
    """A model and its tokenizer, loaded once per model folder (state: weights, device)."""

    def __init__(self, folder: Path, *, dtype: str = _PARITY_DTYPE, chat: str = "auto"):
        import torch

        from langadapt.models import load_causal_lm, load_tokenizer

        self.folder = Path(folder)
        self.tok = load_tokenizer(self.folder)
        self.model = load_causal_lm(self.folder, dtype=dtype)
        self.model.eval()
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device)
        has_template = bool(getattr(self.tok, "chat_template", None))
        if chat == "on" and not has_template:
            raise ModelError(
                f"--chat on, but the tokenizer in {self.folder} has no chat template; "
                "use --chat auto or off for a base model"
            )
        self.chat = has_template if chat == "auto" else chat == "on"
        self.pad_id = next(
            (i for i in (self.tok.pad_token_id, self.tok.eos_token_id, 0) if i is not None), 0
        )

    # --- tokenisation -------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """Token ids of a prompt; BOS is added by the tokenizer only for plain (non-chat) text,
        because a rendered chat template already writes it as text (`llm.chat.encode_text`)."""
        return encode_text(self.tok, text, rendered=self.chat)

    def encode_pair(self, context: str, continuation: str) -> tuple[list[int], list[int]]:
        """(context ids, continuation ids): the tokens the model would produce after the context.

        The pair is encoded as one string and split after the context's own tokens (e.g. " A"
        after "Answer:" becomes "▁A" or "ĠA", not "A"). When the context's tokens are not a
        prefix of the pair's (a merge crosses the boundary, e.g. a trailing space), trailing
        spaces move onto the continuation as lm-eval-harness does; failing that, the
        continuation is tokenised on its own.
        """
        for ctx_text, cont_text in (
            (context, continuation),
            (context.rstrip(" "), context[len(context.rstrip(" ")) :] + continuation),
        ):
            ctx = self.encode(ctx_text)
            whole = self.encode(ctx_text + cont_text)
            if whole[: len(ctx)] == ctx and len(whole) > len(ctx):
                return ctx, whole[len(ctx) :]
        return self.encode(context), self.tok(continuation, add_special_tokens=False)["input_ids"]

    # --- scoring --------------------------------------------------------------------------
    def _batches(self, n: int, lengths: list[int], batch_size: int):
        order = sorted(range(n), key=lambda i: -lengths[i])  # similar lengths pad less
        for s in range(0, n, batch_size):
            yield order[s : s + batch_size]

    def _forward(self, seqs: list[list[int]], keep_from: int):
        """Log-softmax of the right-padded batch at positions keep_from.. only.

        Only those positions are projected onto the vocabulary (`logits_to_keep`): a full
        [batch, width, vocab] tensor of a 128k-vocabulary model would take gigabytes.
        Returns [batch, width - keep_from, vocab] in float32.
        """
        import torch

        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for r, s in enumerate(seqs):
            ids[r, : len(s)] = torch.tensor(s)
            mask[r, : len(s)] = 1
        with torch.inference_mode():
            out = self.model(
                input_ids=ids.to(self.device),
                attention_mask=mask.to(self.device),
                logits_to_keep=torch.arange(keep_from, width, device=self.device),
            )
        return torch.log_softmax(out.logits.float(), dim=-1)

    def next_token_logprobs(self, contexts: list[list[int]], batch_size: int):
        """Log-softmax over the full vocabulary of the token after each context: [n, vocab]."""
        import torch

        rows: list = [None] * len(contexts)
        for idx in self._batches(len(contexts), [len(c) for c in contexts], batch_size):
            start = min(len(contexts[i]) for i in idx) - 1
            lp = self._forward([contexts[i] for i in idx], start)
            for r, i in enumerate(idx):
                rows[i] = lp[r, len(contexts[i]) - 1 - start].cpu()
        return torch.stack(rows)

    def continuation_logprobs(
        self, pairs: list[tuple[list[int], list[int]]], batch_size: int
    ) -> list[list[float]]:
        """Per-token log-probabilities of each continuation given its context.

        A continuation token at position j is predicted by the logits at j-1, so the context
        must hold at least one token (a BOS or the prompt).
        """
        out: list = [None] * len(pairs)
        seqs = [c + k for c, k in pairs]
        for idx in self._batches(len(seqs), [len(s) for s in seqs], batch_size):
            start = min(len(pairs[i][0]) for i in idx) - 1
            lp = self._forward([seqs[i] for i in idx], start).cpu()
            for r, i in enumerate(idx):
                ctx, cont = pairs[i]
                pos = range(len(ctx) - 1 - start, len(ctx) + len(cont) - 1 - start)
                out[i] = [float(lp[r, p, t]) for p, t in zip(pos, cont)]
        return out
