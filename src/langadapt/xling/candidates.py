"""Several `xling eval` runs side by side: each model's figures, and paired differences.

The shared part of `xling compare` (the demo's section: instruct against the LEP models) and
`xling select` (the learning-rate sweep). A *candidate* is a finished `xling eval` folder, or a
model folder that is evaluated first (into `evals/NAME` of the calling stage's output).

Figures per candidate, each a share with its Wilson 95% interval (`summary.share`):

- `correct[lang]`: answers in the expected language (the prompt's, or X for "answer in X");
- `validation`: the same over the validation languages (default: every prompt language but
  English), the share `xling select` ranks on;
- `modifiers`: modifier prompts that pass their rule (the world's rules or `modifiers.py`),
  over the rule-checked ones; `exact`: the world judge's exact score on the prompts without a
  modifier (the fact questions), the accuracy the paper calls factuality.

Paired differences are over the same prompts (every candidate must have answered the same
ids): the mean of the per-prompt 0/1 differences with its paired-t 95% interval
(`stats.paired_t`, clipped to [-1, 1]), significant when McNemar's exact test on the prompts
where the two differ gives p < 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langadapt.artifacts import read_manifest
from langadapt.corpus import read_json_lines
from langadapt.errors import InputError
from langadapt.stats import paired_flags
from langadapt.xling.summary import share

LANGUAGES = {"en": "English", "ru": "Russian", "fr": "French", "pt": "Portuguese",
             "de": "German", "es": "Spanish", "it": "Italian", "zh": "Chinese"}  # fmt: skip


def language_name(code: str) -> str:
    """'ru' -> 'Russian' (the code itself for a language without a name here)."""
    return LANGUAGES.get(code, code)


@dataclass
class Candidate:
    """One evaluated model: its label, its `xling eval` folder, the model and its answers."""

    name: str
    folder: Path
    model: str
    rows: list[dict[str, Any]]
    training: dict[str, Any] = field(default_factory=dict)  # lr, steps, data of an sft model


def is_eval_folder(path: Path) -> bool:
    """True for a folder written by `xling eval` (its manifest names the stage)."""
    manifest = read_manifest(Path(path)) if Path(path).is_dir() else None
    return bool(manifest and manifest.get("stage") == "xling eval")


def _training(model: str) -> dict[str, Any]:
    """The learning rate, steps and data of a model written by `sft` (else {})."""
    manifest = read_manifest(Path(model)) if Path(model).is_dir() else None
    if not manifest or manifest.get("stage") not in ("sft", "train.sft"):
        return {}
    sched = manifest.get("options", {}).get("schedule", {})
    data = [Path(i["path"]).name for i in manifest.get("inputs", []) if i.get("name") == "data"]
    results = manifest.get("results", {})
    return {"lr": sched.get("lr"), "max_steps": sched.get("max_steps"), "data": data,
            "steps": results.get("steps"), "final_loss": results.get("final_loss")}  # fmt: skip


def load(folder: Path, name: str) -> Candidate:
    """A finished `xling eval` folder as a candidate; InputError names what is missing."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if not manifest or manifest.get("stage") != "xling eval":
        raise InputError(f"--candidates {folder} is not an `xling eval` output folder")
    if manifest.get("status") != "complete" or not (folder / "answers.jsonl").is_file():
        raise InputError(
            f"--candidates {folder}: the `xling eval` run did not finish (no complete manifest "
            "or answers.jsonl); run it again to finish it"
        )
    model = str(manifest.get("options", {}).get("model", folder))
    rows = read_json_lines(folder / "answers.jsonl")
    return Candidate(name, folder, model, rows, _training(model))


def names(paths: list[Path]) -> list[str]:
    """A short unique label per path: its folder name, with its parent's where two clash."""
    labels = [Path(p).name or str(p) for p in paths]
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[i] = f"{Path(paths[i]).parent.name}/{label}"
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # the same folder twice: number the repeats
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label}#{seen[label]}"
    return labels


def check_same_prompts(cands: list[Candidate]) -> None:
    """Paired figures need every candidate to have answered the same prompt ids."""
    first = {r["id"] for r in cands[0].rows}
    for c in cands[1:]:
        ids = {r["id"] for r in c.rows}
        if ids != first:
            raise InputError(
                f"--candidates {c.folder} answered {len(ids - first)} prompts that "
                f"{cands[0].folder} did not and missed {len(first - ids)} that it did; evaluate "
                "every candidate on the same --prompts (and --limit) to compare them"
            )


