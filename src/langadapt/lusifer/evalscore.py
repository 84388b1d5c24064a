"""Scores of one embedding model on one task, as functions of resampled items.

Every metric is a function `f(idx) -> float` of an index array into the task's units (queries,
pairs or test items), so its value is `f(arange(n))`, its 95% interval the bootstrap of `f`
over resampled units (`stats.bootstrap_estimate`) and the difference of two models on the same
units a paired bootstrap with the same indices (`stats.paired_bootstrap`). The metrics, on
L2-normalised embeddings (cosine = dot product):

- retrieval: nDCG@10 (binary relevance, log2 discount, ideal DCG of min(relevant, 10)) and
  recall@k (share of a query's relevant documents in its top k), per query, averaged;
- reranking: average precision of each query's own candidates, averaged (MAP);
- sts: Spearman correlation of cosine similarity with the gold score;
- classification: accuracy on the test rows of a logistic regression fitted on the train rows'
  embeddings (scikit-learn, as MTEB's classification);
- clustering: V-measure of k-means (k = number of labels, seeded) against the labels; the
  clustering is fitted once on every item, the resampling is over items.

Rows with languages are also scored per language (retrieval: per `lang->doc_lang` pair) on the
same predictions; these subsets are labelled `SUBSET` in the results, `all` is every unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from langadapt.lusifer.evaldata import Task

Metric = Callable[[np.ndarray], float]


@dataclass
class Scored:
    """One subset of a task's units with its metrics; `main` is the headline metric."""

    subset: str
    n: int
    metrics: dict[str, Metric]
    main: str


def _mean(values: np.ndarray) -> Metric:
    return lambda idx: float(values[idx].mean())


def _subsets(groups: list[str | None], metrics: dict[str, Metric], main: str) -> list[Scored]:
    """`all` plus one Scored per distinct group (rows without a group are only in `all`)."""
    out = [Scored("all", len(groups), metrics, main)]
    for g in sorted({g for g in groups if g}):
        members = np.array([i for i, x in enumerate(groups) if x == g])
        sub = {name: (lambda idx, f=f, m=members: f(m[idx])) for name, f in metrics.items()}
        out.append(Scored(g, len(members), sub, main))
    return out


def ndcg_at_10(ranked_relevance: np.ndarray, n_relevant: int) -> float:
    """nDCG@10 of one query: `ranked_relevance` `[>= 10]` 0/1 in ranked order."""
    top = ranked_relevance[:10]
    discounts = 1.0 / np.log2(np.arange(2, top.size + 2))
    ideal = discounts[: min(n_relevant, top.size)].sum()
    return float((top * discounts).sum() / ideal) if ideal > 0 else 0.0


def average_precision(ranked_relevance: np.ndarray) -> float:
    """Average precision of one ranked 0/1 list (mean precision at each relevant position)."""
    hits = np.flatnonzero(ranked_relevance)
    if hits.size == 0:
        return 0.0
    return float(np.mean(np.arange(1, hits.size + 1) / (hits + 1)))


def retrieval(task: Task, q: np.ndarray, docs: list, d: np.ndarray, recall_at) -> list[Scored]:
    """q `[queries, dim]`, d `[docs, dim]`; `docs` the (text, lang) keys of d's rows."""
    index = {key: i for i, key in enumerate(docs)}
    doc_langs = np.array([lang or "" for _, lang in docs])
    sims = q @ d.T  # [queries, docs]
    per = {"ndcg_at_10": [], **{f"recall_at_{k}": [] for k in recall_at}}
    for i, row in enumerate(task.rows):
        s = sims[i].copy()
        if row["doc_lang"]:  # a cross-lingual query searches its target language only
            s[doc_langs != row["doc_lang"]] = -np.inf
        order = np.argsort(-s, kind="stable")
        relevant = {index[(t, row["doc_lang"])] for t in row["positives"]}
        rel = np.isin(order, list(relevant)).astype(np.float64)
        per["ndcg_at_10"].append(ndcg_at_10(rel, len(relevant)))
        for k in recall_at:
            per[f"recall_at_{k}"].append(rel[:k].sum() / len(relevant))
    metrics = {name: _mean(np.array(v)) for name, v in per.items()}
    groups = [
        f"{r['lang'] or '?'}->{r['doc_lang'] or '?'}" if r["lang"] or r["doc_lang"] else None
        for r in task.rows
    ]
    return _subsets(groups, metrics, "ndcg_at_10")


