"""`langadapt xling compare`: several models' cross-lingual answers side by side, paired.

The demo's section of Chirkova & Nikoulina (arXiv 2402.14778): does a model tuned on English
only answer a Russian question in Russian? Each candidate is a finished `xling eval` folder or
a model folder evaluated here first (`evals/NAME`, with the options below); the figures
(`candidates.py`) are the correct-language share per prompt language, modifier compliance and
exact accuracy, each with its 95% interval, and every model's paired difference from the
baseline on the same prompts. Writes results.json, summary.md (the figures in words),
report.html / report.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from langadapt.artifacts import StageRun, write_json_atomic, write_text_atomic
from langadapt.errors import InputError
from langadapt.report.html import Section, Table, Text, write_report
from langadapt.xling import candidates as cd


def gather(paths: list[Path], tmp: Path, prompts: list[Path] | None, opts: dict) -> list:
    """Every candidate loaded; model folders are evaluated first into tmp/evals/NAME."""
    from langadapt.xling import eval as xeval

    out = []
    for path, name in zip(paths, cd.names(paths)):
        path = Path(path)
        if cd.is_eval_folder(path):
            out.append(cd.load(path, name))
        elif (path / "config.json").is_file():
            if not prompts:
                raise InputError(
                    f"--candidates {path} is a model folder: pass --prompts to evaluate it (or "
                    "pass the folder of a finished `xling eval` run)"
                )
            folder = tmp / "evals" / name.replace("/", "-")
            xeval.run(model=str(path), prompts=prompts, out=folder, progress=False, **opts)
            out.append(cd.load(folder, name))
        else:
            raise InputError(
                f"--candidates {path} is neither a finished `xling eval` folder nor a model "
                "folder (no manifest.json of xling eval, no config.json)"
            )
    cd.check_same_prompts(out)
    return out


def stage(kind: str, out: Path, candidates: list[Path], prompts: list[Path] | None,
          options: dict[str, Any], force: bool) -> StageRun:  # fmt: skip
    """The StageRun of `xling compare` / `xling select`, inputs and options recorded."""
    if len(candidates) < 2:
        raise InputError(
            f"--candidates: {len(candidates)} given; pass two or more `xling eval` folders or "
            "model folders (for one model, run `langadapt xling eval`)"
        )
    for p in candidates:
        if not Path(p).exists():
            raise InputError(f"--candidates {p} does not exist")
    return StageRun(kind, out, inputs={"candidates": [Path(p) for p in candidates],
                                       "prompts": [Path(p) for p in prompts or []]},
                    options=options, force=force, resumable=True)  # fmt: skip


def where(folder: Path, tmp: Path, out: Path) -> str:
    """A candidate's eval folder as it will be once `tmp` is renamed to `out`."""
    folder = Path(folder)
    return str(out / folder.relative_to(tmp)) if folder.is_relative_to(tmp) else str(folder)


def table(cands: list, figs: dict[str, dict]) -> Table:
    """Model | correct language per prompt language | modifier compliance | exact accuracy."""
    langs = sorted(figs[cands[0].name]["correct"])
    rows = [[c.name, *(cd.pct(figs[c.name]["correct"][x]) for x in langs),
             cd.pct(figs[c.name]["modifiers"]), cd.pct(figs[c.name]["exact"])]
            for c in cands]  # fmt: skip
    cols = ["model", *(f"correct language: {x}" for x in langs)]
    return Table(cols + ["modifier compliance", "exact accuracy"], rows,
                 caption="shares with Wilson 95% intervals")  # fmt: skip


def md_table(t: Table) -> str:
    lines = ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in t.rows]
    return "\n".join(lines)


def paired_all(cands: list, base, validation: list[str]) -> dict[str, dict]:
    """Each other candidate minus `base`: correct language per validation language, modifier
    compliance and exact accuracy, on the same prompts."""
    out = {}
    for c in cands:
        if c is base:
            continue
        out[c.name] = {
            **{
                f"correct:{x}": cd.paired(c, base, cd.is_correct, lambda r, x=x: r["lang"] == x)
                for x in validation
            },  # fmt: skip
            "modifiers": cd.paired(c, base, cd.passed),
            "exact": cd.paired(c, base, cd.exact),
        }
    return out


