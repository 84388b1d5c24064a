"""The demo report's opening: what happened, in plain words, computed from the figures.

Every sentence here is derived from numbers the stages wrote (the tokenizer statistics, and
eval's results.json with its intervals, baselines, answer counts and paired comparisons), so
the words cannot drift from the tables below them. A difference is called a gain or a loss
only when its paired 95% interval excludes zero; otherwise the summary says there is no
significant difference, which on a few dozen items is also what small real effects look like.
"""

from __future__ import annotations

from dataclasses import dataclass

# the eval groups the summary speaks about, and their names in prose
LANGUAGES = {"world-ru": "Russian", "world-en": "English"}


@dataclass
class TokenFigures:
    """Symbols (characters) per token of one language's held-out text, before and after LEP."""

    language: str
    before: float  # the base tokenizer
    after: float  # the extended one
    texts: int  # how many held-out sentences were measured


def _n(x: float) -> str:
    return f"{x:.3f}"


def _d(x: float) -> str:
    return f"{x:+.3f}"


def task_label(task: str) -> str:
    """world_copy_sentence.ru -> copy_sentence.ru (the demo's tasks are all world tasks)."""
    return task.removeprefix("world_")


def token_sentence(t: TokenFigures) -> str:
    """How many tokens the extended tokenizer saves (or costs) on one language's text.

    Tokens for the same text scale as 1 / (symbols per token), so the saving is
    1 - before / after.
    """
    ratio = t.before / t.after  # tokens after / tokens before
    head = (
        f"On {t.texts} held-out {t.language} sentences the extended tokenizer reads "
        f"{t.after:.2f} characters per token, the base {t.before:.2f}"
    )
    if abs(1 - ratio) < 0.005:
        return f"{head}: {t.language} text costs the same number of tokens as before."
    if ratio < 1:
        # "1.0 times fewer" says nothing: the factor only once it reads as one
        times = f" ({1 / ratio:.1f} times fewer)" if 1 / ratio >= 1.15 else ""
        return f"{head}: the same {t.language} text takes {1 - ratio:.0%} fewer tokens{times}."
    return f"{head}: {t.language} text takes {ratio - 1:.0%} more tokens than before."


def difference_phrase(score: float, base_score: float, paired: dict | None) -> str:
    """'0.261 against 0.208: +0.053 (95% interval +0.006 to +0.099), a significant gain' — or
    'a significant loss', or 'no significant difference'."""
    head = f"{_n(score)} against {_n(base_score)}"
    if not paired or paired.get("low") is None:
        return f"{head} (too few items for an interval)"
    ci = f"{_d(paired['diff'])} (95% interval {_d(paired['low'])} to {_d(paired['high'])})"
    if not paired["significant"]:
        return f"{head}: {ci}, no significant difference"
    return f"{head}: {ci}, a significant {'gain' if paired['diff'] > 0 else 'loss'}"


def _outcome(paired: dict | None) -> str:
    if not paired or paired.get("significant") is None:
        return "unknown"
    if not paired["significant"]:
        return "same"
    return "gain" if paired["diff"] > 0 else "loss"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def verdict(language: str, outcomes: dict[str, dict | None], base: str = "instruct") -> str:
    """One sentence over every LEP variant for one language: who gains, who loses, who neither.

    `outcomes`: variant name -> its paired difference against `base` (None: no interval).
    """
    by: dict[str, list[str]] = {"gain": [], "loss": [], "same": [], "unknown": []}
    for name, paired in outcomes.items():
        by[_outcome(paired)].append(name)
    if not by["gain"] and not by["loss"]:
        unknown = f" ({_names(by['unknown'])}: no interval)" if by["unknown"] else ""
        return (
            f"On {language}, no LEP variant differs significantly from {base}{unknown}: on these "
            "items LEP neither helps nor hurts measurably."
        )
    parts = []
    if by["gain"]:
        parts.append(f"{_names(by['gain'])} {_verb(by['gain'], 'gain')} significantly")
    if by["loss"]:
        parts.append(
            f"{_names(by['loss'])} {_verb(by['loss'], 'lose')} significantly, so there LEP hurts"
        )
    if by["same"]:
        s = "does" if len(by["same"]) == 1 else "do"
        parts.append(f"{_names(by['same'])} {s} not differ significantly")
    if by["unknown"]:
        parts.append(f"{_names(by['unknown'])} cannot be judged (no interval)")
    lead = "LEP does not help: " if not by["gain"] else ""
    return f"On {language}, {lead}{'; '.join(parts)}."


def _verb(names: list[str], verb: str) -> str:
    return verb + "s" if len(names) == 1 else verb


def task_differences(per_task: dict[str, dict[str, dict | None]]) -> str:
    """Which single tasks move significantly, per variant.

    `per_task`: task -> variant name -> paired difference against the baseline.
    """
    moved = []
    for task, by_model in per_task.items():
        sig = [
            f"{name} {_d(p['diff'])}"
            for name, p in by_model.items()
            if _outcome(p) in ("gain", "loss")
        ]
        if sig:
            moved.append(f"{task_label(task)} ({', '.join(sig)})")
    if not moved:
        return "No single task differs significantly from the baseline for any LEP variant."
    rest = len(per_task) - len(moved)
    tail = {0: "", 1: "; the other task shows none"}.get(
        rest, f"; the other {rest} tasks show none"
    )
    return f"Task by task, the significant differences are: {'; '.join(moved)}{tail}."


