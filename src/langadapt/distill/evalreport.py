"""summary.md (the figures of `distill evaluate` in words) and report.html / report.md.

Every sentence is computed from results.json: which candidate wins most against the reference,
whether its 95% interval excludes 0.5, which is most exact on the world's tasks and whether its
lead over the next is significant (paired-t on the same tasks), and, with a baseline candidate
(TAPIR's comparison: a random sample of the curated set's size), each candidate minus the
baseline on the same items (McNemar's exact test on right/wrong, paired-t on preferences).
"""

from __future__ import annotations

from pathlib import Path

from langadapt import stats
from langadapt.artifacts import write_text_atomic
from langadapt.report.html import Samples, Section, Table, Text, write_report


def pct(est: dict | None, key: str = "value") -> str:
    """ "41.2% [30.1, 52.3]" from an estimate, "n/a" without a value."""
    if not est or est.get(key) is None:
        return "n/a"
    if est.get("low") is None:
        return f"{100 * est[key]:.1f}%"
    return f"{100 * est[key]:.1f}% [{100 * est['low']:.1f}, {100 * est['high']:.1f}]"


def grade(est: dict | None) -> str:
    if not est or est.get("value") is None:
        return "n/a"
    if est.get("low") is None:
        return f"{est['value']:.2f}"
    return f"{est['value']:.2f} [{est['low']:.2f}, {est['high']:.2f}]"


def _raw(c: dict) -> dict:
    r = c["win"]["raw"]
    return {"value": r["win_rate"], "low": r["low"], "high": r["high"]}


def side(est: dict) -> str:
    """Where a win rate's interval lies against 0.5, in words."""
    if est.get("low") is None:
        return "too few items for an interval"
    if est["low"] > 0.5:
        return "its interval lies above 0.5: significantly better than the reference"
    if est["high"] < 0.5:
        return "its interval lies below 0.5: the reference is significantly better"
    return "its interval includes 0.5: no significant difference from the reference"


def _paired(a: list, b: list) -> dict | None:
    pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
    if len(pairs) < 2:
        return None
    return stats.paired_t([float(x) for x, _ in pairs], [float(y) for _, y in pairs])


def _lead(ranked: list[dict], values: str, what: str) -> str:
    """A sentence on whether the best candidate's lead over the next is significant."""
    if len(ranked) < 2:
        return ""
    d = _paired(ranked[0][values], ranked[1][values])
    if d is None or d["low"] is None:
        return ""
    verdict = "significant" if d["significant"] else "not significant"
    return (f"Its lead over {ranked[1]['name']} on {what} is {100 * d['diff']:+.1f} points "
            f"[{100 * d['low']:+.1f}, {100 * d['high']:+.1f}] (paired-t 95%): {verdict}.")  # fmt: skip


def _top(ranked: list[dict], value) -> list[dict]:
    """The candidates sharing the best value (ranked best first)."""
    return [c for c in ranked if value(c) == value(ranked[0])]