def validation_languages(cands: list[Candidate], languages: list[str] | None) -> list[str]:
    """The languages ranked on: the given ones, else every prompt language but English."""
    present = sorted({r["lang"] for r in cands[0].rows})
    chosen = list(languages) if languages else [x for x in present if x != "en"]
    missing = [x for x in chosen if x not in present]
    if missing or not chosen:
        raise InputError(
            f"--languages {', '.join(missing) or '(none left)'}: no prompts in that language; "
            f"the candidates' prompt languages are {', '.join(present)}; pass non-English "
            "prompt files, or name languages among those"
        )
    return chosen


def is_correct(row: dict) -> bool:
    return row["language"]["verdict"] == "correct"


def passed(row: dict) -> bool | None:
    """A modifier prompt's rule verdict (None: no modifier, or no rule could decide it)."""
    status = (row.get("compliance") or {}).get("status")
    return {"pass": True, "fail": False}.get(status)


def exact(row: dict) -> bool | None:
    """The world judge's exact verdict on a prompt without a modifier (None: not judged)."""
    if row.get("modifier") or row.get("world") is None:
        return None
    return bool(row["world"])


def _share_of(values: list[bool | None]) -> dict[str, Any]:
    known = [v for v in values if v is not None]
    return share(sum(known), len(known))


def figures(c: Candidate, validation: list[str]) -> dict[str, Any]:
    """The candidate's figures (see the module docstring), JSON-ready."""
    langs = sorted({r["lang"] for r in c.rows})
    by = {x: [r for r in c.rows if r["lang"] == x] for x in langs}
    return {
        "correct": {x: _share_of([is_correct(r) for r in by[x]]) for x in langs},
        "validation": _share_of([is_correct(r) for r in c.rows if r["lang"] in validation]),
        "all": _share_of([is_correct(r) for r in c.rows]),
        "modifiers": _share_of([passed(r) for r in c.rows]),
        "modifiers_by_lang": {x: _share_of([passed(r) for r in by[x]]) for x in langs},
        "exact": _share_of([exact(r) for r in c.rows]),
        "exact_by_lang": {x: _share_of([exact(r) for r in by[x]]) for x in langs},
        "families": _families(c.rows),
    }


def _families(rows: list[dict]) -> dict[str, dict[str, Any]]:
    from langadapt.xling.summary import family

    out: dict[str, dict[str, Any]] = {}
    for lang in sorted({r["lang"] for r in rows}):
        mods = sorted(
            {family(r["modifier"]) for r in rows if r["lang"] == lang and r.get("modifier")}
        )
        for fam in mods:
            vals = [passed(r) for r in rows if r["lang"] == lang and r.get("modifier")
                    and family(r["modifier"]) == fam]  # fmt: skip
            out.setdefault(fam, {})[lang] = _share_of(vals)
    return out


def paired(a: Candidate, b: Candidate, metric, keep=lambda r: True) -> dict[str, Any] | None:
    """a minus b on the prompts both have a verdict for (metric(row) -> bool | None): the
    paired-t interval and McNemar's exact test (`stats.paired_flags`)."""
    rows_b = {r["id"]: r for r in b.rows}
    pairs = [(metric(r), metric(rows_b[r["id"]])) for r in a.rows if keep(r)]
    pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
    if not pairs:
        return None
    return paired_flags([x for x, _ in pairs], [y for _, y in pairs])


def pct(est: dict | None) -> str:
    """'41.7% [33.2, 50.6]' (Wilson 95%), or 'n/a'."""
    if not est or est.get("value") is None:
        return "n/a"
    return f"{100 * est['value']:.1f}% [{100 * est['low']:.1f}, {100 * est['high']:.1f}]"


def points(diff: dict | None) -> str:
    """A paired difference in percentage points with its interval and verdict."""
    if not diff:
        return "not measurable (no common prompts)"
    if diff["low"] is None:
        return f"{100 * diff['diff']:+.1f} points (one prompt: no interval)"
    verdict = "significant" if diff["significant"] else "not significant"
    return (f"{100 * diff['diff']:+.1f} points [{100 * diff['low']:+.1f}, "
            f"{100 * diff['high']:+.1f}], {verdict} (McNemar p = {diff['mcnemar_p']:.2g})")  # fmt: skip
