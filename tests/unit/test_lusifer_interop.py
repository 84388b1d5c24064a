"""A saved LUSIFER folder as a sentence-transformers model and as an MTEB v2 model (offline)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from test_lusifer_model import lusifer_parts  # noqa: F401 (fixture)

pytest.importorskip("sentence_transformers")
pytest.importorskip("mteb")


@pytest.fixture(scope="module")
def saved(tmp_path_factory, lusifer_parts):  # noqa: F811 (the imported fixture)
    from langadapt.lusifer import LusiferModel

    enc, llm, _ = lusifer_parts
    model = LusiferModel.build(enc, llm).eval()
    return model, model.save(tmp_path_factory.mktemp("lusifer-saved") / "m")


def test_sentence_transformer_reads_the_folder(saved):
    from sentence_transformers import SentenceTransformer

    from langadapt.lusifer.st import sentence_transformer

    model, folder = saved
    cfg = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert cfg["prompts"]["query"].endswith(".\n")
    assert cfg["prompts"]["document"].endswith(". Candidate:\n")
    texts = ["the cat sleeps", "кошка спит"]
    want_q = model.encode(texts, kind="query").numpy()
    want_d = model.encode(texts, kind="document").numpy()
    # the module class is the installed package's; sentence-transformers 6 still wants the flag
    with pytest.raises(ValueError, match="trust_remote_code"):
        SentenceTransformer(str(folder))
    for st in (
        SentenceTransformer(str(folder), trust_remote_code=True),
        sentence_transformer(folder),
    ):
        assert st.get_embedding_dimension() == model.dim
        np.testing.assert_allclose(st.encode_query(texts), want_q, atol=1e-5)
        np.testing.assert_allclose(st.encode_document(texts), want_d, atol=1e-5)


def _retrieval_task():
    from datasets import Dataset
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
    from mteb.abstasks.task_metadata import TaskMetadata

    class TinyRetrieval(AbsTaskRetrieval):
        metadata = TaskMetadata(
            type="Retrieval",
            name="LangadaptTinyRetrieval",
            main_score="ndcg_at_10",
            description="three documents, two queries, built in memory",
            reference=None,
            dataset={"path": "local", "revision": "0"},
            category="t2t",
            eval_splits=["test"],
            eval_langs=["eng-Latn"],
            date=None,
            dialect=None,
            domains=None,
            task_subtypes=None,
            license=None,
            annotations_creators=None,
            modalities=["text"],
            sample_creation=None,
            bibtex_citation=None,
        )

        def load_data(self, num_proc=None, **kwargs):
            queries = [{"id": "q1", "text": "cat"}, {"id": "q2", "text": "dog"}]
            docs = [{"id": f"d{i}", "text": t} for i, t in enumerate(["the cat", "the dog", "a"])]
            split = RetrievalSplitData(
                queries=Dataset.from_list(queries),
                corpus=Dataset.from_list(docs),
                relevant_docs={"q1": {"d0": 1}, "q2": {"d1": 1}},
                top_ranked=None,
            )
            self.dataset = {"default": {"test": split}}
            self.data_loaded = True

    return TinyRetrieval()


def test_mteb_evaluate_accepts_the_saved_model(saved):
    import mteb

    from langadapt.lusifer.mtebwrap import LusiferMTEB

    _, folder = saved
    wrapped = LusiferMTEB(folder)
    assert wrapped.mteb_model_meta.embed_dim == wrapped.model.dim
    result = mteb.evaluate(wrapped, [_retrieval_task()], cache=None, show_progress_bar=False)
    (task,) = result.task_results
    assert 0.0 <= task.get_score() <= 1.0
    assert "ndcg_at_10" in task.scores["test"][0]


def test_mteb_encode_uses_the_document_format(saved):
    from mteb.types import PromptType

    from langadapt.lusifer.mtebwrap import LusiferMTEB

    model, _ = saved
    wrapped = LusiferMTEB(model, instructions={"Retrieval": "Find it"})
    task = _retrieval_task()
    loader = [{"text": ["the cat"]}]
    doc = wrapped.encode(
        loader,
        task_metadata=task.metadata,
        hf_split="test",
        hf_subset="default",
        prompt_type=PromptType.document,
    )
    want = model.encode(["the cat"], kind="document", instruction="Find it")
    assert torch.allclose(torch.from_numpy(doc), want, atol=1e-6)
