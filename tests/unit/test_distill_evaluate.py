"""`distill evaluate`: pairwise verdicts in both orders, world exactness, MT-Bench reading, and
the stage against loopback endpoints (candidate, reference, judge), with bad input."""

from __future__ import annotations

import json

import pytest

from langadapt.distill import evaljudge, evalreport, evaluate, mtbench
from langadapt.errors import ConfigError, InputError
from langadapt.llm.clientopts import Client
from langadapt.llm.loopback import EchoEndpoint

pytest.importorskip("openai")


def test_verdicts_cancel_a_judge_that_prefers_the_first_answer():
    always_first = '{"score_1": 8, "score_2": 5}'
    got = evaljudge.llm_pair(always_first, always_first)
    assert (got["first"], got["second"], got["preference"]) == ("model", "reference", 0.5)
    assert evaljudge.llm_pair('{"score_1": 9, "score_2": 2}', '{"score_1": 2, "score_2": 9}')[
        "preference"] == 1.0  # fmt: skip
    assert evaljudge.llm_pair('{"score_1": 5, "score_2": 5}', "no score")["preference"] is None


def test_world_pair_right_beats_wrong_and_equal_ties():
    acc = ["Paris", "She lives in Paris."]
    assert evaljudge.world_pair("paris.", "Rome", acc)["preference"] == 1.0
    assert evaljudge.world_pair("Rome", "She lives in Paris.", acc)["preference"] == 0.0
    assert evaljudge.world_pair("Rome", "Oslo", acc)["preference"] == 0.5


def test_win_figures_interval_and_length_control():
    prefs = [1.0, 1.0, 0.0, 0.5, None]
    figs = evaljudge.win_figures(prefs, [10, 30, 5, 8, 1], [5, 5, 5, 8, 1])
    raw = figs["raw"]
    assert (raw["n"], raw["wins"], raw["ties"], raw["losses"], raw["unreadable"]) == (4, 2, 1, 1, 1)
    assert raw["win_rate"] == pytest.approx(0.625) and raw["low"] < 0.625 < raw["high"]
    lc = figs["lc"]
    # the wins came with longer answers: regressing out the length lowers the rate
    assert lc["lc_win_rate"] < raw["win_rate"] and lc["low"] <= lc["lc_win_rate"] <= lc["high"]


def test_mt_figures_count_unreadable_grades_apart():
    graded = [{"id": "a", "score_1": 8.0, "score_2": None}, {"id": "b", "score_1": 4.0,
              "score_2": 6.0}]  # fmt: skip
    m = evaljudge.mt_figures(graded, {"a": "math", "b": "writing"})
    assert m["unreadable"] == 1 and m["overall"]["value"] == pytest.approx(6.0)
    assert m["categories"]["math"]["value"] == 8.0 and m["turns"]["2"]["n"] == 1


def test_mt_bench_rating_is_read_as_fastchat_does():
    assert mtbench.parse_rating("Good. Rating: [[7]]") == 7.0
    assert mtbench.parse_rating("Rating: [6.5]") == 6.5
    assert mtbench.parse_rating("Rating: [[11]]") is None and mtbench.parse_rating("fine") is None


def test_mt_bench_folder_missing_is_an_error_naming_it(tmp_path):
    with pytest.raises(InputError, match=str(tmp_path)):
        mtbench.load(tmp_path)


def test_mt_bench_prompts_from_the_shared_files(shared_data):
    bench = mtbench.load(shared_data / "mt_bench")
    assert len(bench["questions"]) == 80
    math = next(q for q in bench["questions"] if q["category"] == "math")
    text = mtbench.judge_text(bench, math, ["A1 {x}", "A2"], 2)
    assert "A1 {x}" in text and bench["references"][math["question_id"]][1] in text
    assert "{question_2}" not in text and "Rating: [[5]]" in mtbench.judge_text(
        bench, bench["questions"][0], ["a", "b"], 1)  # fmt: skip


PROMPTS = ["Name a town.", "bias: name a colour.", "tie: name a pet.", "nojudge: say hi."]


def judge_reply(messages) -> str:
    text = messages[-1]["content"]
    first = text.split("[Assistant 1]")[1].split("[Assistant 2]")[0]
    if "bias:" in text:
        return '{"score_1": 8, "score_2": 5}'
    if "tie:" in text:
        return '{"score_1": 5, "score_2": 5}'
    if "nojudge:" in text:
        return "Both are fine."
    return '{"score_1": 9, "score_2": 2}' if "echo:" in first else '{"score_1": 2, "score_2": 9}'