def reranking(task: Task, q: np.ndarray, cands: list[np.ndarray]) -> list[Scored]:
    """q `[queries, dim]`; cands[i] `[candidates_i, dim]`, the row's positives first."""
    aps = []
    for i, row in enumerate(task.rows):
        order = np.argsort(-(cands[i] @ q[i]), kind="stable")
        aps.append(average_precision((order < len(row["positives"])).astype(np.float64)))
    return _subsets([r["lang"] for r in task.rows], {"map": _mean(np.array(aps))}, "map")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho; 0 where it is undefined (a constant resample has no ordering)."""
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def sts(task: Task, e1: np.ndarray, e2: np.ndarray) -> list[Scored]:
    """e1, e2 `[pairs, dim]`: the two texts of each pair."""
    cos = (e1 * e2).sum(axis=1)
    gold = np.array([r["score"] for r in task.rows])
    metrics = {"spearman": lambda idx: spearman(cos[idx], gold[idx])}
    return _subsets([r["lang"] for r in task.rows], metrics, "spearman")


def classification(task: Task, e: np.ndarray, seed: int) -> list[Scored]:
    """e `[rows, dim]`; fits on the train rows, scores the test rows."""
    from sklearn.linear_model import LogisticRegression

    train = np.array([r["split"] == "train" for r in task.rows])
    labels = np.array([r["label"] for r in task.rows])
    clf = LogisticRegression(max_iter=1000, random_state=seed).fit(e[train], labels[train])
    correct = (clf.predict(e[~train]) == labels[~train]).astype(np.float64)
    test_langs = [r["lang"] for r, t in zip(task.rows, train) if not t]
    return _subsets(test_langs, {"accuracy": _mean(correct)}, "accuracy")


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def v_measure(labels: np.ndarray, pred: np.ndarray) -> float:
    """V-measure (Rosenberg & Hirschberg, 2007) of integer labels and clusters `[items]`.

    The harmonic mean of homogeneity 1 - H(C|K)/H(C) and completeness 1 - H(K|C)/H(K), each 1
    where its entropy is 0 (as scikit-learn's `v_measure_score`, tested equal); numpy, since
    the bootstrap calls it a thousand times per score.
    """
    table = np.zeros((labels.max() + 1, pred.max() + 1))
    np.add.at(table, (labels, pred), 1)
    table = table[table.sum(1) > 0][:, table.sum(0) > 0]
    h_c, h_k, joint = _entropy(table.sum(1)), _entropy(table.sum(0)), _entropy(table.ravel())
    homogeneity = 1.0 if h_c == 0 else 1 - (joint - h_k) / h_c
    completeness = 1.0 if h_k == 0 else 1 - (joint - h_c) / h_k
    total = homogeneity + completeness
    return 0.0 if total == 0 else float(2 * homogeneity * completeness / total)


def clustering(task: Task, e: np.ndarray, seed: int) -> list[Scored]:
    """e `[rows, dim]`; k-means with as many clusters as labels."""
    from sklearn.cluster import KMeans

    names = sorted({r["label"] for r in task.rows})
    labels = np.array([names.index(r["label"]) for r in task.rows])
    pred = KMeans(n_clusters=len(names), n_init=10, random_state=seed).fit_predict(e)
    metrics = {"v_measure": lambda idx: v_measure(labels[idx], pred[idx])}
    return _subsets([r["lang"] for r in task.rows], metrics, "v_measure")
