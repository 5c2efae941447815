"""`SearchService`: one process's search, the one object the web layer builds and `routing/` is handed.

It joins two parts that change for different reasons: the replica (`knowledge.search.replica`)
keeps this process's copy of the indexes current from the change log in the database; the query
path (`knowledge.search.query`) answers searches from that copy. This module only delegates: a rule
of indexing or ranking written here would be a second place to look for it.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy.orm import Session

from knowledge.search.documents import DocumentSource
from knowledge.search.embeddings import Embedder
from knowledge.search.fulltext import FullTextIndex
from knowledge.search.keywords import KeywordIndex
from knowledge.search.query import HybridSearch, SearchHit
from knowledge.search.replica import IndexReplica
from knowledge.search.vectors import VectorSpace


class SearchService:
    """Hybrid search over articles and answered questions: keyword (BM25) and meaning (embeddings)."""

    def __init__(self, index_dir: str, *, embedders: dict[str, Embedder], sources: Iterable[DocumentSource]):
        """`embedders` maps a document language ('en', 'nl') to the embedder used for it."""
        self.replica = IndexReplica(index_dir, embedders=embedders, sources=sources)
        self.query = HybridSearch(self.replica)

    # -- keeping the replica current (`IndexReplica`) ------------------------------------------

    def open(self, session: Session, progress: Callable[[int, int], None] | None = None) -> None:
        """At start-up: rebuild a missing or damaged index, else load memory from it and catch up."""
        self.replica.open(session, progress)

    def rebuild(self, session: Session, progress: Callable[[int, int], None] | None = None,
                batch: int = 256) -> int:
        """Rebuild everything from the database; returns the number of documents."""
        return self.replica.rebuild(session, progress, batch)

    def catch_up(self, session: Session) -> int:
        """Apply the change log to the index on disk and to memory. Safe to call from any thread."""
        return self.replica.catch_up(session)

    def follow(self, session_factory: Callable[[], Session], *, poll_seconds: float = 2.0) -> threading.Thread:
        """Keep the replica current in a background thread: wake on local commits, poll for others'."""
        return self.replica.follow(session_factory, poll_seconds=poll_seconds)

    def close(self) -> None:
        """Stop following the change log and close the index's files."""
        self.replica.stop_following()
        self.replica.fulltext.close()

    # -- answering queries (`HybridSearch`) ------------------------------------------------------

    def search(self, text: str, *, public_only: bool, kinds: tuple[str, ...] = ("article", "question"),
               limit: int = 10, today: date | None = None) -> list[SearchHit]:
        """The best `limit` documents for what a person typed, with snippets."""
        return self.query.search(text, public_only=public_only, kinds=kinds, limit=limit, today=today)

    def similar_documents(self, text: str, *, kinds: tuple[str, ...] = ("question",), k: int = 200
                          ) -> list[tuple[str, int, float]]:
        """The k documents closest in meaning to `text` as (kind, id, similarity), best first."""
        return self.query.similar_documents(text, kinds=kinds, k=k)

    def embedder_for(self, language: str) -> Embedder:
        """The embedder for a document or query in `language`: English's for a language without its own."""
        return self.replica.embedder_for(language)

    # -- the replica's parts, for code that inspects or times them (tests, benchmarks) ---------

    @property
    def fulltext(self) -> FullTextIndex:
        return self.replica.fulltext

    @property
    def keywords(self) -> KeywordIndex:
        return self.replica.keywords

    @property
    def spaces(self) -> dict[str, VectorSpace]:
        return self.replica.spaces

    @property
    def embedders(self) -> dict[str, Embedder]:
        return self.replica.embedders
