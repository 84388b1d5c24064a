"""The demo report's zoo section: the zoo's manifest as tables and sentences, never as JSON.

The zoo scores its members itself, on every held-out fact question of the world; the demo's
eval asks only the first `limit` of them. When the two figures of the same model and task
differ, the section says why, so a reader does not take one of them for a mistake.
"""

from __future__ import annotations

from langadapt.report.html import Section, Table, Text

# what each member is for, in the report's words
ROLES = {
    "base": "the English-centric base model LEP extends (Russian costs it about twice the tokens)",
    "instruct": "the base tuned on English instructions only: the model LEP adapts",
    "teacher": "a larger bilingual model, a reference for what Russian ability looks like",
    "encoder": "a bilingual masked-LM encoder (for LUSIFER; the demo does not use it)",
}


def _stage_cell(stage: dict) -> str:
    kind = stage.get("stage", "").split(" (")[0]
    bits = [f"{stage['steps']} steps" if "steps" in stage else "", f"lr {stage.get('lr')}"]
    if "final_loss" in stage:
        bits.append(f"loss {stage.get('first_loss', 0):.2f} -> {stage['final_loss']:.2f}")
    return f"{kind}: " + ", ".join(b for b in bits if b)


def members_table(members: dict) -> Table:
    rows = []
    for name, info in members.items():
        stages = info.get("stages", [])
        first = stages[0] if stages else {}
        shape = (
            f"hidden {first.get('hidden')}, {first.get('layers')} layers, "
            f"{first.get('vocab')} tokens"
            if first
            else ""
        )
        seconds = sum(s.get("wall_seconds", s.get("seconds", 0.0)) for s in stages)
        rows.append(
            [
                name,
                ROLES.get(name, ""),
                shape,
                "; ".join(_stage_cell(s) for s in stages),
                seconds,
            ]
        )
    return Table(
        ["member", "what it is for", "shape", "training", "seconds of training"],
        rows,
        caption="the zoo's members (each a Hugging Face folder with a model card, README.md); "
        "instruct's training and seconds include those of its base",
        digits=0,
    )


def facts_table(members: dict) -> tuple[Table | None, list[str]]:
    """Held-out fact accuracy as the zoo measured it, and the language keys it has."""
    keys = sorted({k for info in members.values() for k in info.get("scores", {})})
    rows = [
        [name]
        + [f"{s['exact']:.3f} on {s['n']}" if (s := info["scores"].get(k)) else "-" for k in keys]
        for name, info in members.items()
        if info.get("scores")
    ]
    if not rows:
        return None, keys
    table = Table(
        ["member", *keys],
        rows,
        caption="held-out facts as the zoo scores them: exact match (a final full stop "
        "ignored), on every held-out question of the world",
    )
    return table, keys


def why_figures_differ(members: dict, results: dict | None) -> str | None:
    """One sentence when the zoo's and eval's figures of the same model and task disagree."""
    if not results:
        return None
    pairs = []
    for name, info in members.items():
        for key, s in info.get("scores", {}).items():
            task = f"world_{key}"
            sc = results["scores"].get(name, {})
            est = (
                sc.get("intervals", {})
                .get(task, {})
                .get(results["tasks"].get(task, {}).get("primary"))
            )
            if est and round(est["value"], 3) != round(s["exact"], 3):
                pairs.append((name, key, s, est))
    if not pairs:
        return None
    name, key, s, est = pairs[0]
    example = (
        f"{name}'s {key}: {s['exact']:.3f} on {s['n']} questions here, {est['value']:.3f} on "
        f"{est['n']} in the eval above"
    )
    count = f"; {len(pairs)} such pairs in all" if len(pairs) > 1 else ""
    return (
        f"Where a figure here differs from the eval's ({example}{count}), it is because the two "
        "are measured on different item sets: the zoo asks every held-out fact question of the "
        f"world, the demo's eval only the first {est['n']} of each task; the zoo also ignores a "
        "final full stop, which the eval's exact match counts."
    )


def zoo_section(manifest: dict, results: dict | None) -> Section:
    """The zoo, for a reader of the demo: who is who, how each was trained, what it scores."""
    members = manifest.get("results", {}).get("members", {})
    size = manifest.get("options", {}).get("size", "")
    blocks: list = [
        Text(
            f"The zoo ({size} size) is trained from scratch on the same synthetic world; "
            "every member is a normal Hugging Face folder whose model card (README.md) says how "
            "it was made. docs/zoo.md describes the recipes."
        ),
        members_table(members),
    ]
    facts, _ = facts_table(members)
    if facts is not None:
        blocks.append(facts)
        why = why_figures_differ(members, results)
        if why:
            blocks.append(Text(why))
    return Section("The zoo", blocks)