def test_stage_against_endpoints_both_orders_and_summary(tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "prompt": p}) + "\n"
                           for i, p in enumerate(PROMPTS)))  # fmt: skip
    with EchoEndpoint() as cand, EchoEndpoint(model="ref", reply=lambda m: "a much longer "
                                              "reference reply " + m[-1]["content"]) as ref, \
            EchoEndpoint(model="judge", reply=judge_reply) as jud:  # fmt: skip
        out = evaluate.run(out=tmp_path / "ev", candidates=[cand.url], names=["stu"],
                           reference=ref.url, prompts=src, judge_model=jud.url,
                           candidate_served_models=["echo"], reference_served_model="ref",
                           judge_served_model="judge", progress=False,
                           client=Client(cache_path=tmp_path / "c.sqlite"))  # fmt: skip
        assert jud.total == 2 * len(PROMPTS)  # each prompt judged in both orders
    res = json.loads((out / "results.json").read_text())
    w = res["candidates"][0]["win"]
    assert w["preferences"] == [1.0, 0.5, 0.5, None] and w["unreadable_replies"] == 2
    assert w["raw"]["win_rate"] == pytest.approx(2 / 3)
    summary = (out / "summary.md").read_text()
    assert "stu has the highest win rate, 66.7%" in summary
    assert "includes 0.5" in summary and (out / "report.html").is_file()


def test_side_says_where_the_interval_lies():
    assert "above 0.5" in evalreport.side({"low": 0.55, "high": 0.7})
    assert "below 0.5" in evalreport.side({"low": 0.1, "high": 0.45})
    assert "includes 0.5" in evalreport.side({"low": 0.4, "high": 0.6})


def test_bad_input(tmp_path):
    with pytest.raises(ConfigError, match="nothing to evaluate"):
        evaluate.run(out=tmp_path / "a", candidates=["x"], reference="y")
    with pytest.raises(ConfigError, match="--judge-model"):
        evaluate.run(out=tmp_path / "a", candidates=["x"], reference="y", mt_bench=True)
    with pytest.raises(InputError, match="does not exist"):
        evaluate.run(out=tmp_path / "a", candidates=["x"], reference="y",
                     world_tasks=[tmp_path / "none.jsonl"], judge="world")  # fmt: skip
    with pytest.raises(ConfigError, match="distinct names"):
        evaluate.run(out=tmp_path / "a", candidates=["a/m", "b/m"], reference="y", judge="world")
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"id": 1, "prompt": "q"}\n')
    with pytest.raises(InputError, match="task_type"):
        evaluate.run(out=tmp_path / "a", candidates=["x"], reference="y", world_tasks=[bad],
                     judge="world")  # fmt: skip
    with pytest.raises(InputError, match="mt_bench_dir|MT-Bench folder"):
        evaluate.run(out=tmp_path / "a", candidates=["x"], reference="y", mt_bench=True,
                     judge_model="j", mt_bench_dir=tmp_path)  # fmt: skip
    assert not (tmp_path / "a").exists()


def _cand(name, prefs, hits):
    raw = evaljudge.win_figures(prefs, [1] * len(prefs), [1] * len(prefs))
    world = {"overall": evaljudge.share(hits), "by_type": {}, "hits": hits}
    return {"name": name, "win": raw | {"preferences": prefs}, "world": world}


def test_summary_names_a_tie_as_a_tie_and_a_significant_lead():
    res = {"reference": {"name": "teacher", "world": {"overall": evaljudge.share([True] * 20)}},
           "judge": "world", "candidates": [_cand("a", [0.5] * 20, [False] * 20),
                                            _cand("b", [0.5] * 20, [False] * 20)]}  # fmt: skip
    text = " ".join(evalreport.sentences(res))
    assert "a and b tie for the highest win rate" in text and "lead" not in text
    assert "a and b are equally accurate, 0.0%" in text and "the reference 100.0%" in text
    res["candidates"] = [_cand("a", [1.0] * 18 + [0.5] * 2, [True] * 18 + [False] * 2),
                         _cand("b", [0.0] * 20, [False] * 20)]  # fmt: skip
    text = " ".join(evalreport.sentences(res))
    assert "a has the highest win rate, 95.0%" in text and "above 0.5" in text
    assert "b: 0.0% [0.0, 16.1], the reference is significantly better" in text
    assert "Its lead over b on exact accuracy is +90.0 points" in text and ": significant." in text