def choice_caveats(results: dict, display: dict[str, str]) -> list[str]:
    """Where a choice task measures little: scores whose interval holds chance, constant answers."""
    out = []
    tasks = results["tasks"]
    at_chance, constant = {}, {}
    for task, info in tasks.items():
        base = info.get("baselines")
        if not base:
            continue
        for label, sc in results["scores"].items():
            est = sc.get("intervals", {}).get(task, {}).get(info["primary"])
            if est and est.get("low") is not None and est["low"] <= base["chance"]:
                at_chance.setdefault(task, []).append(display.get(label, label))
            if sc.get("predictions", {}).get(task, {}).get("constant"):
                constant.setdefault(task, []).append(display.get(label, label))
    models = len(results["scores"])

    def who(names: list[str]) -> str:
        return f"every model ({models})" if len(names) == models else _names(names)

    if at_chance:
        listed = "; ".join(f"{task_label(t)}: {who(n)}" for t, n in at_chance.items())
        out.append(
            "At or below chance (the 95% interval reaches down to the chance level, so the "
            f"score shows no ability above guessing): {listed}."
        )
    if constant:
        share = results.get("statistics", {}).get("constant_share", 0.8)
        listed = "; ".join(f"{task_label(t)}: {who(n)}" for t, n in constant.items())
        out.append(
            f"Constant answers (one option or one position in more than {share:.0%} of a "
            f"model's answers, whatever the question): {listed}."
        )
    permuted = [task_label(t) for t, info in tasks.items() if info.get("permuted")]
    if permuted:
        out.append(
            f"{_names(permuted)} {'was' if len(permuted) == 1 else 'were'} asked with the "
            "options in every cyclic order and averaged, so a model that always picks the same "
            "position scores exactly chance there, not the share of answers in that position."
        )
    return out


def starting_point(results: dict, base: str, bname: str, group: str = "world-ru") -> str | None:
    """What the baseline could already do in the target language: LEP can only keep (or lose)
    an ability that is there. Choice tasks against chance; others as the score and interval."""
    sc = results["scores"].get(base) or {}
    above, at, other = [], [], []
    for task, info in results["tasks"].items():
        if info.get("group") != group or info.get("in_micro_avg") is False:
            continue
        est = sc.get("intervals", {}).get(task, {}).get(info["primary"])
        if not est or est.get("low") is None:
            continue
        fig = f"{task_label(task)} {_n(est['value'])} ({_n(est['low'])} to {_n(est['high'])})"
        chance = (info.get("baselines") or {}).get("chance")
        if chance is None:
            other.append(fig)
        elif est["low"] > chance:
            above.append(f"{fig}, chance {chance:.2f}")
        else:
            at.append(f"{fig}, chance {chance:.2f}")
    if not (above or at or other):
        return None
    lang = LANGUAGES.get(group, group)
    parts = []
    if above:
        parts.append(f"above chance on {'; '.join(above)}")
    if at:
        parts.append(f"not above chance on {'; '.join(at)}")
    if other:
        parts.append(f"it scores {'; '.join(other)}")
    return f"Before LEP, {bname} on {lang} (95% intervals): {'; '.join(parts)}."


def summarise(
    results: dict, tokens: list[TokenFigures], display: dict[str, str], variants: list[str]
) -> list[str]:
    """The summary's paragraphs: tokens saved, each LEP variant against the baseline, caveats.

    `results`: eval's results.json, with comparisons against the baseline model; `display`:
    eval label -> the name the report uses; `variants`: the labels of the LEP models, in order.
    """
    comp = results.get("comparisons") or {}
    base = comp.get("baseline")
    paras = [" ".join(token_sentence(t) for t in tokens)] if tokens else []
    if not base or not comp.get("models"):
        paras.append(
            "eval compared no models with a baseline, so no difference can be called "
            "significant; run eval with --baseline instruct."
        )
        return paras
    scores = results["scores"]
    variants = [v for v in variants if v in comp["models"]]
    groups = [g for g in LANGUAGES if g in scores[base]["groups"]]
    n = sorted({est["n"] for est in _task_estimates(results, base)})
    items = f"{n[0]}" if len(n) == 1 else f"{n[0]} to {n[-1]}"
    bname = display.get(base, base).split(" (")[0]
    if start := starting_point(results, base, bname):
        paras.append(start)
    paras.append(
        f"Each LEP model against {bname}, the English-only model LEP started from, on the same "
        f"held-out items ({items} per task), as the average over each language's tasks with "
        "the paired 95% interval of the difference:"
    )
    for v in variants:
        parts = [
            f"{LANGUAGES[g]} "
            + difference_phrase(
                scores[v]["groups"][g],
                scores[base]["groups"][g],
                comp["models"][v]["groups"].get(g),
            )
            for g in groups
        ]
        paras.append(f"{display.get(v, v)}: {'; '.join(parts)}.")
    paras.append(
        " ".join(
            verdict(
                LANGUAGES[g],
                {display.get(v, v): comp["models"][v]["groups"].get(g) for v in variants},
                bname,
            )
            for g in groups
        )
    )
    per_task = {
        t: {display.get(v, v): comp["models"][v]["tasks"].get(t) for v in variants}
        for t in results["tasks"]
        if any(t in comp["models"][v]["tasks"] for v in variants)
    }
    paras.append(task_differences(per_task))
    paras += choice_caveats(results, display)
    return paras


def _task_estimates(results: dict, label: str) -> list[dict]:
    sc = results["scores"][label]
    return [
        est
        for t, info in results["tasks"].items()
        if (est := sc.get("intervals", {}).get(t, {}).get(info["primary"]))
    ]