def _and(cands: list[dict]) -> str:
    names = [c["name"] for c in cands]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def sentences(results: dict) -> list[str]:
    """The summary's sentences, from the figures."""
    ref = results["reference"]["name"]
    cands = results["candidates"]
    said = []
    won = [c | {"prefs": c["win"]["preferences"]} for c in cands if "win" in c
           and c["win"]["raw"]["win_rate"] is not None]  # fmt: skip
    if won:
        won.sort(key=lambda c: -c["win"]["raw"]["win_rate"])
        b, top = won[0], _top(won, lambda c: c["win"]["raw"]["win_rate"])
        who = f"{b['name']} has" if len(top) == 1 else f"{_and(top)} tie for"
        said.append(
            f"Against the reference ({ref}; {results['judge']} judge, {b['win']['raw']['n']} "
            f"prompts, both presentation orders, ties as halves) {who} the highest win "
            f"rate, {pct(_raw(b))} (length-controlled {pct(b['win']['lc'], 'lc_win_rate')}); "
            f"{side(_raw(b))}."
        )
        said += [f"{c['name']}: {pct(_raw(c))}, {side(_raw(c)).split(': ')[-1]}."
                 for c in won[len(top):]]  # fmt: skip
        said.append(_lead(won, "prefs", "the win-rate preference") if len(top) == 1 else "")
    exact = [c | {"h": [float(h) for h in c["world"]["hits"]]} for c in cands
             if c.get("world") and c["world"]["overall"]["value"] is not None]  # fmt: skip
    if exact:
        exact.sort(key=lambda c: -c["world"]["overall"]["value"])
        b, top = exact[0], _top(exact, lambda c: c["world"]["overall"]["value"])
        refw = results["reference"]["world"]["overall"]
        who = (f"{b['name']} is the most accurate student" if len(top) == 1
               else f"{_and(top)} are equally accurate")  # fmt: skip
        said.append(
            f"On the world's {b['world']['overall']['n']} held-out tasks (exact answers) "
            f"{who}, {pct(b['world']['overall'])}; "
            + ", ".join(f"{c['name']} {pct(c['world']['overall'])}" for c in exact[len(top) :])
            + ("; " if len(exact) > len(top) else "")
            + f"the reference {pct(refw)}."
        )
        said.append(_lead(exact, "h", "exact accuracy") if len(top) == 1 else "")
    mt = [c for c in cands if c.get("mt_bench")]
    for c in mt:
        m = c["mt_bench"]
        said.append(f"MT-Bench ({m['overall']['n']} graded turns, {m['unreadable']} "
                    f"unreadable grades): {c['name']} averages {grade(m['overall'])} on 1-10.")  # fmt: skip
    said += against_baseline(results)
    return [s for s in said if s]


def points(d: dict) -> str:
    """A paired difference in percentage points, its interval and verdict (McNemar's p when
    the values were right/wrong flags)."""
    if d["low"] is None:
        return f"{100 * d['diff']:+.1f} points (too few items for an interval)"
    verdict = "significant" if d["significant"] else "not significant"
    test = f"McNemar p = {d['mcnemar_p']:.2g}" if "mcnemar_p" in d else "paired-t 95%"
    return (f"{100 * d['diff']:+.1f} points [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}] "
            f"({test}): {verdict}")  # fmt: skip


def _baseline(results: dict) -> tuple[dict | None, list[dict]]:
    name = results.get("baseline")
    cands = results["candidates"]
    base = next((c for c in cands if c["name"] == name), None)
    return base, [c for c in cands if c is not base]


def _exact_diff(c: dict, base: dict, keep: list[bool] | None = None) -> dict:
    a, b = c["world"]["hits"], base["world"]["hits"]
    if keep is not None:
        a, b = [x for x, k in zip(a, keep) if k], [y for y, k in zip(b, keep) if k]
    return stats.paired_flags(a, b)


def against_baseline(results: dict) -> list[str]:
    """Each candidate minus the baseline candidate on the same items (TAPIR's question: does
    the curated data beat a random sample of the same size?), then which wins, in words."""
    base, others = _baseline(results)
    if base is None or not others:
        return []
    said, better, worse = [], [], []
    for c in others:
        parts = []
        if c.get("world") and base.get("world"):
            d = _exact_diff(c, base)
            parts.append(f"exact accuracy {points(d)}")
            if d["significant"]:
                (better if d["diff"] > 0 else worse).append(c)
        if "win" in c and "win" in base:
            d = _paired(c["win"]["preferences"], base["win"]["preferences"])
            if d is not None:
                parts.append(f"win-rate preference {points(d)}")
        if parts:
            said.append(f"{c['name']} minus {base['name']}: " + "; ".join(parts) + ".")
    if not any(c.get("world") for c in others):
        return said
    name = base["name"]
    if better:
        said.append(f"On exact accuracy {_and(better)} beat{'s' * (len(better) == 1)} {name}.")
    if worse:
        said.append(f"On exact accuracy {_and(worse)} lose{'s' * (len(worse) == 1)} to {name}: "
                    f"there the curation hurts.")  # fmt: skip
    if not better and not worse:
        said.append(f"On exact accuracy no candidate differs significantly from {name}.")
    return said