def test_a_failed_judge_run_resumes_without_asking_the_models_again(tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "prompt": p}) + "\n"
                           for i, p in enumerate(PROMPTS)))  # fmt: skip
    broken = {"on": True}

    def flaky(messages):
        if broken["on"]:
            raise RuntimeError("judge down")  # the connection drops: the call fails
        return judge_reply(messages)

    with EchoEndpoint() as cand, EchoEndpoint(model="ref", reply=lambda m: "ref") as ref, \
            EchoEndpoint(model="judge", reply=flaky) as jud:  # fmt: skip
        opts = dict(out=tmp_path / "ev", candidates=[cand.url], names=["stu"], reference=ref.url,
                    prompts=src, judge_model=jud.url, candidate_served_models=["echo"],
                    reference_served_model="ref", judge_served_model="judge",
                    client=Client(cache="off", max_retries=0, timeout_s=5.0),
                    progress=False)  # fmt: skip
        with pytest.raises(Exception):  # noqa: B017 (whatever the client raises)
            evaluate.run(**opts)
        assert not (tmp_path / "ev").exists() and (cand.total, ref.total) == (4, 4)
        broken["on"] = False
        evaluate.run(**opts)
        assert (cand.total, ref.total, jud.total) == (4, 4, 8)  # only the judge is asked again
    assert (tmp_path / "ev" / "results.json").is_file()


def test_mt_bench_stage_grades_both_turns_per_category(shared_data, tmp_path):
    def grader(messages):  # turn-2 templates show the conversation; their grade is unreadable
        return "fine" if "Assistant A's Conversation" in messages[-1]["content"] else "[[7]]"

    with EchoEndpoint() as cand, EchoEndpoint(model="judge", reply=grader) as jud:
        out = evaluate.run(out=tmp_path / "ev", candidates=[cand.url], names=["stu"],
                           reference=cand.url, mt_bench=True, judge_model=jud.url,
                           mt_bench_dir=shared_data / "mt_bench", limit=3,
                           candidate_served_models=["echo"], reference_served_model="echo",
                           judge_served_model="judge", progress=False,
                           client=Client(cache_path=tmp_path / "c.sqlite"))  # fmt: skip
        assert jud.total == 6  # 3 questions x 2 turns
    mt = json.loads((out / "results.json").read_text())["candidates"][0]["mt_bench"]
    assert mt["turns"]["1"]["value"] == 7.0 and mt["turns"]["1"]["n"] == 3
    assert mt["turns"]["2"]["n"] == 0 and mt["unreadable"] == 3
    assert set(mt["categories"]) == {"writing"}  # the first three questions are writing
    assert "MT-Bench (3 graded turns, 3 unreadable grades)" in (out / "summary.md").read_text()


def test_difficulty_by_the_world_rules_hard_when_teacher_right_and_student_wrong(tmp_path):
    from langadapt.corpus import read_json_lines
    from langadapt.distill import difficulty, records

    chats = [  # a world chat keeps its short answer and task type on the record
        {"id": "a", "task_type": "fact_qa", "answer": "Paris",
         "messages": [{"role": "user", "content": "Where does Anna live?"},
                      {"role": "assistant", "content": "She lives in Paris."}]},
        {"id": "b", "task_type": "fact_qa", "answer": "Rome",
         "messages": [{"role": "user", "content": "Where does Ivan live?"},
                      {"role": "assistant", "content": "He lives in Rome."}]},
    ]  # fmt: skip
    seed_file = tmp_path / "s.jsonl"
    src = tmp_path / "chats.jsonl"
    src.write_text("".join(json.dumps(c) + "\n" for c in chats))
    rows = records.read_seed(src)  # as `distill seed` reads them
    assert rows[0]["answer"] == "Paris" and rows[0]["reference"] == "She lives in Paris."
    rows = [r | {"teacher": t} for r, t in zip(rows, ["She lives in Paris.", "Milan"])]
    seed_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # the student (an echo endpoint) is wrong on both: the teacher right only on "a"
    with EchoEndpoint(model="stu") as stu:
        out = difficulty.run(data=seed_file, out=tmp_path / "d", student=stu.url, score="world",
                             student_served_model="stu", progress=False,
                             client=Client(cache_path=tmp_path / "c.sqlite"))  # fmt: skip
    got = {r["id"]: r for r in read_json_lines(out / "difficulty.jsonl")}
    assert (got["a"]["mfd"], got["a"]["hard"], got["b"]["mfd"], got["b"]["hard"]) == (
        9.0, True, 0.0, False)  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["hard"], summary["teacher_right"], summary["student_right"]) == (1, 1, 0)
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"id": "x", "prompt": "q", "teacher": "t"}) + "\n")
    with pytest.raises(InputError, match="'answer'"):
        difficulty.run(data=bare, out=tmp_path / "e", student="s", score="world")