def detail_sections(cands: list, figs: dict, diffs: dict, base_name: str) -> list[Section]:
    """Per-modifier compliance, exact accuracy per language, paired differences, training."""
    fams = sorted({f for c in cands for f in figs[c.name]["families"]})
    langs = sorted(figs[cands[0].name]["correct"])
    fam_rows = [[f, x, *(cd.pct(figs[c.name]["families"].get(f, {}).get(x)) for c in cands)]
                for f in fams for x in langs
                if any(x in figs[c.name]["families"].get(f, {}) for c in cands)]  # fmt: skip
    exact_rows = [[x, *(cd.pct(figs[c.name]["exact_by_lang"][x]) for c in cands)] for x in langs]
    diff_rows = [[name, what, cd.points(d)] for name, ds in diffs.items() for what, d in ds.items()]
    out = [
        Section("Modifier compliance per instruction",
                [Table(["modifier", "language", *(c.name for c in cands)], fam_rows,
                       caption="rule-checked modifier prompts that pass")]),
        Section("Exact accuracy (world judge) per language",
                [Table(["language", *(c.name for c in cands)], exact_rows,
                       caption="prompts without a modifier, exact against the known answers")]),
        Section(f"Paired differences from {base_name}",
                [Table(["model", "figure", "difference (paired-t 95%; McNemar exact p)"], diff_rows,
                       caption="on the same prompts; significant: McNemar p < 0.05")]),
    ]  # fmt: skip
    out = [s for s in out if s.blocks[0].rows]  # a table with no rows says nothing
    trained = [c for c in cands if c.training]
    if trained:
        rows = [[c.name, c.training.get("lr"), c.training.get("steps"),
                 ", ".join(c.training.get("data", [])), c.training.get("final_loss")]
                for c in trained]  # fmt: skip
        out.append(Section("Training (from each model's sft manifest)", [
            Table(["model", "peak lr", "steps", "data", "final training loss"], rows)]))  # fmt: skip
    links = [Text(f"{c.name}: `{c.model}`; its answers and report: `{c.folder}`") for c in cands]
    out.append(Section("Evaluations", links))
    return out


def _sentences(cands: list, figs: dict, diffs: dict, base, validation: list[str]) -> list[str]:
    said = []
    for x in validation:
        name = cd.language_name(x)
        n = figs[base.name]["correct"][x]["n"]
        each = "; ".join(f"{c.name} {cd.pct(figs[c.name]['correct'][x])}" for c in cands)
        said.append(
            f"On the {n} {name} prompts, the share of answers in the language asked for "
            f"({name} unless a modifier asks for another): {each}."
        )
        vs = "; ".join(f"{k} {cd.points(d[f'correct:{x}'])}" for k, d in diffs.items())
        said.append(f"Paired on the same {name} prompts against {base.name}: {vs}.")
    for key, what in (("modifiers", "Modifier compliance (exact rules, every language)"),
                      ("exact", "Exact accuracy on the fact questions")):  # fmt: skip
        if any(figs[c.name][key]["n"] for c in cands):
            each = "; ".join(f"{c.name} {cd.pct(figs[c.name][key])}" for c in cands)
            vs = "; ".join(f"{k} {cd.points(d[key])}" for k, d in diffs.items())
            said.append(f"{what}: {each} (against {base.name}: {vs}).")
    return said


def write_outputs(tmp: Path, title: str, heading: str, said: list[str], cands: list,
                  figs: dict, diffs: dict, base_name: str, results: dict) -> None:  # fmt: skip
    """results.json, summary.md (heading, sentences, one table), report.html / .md."""
    t = table(cands, figs)
    write_json_atomic(tmp / "results.json", results)
    write_text_atomic(tmp / "summary.md", f"## {heading}\n\n{' '.join(said)}\n\n{md_table(t)}\n")
    sections = [Section("Summary", [*(Text(s) for s in said), t])]
    write_report(tmp, title, sections + detail_sections(cands, figs, diffs, base_name))


def run(
    *,
    candidates: list[Path],
    out: Path,
    prompts: list[Path] | None = None,
    baseline: str | None = None,
    languages: list[str] | None = None,
    judge: Literal["none", "world"] = "none",
    max_new_tokens: int = 512,
    repetition_penalty: float = 1.2,
    batch_size: int = 8,
    limit: int | None = None,
    title: str = "Cross-lingual answers",
    force: bool = False,
) -> Path:
    """Compare models' answers in several languages: correct language, modifiers, accuracy.

    Args:
        candidates: finished `xling eval` folders, or model folders to evaluate on --prompts.
        out: output folder: results.json, summary.md, report.html, evals/ (models evaluated).
        prompts: prompt files for the model folders among --candidates (as `xling eval`).
        baseline: the candidate (by folder name) the others are paired against; default the
            first.
        languages: the languages whose correct-language share is compared and paired
            (default: every prompt language but English).
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
    run_ = stage("xling compare", out, candidates, prompts,
                 {**opts, "baseline": baseline, "languages": languages, "title": title}, force)  # fmt: skip
    if run_.up_to_date():
        return out
    with run_.writing() as tmp:
        cands = gather(candidates, tmp, prompts, opts)
        for c in cands:  # the paths they will have once tmp is renamed into place
            c.folder = Path(where(c.folder, tmp, run_.out))
        validation = cd.validation_languages(cands, languages)
        base = cands[0]
        if baseline is not None:
            base = next((c for c in cands if c.name == baseline), None)
            if base is None:
                raise InputError(
                    f"--baseline {baseline} is not among the candidates: "
                    f"{', '.join(c.name for c in cands)}"
                )
        figs = {c.name: cd.figures(c, validation) for c in cands}
        diffs = paired_all(cands, base, validation)
        said = _sentences(cands, figs, diffs, base, validation)
        results = {"baseline": base.name, "validation_languages": validation,
                   "candidates": [{"name": c.name, "model": c.model, "eval": str(c.folder),
                                   "training": c.training, "figures": figs[c.name]}
                                  for c in cands],
                   "paired": diffs}  # fmt: skip
        write_outputs(tmp, title, title, said, cands, figs, diffs, base.name, results)
        run_.results.update({c.name: figs[c.name]["validation"]["value"] for c in cands})
        print("\n".join(said))
    return out
