"""The model and judge calls of `distill evaluate`, each kind in its own item log (in the
stage's partial folder), so a stopped evaluation asks only what it had not finished."""

from __future__ import annotations

from langadapt.distill import evaljudge, mtbench, records
from langadapt.distill.difficulty import load_template
from langadapt.itemlog import ItemLog


class Asker:
    """Asks models and judges item by item, each kind of call in its own item log."""

    def __init__(self, tmp, wins, tasks, questions, max_new_tokens, batch_size, client, progress):
        self.tmp, self.wins, self.tasks, self.questions = tmp, wins, tasks, questions
        self.max_new, self.batch_size, self.client, self.progress = (
            max_new_tokens, batch_size, client, progress)  # fmt: skip
        self.by_model: dict[str, dict] = {}
        self.judge_max = 512

    def _log(self, kind: str, name: str) -> ItemLog:
        return ItemLog(self.tmp / "items" / f"{kind}-{name}.jsonl")

    def answers(self, name, model, served, flag, mt: bool = False) -> dict:
        """Greedy answers of one model to the win-rate prompts and the world tasks (and
        MT-Bench's two turns, as lists, keyed `mt:ID`), keyed by item id."""
        be = records.backend(model, served, flag.lstrip("-"), batch_size=self.batch_size,
                             **self.client)  # fmt: skip
        items = {it["id"]: it for it in self.wins + self.tasks}

        def solve(chunk):
            got = be.generate([records.user(it["prompt"]) for it in chunk],
                              max_new_tokens=self.max_new, temperature=0.0)  # fmt: skip
            return [{"id": it["id"], "answer": a} for it, a in zip(chunk, got)]

        done = records.each_chunk(list(items.values()), self._log("answers", name), solve,
                                  desc=f"answers {name}", progress=self.progress)  # fmt: skip
        out = {d["id"]: d["answer"] for d in done}
        if mt:
            qs = [{"id": f"mt:{q['question_id']}", "q": q} for q in self.questions]

            def two_turns(chunk):
                t = [q["q"]["turns"] for q in chunk]
                a1 = be.generate([records.user(x[0]) for x in t], max_new_tokens=self.max_new)
                second = [[{"role": "user", "content": x[0]}, {"role": "assistant", "content": a},
                           {"role": "user", "content": x[1]}] for x, a in zip(t, a1)]  # fmt: skip
                a2 = be.generate(second, max_new_tokens=self.max_new)
                return [{"id": q["id"], "answer": [x, y]} for q, x, y in zip(chunk, a1, a2)]

            got = records.each_chunk(qs, self._log("mt-answers", name), two_turns,
                                     desc=f"MT-Bench {name}", progress=self.progress)  # fmt: skip
            out |= {g["id"]: g["answer"] for g in got}
        self.by_model[name] = out
        return out

    def pairwise(self, name, judge, jud, got, ref, seed) -> dict:
        """Verdicts per win-rate item (logged), then the raw and length-controlled win rates."""
        tpl = load_template(None) if judge == "llm" else None

        def solve(chunk):
            if judge == "world":
                return [{"id": it["id"]} | evaljudge.world_pair(got[it["id"]], ref[it["id"]],
                                                                it["accepted"]) for it in chunk]  # fmt: skip
            chats = []
            for it in chunk:
                m, r = got[it["id"]], ref[it["id"]]
                for a1, a2 in ((m, r), (r, m)):  # the candidate first, then second
                    chats.append(records.user(tpl.render(prompt=it["prompt"], answer_1=a1,
                                 answer_2=a2, scale_min=1, scale_max=10)))  # fmt: skip
            raws = jud.generate(chats, max_new_tokens=self.judge_max, temperature=0.0)
            return [{"id": it["id"], "raw_ab": raws[2 * i], "raw_ba": raws[2 * i + 1]}
                    | evaljudge.llm_pair(raws[2 * i], raws[2 * i + 1])
                    for i, it in enumerate(chunk)]  # fmt: skip

        done = records.each_chunk(self.wins, self._log("pairwise", name), solve,
                                  desc=f"judge {name}", progress=self.progress)  # fmt: skip
        prefs = [d["preference"] for d in done]
        figs = evaljudge.win_figures(prefs, [len(got[it["id"]]) for it in self.wins],
                                     [len(ref[it["id"]]) for it in self.wins], seed=seed)  # fmt: skip
        figs["preferences"] = prefs  # in the prompts' order, for paired comparisons
        figs["unreadable_replies"] = sum((d["first"] is None) + (d["second"] is None) for d in done)
        return figs

    def mt_bench(self, name, bench, questions, jud, got, judge_max_tokens) -> dict:
        """Both turns of each question graded by the judge (logged), then the figures."""
        qs = [{"id": f"mt:{q['question_id']}", "q": q} for q in questions]

        def solve(chunk):
            chats = [records.user(mtbench.judge_text(bench, q["q"], got[q["id"]], t))
                     for q in chunk for t in (1, 2)]  # fmt: skip
            raws = jud.generate(chats, max_new_tokens=judge_max_tokens, temperature=0.0)
            return [{"id": q["id"], "raw_1": raws[2 * i], "raw_2": raws[2 * i + 1],
                     "score_1": mtbench.parse_rating(raws[2 * i]),
                     "score_2": mtbench.parse_rating(raws[2 * i + 1])}
                    for i, q in enumerate(chunk)]  # fmt: skip

        done = records.each_chunk(qs, self._log("mt-grades", name), solve,
                                  desc=f"MT-Bench judge {name}", progress=self.progress)  # fmt: skip
        return evaljudge.mt_figures(done, {q["id"]: q["q"]["category"] for q in qs})
