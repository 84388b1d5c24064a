"""`langadapt xling select`: pick the sweep's model by its NON-English answers, not English loss.

Chirkova & Nikoulina (arXiv 2402.14778) find that the learning rate decides whether a model
tuned on English only answers other languages in those languages, and that hyperparameters
must be chosen on multilingual validation. This stage reads the `xling eval` runs of a sweep's
models (or evaluates the model folders itself, as `xling compare`) and ranks them:

1. the highest share of answers in the expected language on the validation languages (default:
   every prompt language but English);
2. ties (equal shares): the highest share in the expected language over all prompts;
3. still tied: the highest exact accuracy (world judge) where measured;
4. still tied: the candidate listed first.

It writes results.json (every candidate's figures with 95% intervals, the ranking, the rule, the
chosen one and its paired difference from the runner-up), summary.md, report.html / .md, and
`chosen`: a symbolic link to the chosen model's folder, so a later pipeline stage takes
`${select}/chosen` as its model (a candidate answered through an endpoint URL has no folder:
results.json names it, and no link is written).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from langadapt.xling import candidates as cd
from langadapt.xling import compare

RULE = (
    "highest share of answers in the expected language on the validation languages; ties: "
    "over all prompts, then exact accuracy, then the order given"
)


def rank(cands: list, figs: dict[str, dict]) -> list:
    """The candidates best first, by RULE (shares compared exactly: all have the same n)."""

    def key(ic):
        i, c = ic
        f = figs[c.name]
        exact = f["exact"]["value"]
        return (-(f["validation"]["value"] or 0.0), -(f["all"]["value"] or 0.0),
                -(exact if exact is not None else -1.0), i)  # fmt: skip

    return [c for _, c in sorted(enumerate(cands), key=key)]


def _sentences(order: list, figs: dict, validation: list[str], diff: dict | None) -> list[str]:
    langs = ", ".join(cd.language_name(x) for x in validation)
    n = figs[order[0].name]["validation"]["n"]
    each = "; ".join(f"{c.name}{_lr(c)} {cd.pct(figs[c.name]['validation'])}" for c in order)
    best, second = order[0], order[1]
    said = [
        f"Ranked on the share of answers in the expected language on the {n} {langs} "
        f"validation prompts: {each}.",
        f"Chosen: {best.name}{_lr(best)}; against the runner-up {second.name} on the same "
        f"prompts: {cd.points(diff)}.",
    ]
    if diff and not diff["significant"]:
        said.append(
            "The validation set cannot tell these two apart: the choice between them is a tie "
            "broken by the point estimate."
        )
    losses = [c for c in order if c.training.get("final_loss") is not None]
    if len(losses) == len(order):
        low = min(losses, key=lambda c: c.training["final_loss"])
        same = "the same model" if low is best else f"{low.name}, not the chosen one"
        said.append(
            f"The lowest final training loss (English-only data would select on it) is "
            f"{low.name}'s ({low.training['final_loss']:.3f}): {same}."
        )
    for key, what in (("modifiers", "Modifier compliance (exact rules)"),
                      ("exact", "Exact accuracy on the fact questions")):  # fmt: skip
        if any(figs[c.name][key]["n"] for c in order):
            each = "; ".join(f"{c.name} {cd.pct(figs[c.name][key])}" for c in order)
            said.append(f"{what}: {each}.")
    return said


def _lr(c) -> str:
    """' (lr 3e-4)' for a candidate trained by sft, else ''."""
    lr = c.training.get("lr")
    if lr is None:
        return ""
    mantissa, exponent = f"{lr:e}".split("e")
    return f" (lr {mantissa.rstrip('0').rstrip('.')}e{int(exponent)})"


def run(
    *,
    candidates: list[Path],
    out: Path,
    prompts: list[Path] | None = None,
    languages: list[str] | None = None,
    judge: Literal["none", "world"] = "none",
    max_new_tokens: int = 512,
    repetition_penalty: float = 1.2,
    batch_size: int = 8,
    limit: int | None = None,
    title: str = "Learning-rate sweep: selected on non-English answers",
    force: bool = False,
) -> Path:
    """Choose among a sweep's models by their correct-language share on non-English prompts.

    Args:
        candidates: finished `xling eval` folders of the sweep's models, or the model folders
            (evaluated here on --prompts).
        out: output folder: results.json, summary.md, report.html, chosen (a link to the
            chosen model's folder), evals/ (the models evaluated here).
        prompts: prompt files for the model folders among --candidates (as `xling eval`).
        languages: the validation languages ranked on (default: every prompt language but
            English).
        judge: for model folders: none, or world (exact answers of the synthetic world).
        max_new_tokens: for model folders: answer length limit (the paper: 512).
        repetition_penalty: for model folders: HF's repetition penalty (the paper: 1.2).
        batch_size: for model folders: prompts per forward pass.
        limit: for model folders: only the first N prompts of each file.
        title: the report's title.
        force: replace an existing output folder.
    """
    opts = {"judge": judge, "max_new_tokens": max_new_tokens, "batch_size": batch_size,
            "repetition_penalty": repetition_penalty, "limit": limit}  # fmt: skip
    run_ = compare.stage("xling select", out, candidates, prompts,
                         {**opts, "languages": languages, "title": title}, force)  # fmt: skip
    if run_.up_to_date():
        return out
    with run_.writing() as tmp:
        cands = compare.gather(candidates, tmp, prompts, opts)
        for c in cands:
            c.folder = Path(compare.where(c.folder, tmp, run_.out))
        validation = cd.validation_languages(cands, languages)
        figs = {c.name: cd.figures(c, validation) for c in cands}
        order = rank(cands, figs)
        best = order[0]
        keep = lambda r: r["lang"] in validation  # noqa: E731
        diff = cd.paired(best, order[1], cd.is_correct, keep)
        diffs = compare.paired_all(order, best, validation)
        said = _sentences(order, figs, validation, diff)
        model_dir = Path(best.model)
        link = tmp / "chosen"
        if link.is_symlink():
            link.unlink()
        if model_dir.is_dir():  # absolute: the link stays right wherever the run folder goes
            os.symlink(model_dir.resolve(), link, target_is_directory=True)
        results = {"rule": RULE, "validation_languages": validation,
                   "ranking": [c.name for c in order], "chosen": best.name,
                   "chosen_model": best.model, "chosen_link": "chosen" if model_dir.is_dir()
                   else None, "chosen_vs_runner_up": diff,
                   "candidates": [{"name": c.name, "model": c.model, "eval": str(c.folder),
                                   "training": c.training, "figures": figs[c.name]}
                                  for c in order],
                   "paired": diffs}  # fmt: skip
        compare.write_outputs(tmp, title, title, said, order, figs, diffs, best.name, results)
        run_.results.update(chosen=best.name, chosen_model=best.model,
                            rate=figs[best.name]["validation"]["value"])  # fmt: skip
        print("\n".join(said))
    return out