def baseline_table(results: dict) -> Table | None:
    """Per task type: each candidate minus the baseline on exact accuracy (paired, McNemar)."""
    base, others = _baseline(results)
    types = results.get("task_types")
    if base is None or not base.get("world") or not types:
        return None
    rows = []
    for tt in ["all", *sorted(set(types))]:
        keep = None if tt == "all" else [t == tt for t in types]
        cells = []
        for c in others:
            d = _exact_diff(c, base, keep)
            mark = " *" if d["significant"] else ""
            cells.append(f"{100 * d['diff']:+.1f} (p {d['mcnemar_p']:.2g}){mark}")
        rows.append([tt, sum(keep) if keep else len(types), *cells])
    return Table(["task type", "items", *(f"{c['name']} minus {base['name']}" for c in others)],
                 rows, caption="exact accuracy, points; McNemar's exact p; * p < 0.05")  # fmt: skip


def table(results: dict) -> Table:
    rows = [[c["name"], pct(_raw(c)) if "win" in c else "n/a",
             pct(c["win"]["lc"], "lc_win_rate") if "win" in c else "n/a",
             pct(c["world"]["overall"]) if c.get("world") else "n/a",
             grade(c["mt_bench"]["overall"]) if c.get("mt_bench") else "n/a"]
            for c in results["candidates"]]  # fmt: skip
    cols = ["student", "win rate", "length-controlled", "world exact", "MT-Bench (1-10)"]
    return Table(cols, rows, caption="95% intervals in brackets")


def _md_table(t: Table) -> str:
    lines = ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
    lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in t.rows]
    return "\n".join(lines + ([f"\n{t.caption[0].upper()}{t.caption[1:]}."] if t.caption else []))


def headline(results: dict) -> dict:
    """The manifest's results: each candidate's win rate, LC win rate and world accuracy."""
    out = {}
    for c in results["candidates"]:
        if "win" in c:
            out[f"{c['name']}:win_rate"] = c["win"]["raw"]["win_rate"]
            out[f"{c['name']}:lc_win_rate"] = c["win"]["lc"]["lc_win_rate"]
        if c.get("world"):
            out[f"{c['name']}:world_exact"] = c["world"]["overall"]["value"]
    return out


TITLE = "TAPIR distillation: students against the reference"


def write(tmp: Path, results: dict, wins: list[dict], by_model: dict[str, dict],
          head: str = TITLE) -> None:  # fmt: skip
    """summary.md, report.html and report.md in `tmp`, headed `head`."""
    said, t = sentences(results), table(results)
    vs = baseline_table(results)
    body = "\n\n".join(_md_table(x) for x in [t] + ([vs] if vs is not None else []))
    write_text_atomic(tmp / "summary.md", f"## {head}\n\n{' '.join(said)}\n\n{body}\n")
    sections = [Section("Summary", [Text(" ".join(said)), t])]
    if vs is not None:
        sections.append(Section(f"Against {results['baseline']}, on the same items", [vs]))
    cands = [c for c in results["candidates"] if c.get("world")]
    if cands:
        types = sorted(cands[0]["world"]["by_type"])
        rows = [[tt, *(pct(c["world"]["by_type"][tt]) for c in cands),
                 pct(results["reference"]["world"]["by_type"][tt])] for tt in types]  # fmt: skip
        sections.append(Section("Exact accuracy per task type (world judge)", [Table(
            ["task type", *(c["name"] for c in cands), "reference"], rows,
            caption="Wilson 95% intervals")]))  # fmt: skip
    mt = [c for c in results["candidates"] if c.get("mt_bench")]
    if mt:
        cats = sorted({k for c in mt for k in c["mt_bench"]["categories"]})
        rows = [[k, *(grade(c["mt_bench"]["categories"].get(k)) for c in mt)] for k in cats]
        sections.append(Section("MT-Bench single-answer grades per category", [Table(
            ["category", *(c["name"] for c in mt)], rows, caption="1-10, normal 95% intervals")]))  # fmt: skip
    if wins:
        samples = [Samples(it["prompt"], {n: str(a.get(it["id"], "")) for n, a in by_model.items()})
                   for it in wins[:5]]  # fmt: skip
        sections.append(Section("Answers (first prompts)", samples))
    write_report(tmp, head, sections)
