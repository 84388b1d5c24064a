"""The demo report's summary sentences, from hand-made figures (no model, no run folder)."""

from __future__ import annotations

from langadapt.demo.summary import (
    TokenFigures,
    difference_phrase,
    starting_point,
    summarise,
    task_differences,
    token_sentence,
    verdict,
)


def paired(diff: float, low: float, high: float) -> dict:
    """A paired difference as eval writes it (stats._paired)."""
    return {"diff": diff, "low": low, "high": high, "significant": low > 0 or high < 0}


GAIN, LOSS, SAME = paired(0.05, 0.01, 0.09), paired(-0.04, -0.07, -0.01), paired(0.02, -0.02, 0.06)


def test_difference_phrase_names_gain_loss_and_no_difference():
    assert difference_phrase(0.261, 0.208, GAIN) == (
        "0.261 against 0.208: +0.050 (95% interval +0.010 to +0.090), a significant gain"
    )
    assert difference_phrase(0.2, 0.24, LOSS).endswith(
        "-0.040 (95% interval -0.070 to -0.010), a significant loss"
    )
    assert difference_phrase(0.3, 0.28, SAME).endswith("no significant difference")
    one_item = {"diff": 0.1, "low": None, "high": None, "significant": None}
    assert "too few items" in difference_phrase(0.3, 0.2, one_item)


def test_verdict_says_where_lep_helps_hurts_or_neither():
    assert verdict("Russian", {"LEP Swap": SAME, "LEP Conversion": GAIN}) == (
        "On Russian, LEP Conversion gains significantly; LEP Swap does not differ significantly."
    )
    hurt = verdict("English", {"LEP Swap": LOSS, "LEP Overlap": SAME})
    assert hurt.startswith("On English, LEP does not help: LEP Swap loses significantly")
    assert "LEP hurts" in hurt and "LEP Overlap does not differ" in hurt
    none = verdict("Russian", {"LEP Swap": SAME, "LEP Overlap": SAME})
    assert none == (
        "On Russian, no LEP variant differs significantly from instruct: on these items LEP "
        "neither helps nor hurts measurably."
    )
    both = verdict("Russian", {"A": GAIN, "B": GAIN})
    assert "A and B gain significantly" in both


def test_token_sentence_computes_the_saving_from_symbols_per_token():
    # tokens scale as 1 / symbols-per-token: 1 - 1.0 / 2.5 = 60% fewer, 2.5 times fewer
    ru = token_sentence(TokenFigures("Russian", before=1.0, after=2.5, texts=10))
    assert "2.50 characters per token, the base 1.00" in ru
    assert "60% fewer tokens (2.5 times fewer)" in ru
    en = token_sentence(TokenFigures("English", before=2.44, after=2.44, texts=10))
    assert en.endswith("English text costs the same number of tokens as before.")
    worse = token_sentence(TokenFigures("English", before=2.0, after=1.6, texts=10))
    assert "25% more tokens" in worse


def test_task_differences_lists_only_significant_tasks():
    text = task_differences(
        {
            "world_copy_sentence.ru": {"LEP Swap": GAIN, "LEP Conversion": SAME},
            "world_mc.ru": {"LEP Swap": SAME, "LEP Conversion": LOSS},
            "world_facts.ru": {"LEP Swap": SAME, "LEP Conversion": SAME},
        }
    )
    assert text == (
        "Task by task, the significant differences are: copy_sentence.ru (LEP Swap +0.050); "
        "mc.ru (LEP Conversion -0.040); the other task shows none."
    )
    assert "No single task" in task_differences({"world_mc.ru": {"LEP Swap": SAME}})


def _est(value: float, low: float, high: float, n: int = 16) -> dict:
    return {"value": value, "stderr": 0.02, "low": low, "high": high, "method": "wilson", "n": n}


def results() -> dict:
    """A results.json in miniature: two Russian tasks, instruct and one LEP model."""
    tasks = {
        "world_mc.ru": {
            "group": "world-ru",
            "primary": "accuracy",
            "permuted": True,
            "baselines": {"chance": 0.25, "majority": 0.25, "majority_answer": "A"},
        },
        "world_copy_sentence.ru": {"group": "world-ru", "primary": "copy_sentence"},
    }

    def model(mc: float, copy: float, constant: bool) -> dict:
        pred = {"top": "D", "top_share": 1.0 if constant else 0.4, "constant": constant}
        return {
            "groups": {"world-ru": (mc + copy) / 2},
            "intervals": {
                "world_mc.ru": {"accuracy": _est(mc, mc - 0.1, mc + 0.1)},
                "world_copy_sentence.ru": {"copy_sentence": _est(copy, copy - 0.1, copy + 0.1)},
            },
            "predictions": {
                "world_mc.ru": {
                    "answers": pred,
                    "positions": {**pred, "top": 3},
                    "constant": constant,
                }
            },
        }

    return {
        "tasks": tasks,
        "scores": {"instruct": model(0.25, 0.40, False), "swap": model(0.25, 0.60, True)},
        "comparisons": {
            "baseline": "instruct",
            "models": {
                "swap": {
                    "tasks": {"world_mc.ru": SAME, "world_copy_sentence.ru": GAIN},
                    "groups": {"world-ru": GAIN},
                    "micro_avg": GAIN,
                }
            },
        },
        "statistics": {"constant_share": 0.8},
    }


def test_summarise_composes_tokens_comparisons_and_caveats():
    tokens = [TokenFigures("Russian", 0.83, 2.57, 66)]
    paras = summarise(results(), tokens, {"instruct": "instruct", "swap": "LEP Swap"}, ["swap"])
    text = "\n".join(paras)
    assert paras[0].startswith("On 66 held-out Russian sentences") and "68% fewer" in paras[0]
    assert "(16 per task)" in text
    assert "LEP Swap: Russian 0.425 against 0.325: +0.050" in text and "significant gain" in text
    assert "On Russian, LEP Swap gains significantly." in text
    assert "copy_sentence.ru (LEP Swap +0.050); the other task shows none" in text
    # mc.ru: both intervals reach 0.25 (chance); the LEP model always answers position 4
    assert "mc.ru: every model (2)" in text
    assert "Constant answers" in text and "mc.ru: LEP Swap" in text
    assert "every cyclic order" in text
    assert "{" not in text and "`" not in text


def test_summarise_without_a_baseline_says_nothing_is_significant():
    res = results()
    res["comparisons"] = {"baseline": None, "models": {}}
    paras = summarise(res, [], {}, ["swap"])
    assert len(paras) == 1 and "--baseline instruct" in paras[0]


def test_starting_point_says_what_the_baseline_could_do_before_lep():
    res = results()
    res["scores"]["instruct"]["intervals"]["world_mc.ru"]["accuracy"] = _est(0.6, 0.5, 0.7)
    line = starting_point(res, "instruct", "instruct")
    assert line == (
        "Before LEP, instruct on Russian (95% intervals): above chance on mc.ru 0.600 (0.500 "
        "to 0.700), chance 0.25; it scores copy_sentence.ru 0.400 (0.300 to 0.500)."
    )
    at = starting_point(results(), "instruct", "instruct")  # 0.25 (0.15 to 0.35): not above
    assert "not above chance on mc.ru 0.250 (0.150 to 0.350), chance 0.25" in at
    res["tasks"]["world_mc.ru"]["in_micro_avg"] = False  # shown, not averaged: not spoken of
    assert "mc.ru" not in starting_point(res, "instruct", "instruct")
