"""`lusifer eval`: hand-computed metrics, the data formats and their errors, a whole run on a
tiny LUSIFER folder against a plain decoder, and nDCG@10 equal to mteb's on the same task."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from test_lusifer_model import lusifer_parts  # noqa: F401 (fixture)

from langadapt.errors import ConfigError, InputError, ModelError
from langadapt.lusifer import evaldata, evalscore


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def test_ndcg_and_average_precision_by_hand():
    # one relevant document at rank 2: DCG = 1/log2(3), ideal 1
    assert evalscore.ndcg_at_10(np.array([0, 1, 0.0]), 1) == pytest.approx(1 / math.log2(3))
    assert evalscore.ndcg_at_10(np.array([1.0, 1, 0]), 2) == pytest.approx(1.0)
    assert evalscore.ndcg_at_10(np.zeros(12), 1) == 0.0
    # relevant at ranks 1 and 3: (1/1 + 2/3) / 2
    assert evalscore.average_precision(np.array([1, 0, 1.0])) == pytest.approx(5 / 6)
    assert evalscore.spearman(np.ones(4), np.arange(4.0)) == 0.0  # undefined -> 0
    assert evalscore.spearman(np.arange(4.0), np.arange(4.0) ** 2) == pytest.approx(1.0)


def test_v_measure_equals_scikit_learns():
    from sklearn.metrics import v_measure_score

    rng = np.random.default_rng(0)
    for labels, pred in [
        (rng.integers(0, 3, 40), rng.integers(0, 4, 40)),
        (np.array([0, 0, 1, 1]), np.array([1, 1, 0, 0])),
        (np.zeros(5, int), np.array([0, 1, 2, 0, 1])),
        (np.zeros(5, int), np.zeros(5, int)),
    ]:
        assert evalscore.v_measure(labels, pred) == pytest.approx(v_measure_score(labels, pred))


def test_cross_lingual_queries_search_only_their_target_language():
    task = evaldata.Task("x", "retrieval", None)
    task.rows = [
        {"query": "q", "positives": ["b"], "negatives": [], "lang": "en", "doc_lang": "ru"},
    ]
    docs = [("a", "en"), ("b", "ru")]
    q, d = np.array([[1.0, 0]]), np.array([[1.0, 0], [0.6, 0.8]])  # "a" is closer, wrong language
    (whole, pair) = evalscore.retrieval(task, q, docs, d, (1,))
    assert pair.subset == "en->ru" and whole.metrics["recall_at_1"](np.arange(1)) == 1.0


@pytest.mark.parametrize(
    ("name", "rows", "match"),
    [
        ("a.jsonl", [{"query": "q", "positive": "d"}], "NAME.KIND.jsonl"),
        ("a.retrieval.jsonl", [{"query": "q"}], "line 1 has no 'positive'"),
        ("a.reranking.jsonl", [{"query": "q", "positive": "d"}], "no 'negatives'"),
        ("a.sts.jsonl", [{"text1": "a", "text2": "b", "score": "high"}], "'score' must be"),
        (
            "a.classification.jsonl",
            [
                {"text": "a", "label": 0, "split": "train"},
                {"text": "b", "label": 1, "split": "train"},
            ],
            "some test rows",
        ),
        ("a.classification.jsonl", [{"text": "a", "label": 0}], "'split' must be"),
        (
            "a.clustering.jsonl",
            [{"text": "a", "label": 0}, {"text": "b", "label": 0}],
            "two labels",
        ),
        (
            "a.retrieval.jsonl",
            [
                {"query": "q", "positive": "d", "instruction": "A"},
                {"query": "q", "positive": "d", "instruction": "B"},
            ],
            "different 'instruction's",
        ),
        ("a.clustering.jsonl", [], "holds no rows"),
    ],
)
def test_bad_task_files_say_what_to_fix(tmp_path, name, rows, match):
    with pytest.raises(InputError, match=match):
        evaldata.read_task(_write(tmp_path / name, rows))


def _tasks(folder):
    langs = ["en", "ru"]
    words = ["cat", "dog", "house", "river", "tree", "bread", "sun", "car"]
    ru = ["кошка", "собака", "дом", "река", "дерево", "хлеб", "солнце", "машина"]
    xl = [
        {"query": w, "positive": r, "lang": "en", "doc_lang": "ru"} for w, r in zip(words, ru)
    ] + [{"query": r, "positive": w, "lang": "ru", "doc_lang": "en"} for w, r in zip(words, ru)]
    return [
        _write(folder / "same.retrieval.jsonl", [{"query": w, "positive": w} for w in words]),
        _write(folder / "xl.retrieval.jsonl", xl),
        _write(
            folder / "rr.reranking.jsonl",
            [{"query": w, "positive": w, "negatives": words[i - 1]} for i, w in enumerate(words)],
        ),
        _write(
            folder / "s.sts.jsonl",
            [
                {"text1": w, "text2": r, "score": i % 3, "lang": "en"}
                for i, (w, r) in enumerate(zip(words, ru))
            ],
        ),
        _write(
            folder / "c.classification.jsonl",
            [
                {"text": t, "label": lang, "split": "train" if i < 6 else "test", "lang": lang}
                for lang, texts in zip(langs, (words, ru))
                for i, t in enumerate(texts)
            ],
        ),
        _write(
            folder / "k.clustering.jsonl",
            [
                {"text": t, "label": lang, "lang": lang}
                for lang, texts in zip(langs, (words, ru))
                for t in texts
            ],
        ),
    ]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, lusifer_parts):  # noqa: F811 (the imported fixture)
    from langadapt.lusifer import LusiferModel
    from langadapt.lusifer.evaluation import run

    enc, llm, _ = lusifer_parts
    tmp = tmp_path_factory.mktemp("lusifer-eval")
    folder = LusiferModel.build(enc, llm).save(tmp / "lus")
    data = _tasks(tmp)
    out = run(model=[folder, llm, folder], data=data, out=tmp / "out", instruction="", iters=200)
    return out, json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_a_run_scores_every_kind_with_intervals_and_paired_differences(evaluated):
    out, results = evaluated
    names = [m["name"] for m in results["models"]]
    assert [m["kind"] for m in results["models"]] == ["lusifer", "decoder", "lusifer"]
    assert names[2] == "lus#2" and results["reference"] == "lus"
    kinds = {e["kind"] for e in results["tasks"]}
    assert kinds == {"retrieval", "reranking", "sts", "classification", "clustering"}
    subsets = {e["subset"] for e in results["tasks"] if e["task"] == "xl"}
    assert subsets == {"all", "en->ru", "ru->en"}
    for e in results["tasks"]:
        for est in (s for model in e["scores"].values() for s in model.values()):
            assert est["low"] - 1e-9 <= est["value"] <= est["high"] + 1e-9
            assert est["method"] == "bootstrap" and est["n"] == e["n"]
        # the same model twice: every paired difference is exactly zero
        assert all(p["diff"] == 0 and not p["significant"] for p in e["paired"]["lus#2"].values())
    same = next(e for e in results["tasks"] if e["task"] == "same")
    # no instruction: a query and its identical document embed the same, so retrieval is perfect
    for name in names:
        assert same["scores"][name]["ndcg_at_10"]["value"] == pytest.approx(1.0)
        assert same["scores"][name]["recall_at_1"]["value"] == pytest.approx(1.0)
    html = (out / "report.html").read_text()
    assert "lus#2 - lus" in html and "t-SNE" in html
    pytest.importorskip("matplotlib")
    assert (out / "tsne_0.png").is_file() and (out / "tsne_2.png").is_file()


def test_without_matplotlib_the_plot_is_skipped_and_the_rest_written(
    tmp_path, evaluated, monkeypatch
):
    from langadapt.lusifer import evalreport

    _, results = evaluated
    monkeypatch.setattr(evalreport, "missing_plot_extra", lambda what: True)
    points = {"lus": {(f"t{i}", "en" if i % 2 else "ru"): np.random.rand(4) for i in range(8)}}
    skipped = evalreport.write(tmp_path, results, points, 0)
    assert skipped == ["t-SNE plot: matplotlib is not installed (the plot extra)"]
    assert (tmp_path / "report.html").is_file() and not list(tmp_path.glob("*.png"))


def test_bad_models_and_options_are_refused(tmp_path):
    from langadapt.lusifer.evaluation import run

    data = [_write(tmp_path / "a.retrieval.jsonl", [{"query": "q", "positive": "d"}])]
    with pytest.raises(ModelError, match="neither a LUSIFER folder"):
        run(model=[tmp_path], data=data, out=tmp_path / "o")
    folder = tmp_path
    with pytest.raises(ConfigError, match="--recall-at"):
        run(model=[folder], data=data, out=tmp_path / "o", recall_at=[0])
    with pytest.raises(ConfigError, match="at least one model"):
        run(model=[], data=data, out=tmp_path / "o")


@pytest.mark.slow
def test_ndcg_at_10_equals_mtebs_on_the_same_task(tmp_path, lusifer_parts):  # noqa: F811
    """Our retrieval metric against mteb 2's own AbsTaskRetrieval on the same in-memory task."""
    pytest.importorskip("mteb")
    import mteb
    from test_lusifer_interop import _retrieval_task

    from langadapt.lusifer import LusiferModel
    from langadapt.lusifer.evaluation import run
    from langadapt.lusifer.mtebwrap import LusiferMTEB

    enc, llm, _ = lusifer_parts
    model = LusiferModel.build(enc, llm).eval()
    folder = model.save(tmp_path / "m")
    want = mteb.evaluate(
        LusiferMTEB(model, instructions={"Retrieval": "Find it"}),
        [_retrieval_task()],
        cache=None,
        show_progress_bar=False,
    )
    rows = [
        {"query": "cat", "positive": "the cat", "negatives": ["a"]},
        {"query": "dog", "positive": "the dog"},
    ]
    out = run(
        model=[folder],
        data=[_write(tmp_path / "t.retrieval.jsonl", rows)],
        out=tmp_path / "o",
        instruction="Find it",
        plot=False,
        iters=20,
    )
    got = json.loads((out / "results.json").read_text())["tasks"][0]["scores"]["m"]
    scores = want.task_results[0].scores["test"][0]
    assert got["ndcg_at_10"]["value"] == pytest.approx(scores["ndcg_at_10"], abs=1e-5)
    assert got["recall_at_1"]["value"] == pytest.approx(scores["recall_at_1"], abs=1e-5)
