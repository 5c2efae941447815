"""Hybrid search over articles and answered questions: keyword (BM25) and meaning (embeddings).

`SearchService` owns one process's replica of the indexes: the Whoosh index on disk and the vector
matrices in memory. It follows the change log in the database (`knowledge.changes`), so it can
always be rebuilt from the database and several processes or nodes can each keep their own.
"""
from __future__ import annotations

import fcntl
import html
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from knowledge.search.changes import changes_after, latest_change_id, on_commit
from knowledge.search.documents import Document, DocumentSource, split_key
from knowledge.search.embeddings import Embedder
from knowledge.search.fulltext import MAX_QUERY_CHARS, FullTextIndex, clean_query, without_control_characters
from knowledge.search.keywords import KeywordHit, KeywordIndex
from knowledge.search.vectors import VectorSpace, embed_and_store, forget_vectors, load_vectors

log = logging.getLogger(__name__)

CANDIDATES = 100  # from each signal, before fusion


@dataclass(frozen=True)
class SearchHit:
    kind: str
    id: int
    title: str
    snippet: str  # HTML: escaped text, matched words in <mark>
    score: float
    language: str
    audience: str
    review_overdue: bool = False


class SearchService:
    def __init__(self, index_dir: str, *, embedders: dict[str, Embedder], sources: Iterable[DocumentSource]):
        """`embedders` maps a document language ('en', 'nl') to the embedder used for it."""
        self.index_dir = index_dir
        self.embedders = embedders
        self.sources = {s.kind: s for s in sources}
        self.spaces: dict[str, VectorSpace] = {}
        for embedder in embedders.values():
            self.spaces.setdefault(embedder.name, VectorSpace(embedder))
        self.fulltext = FullTextIndex(os.path.join(index_dir, "whoosh"))
        self._applied_path = os.path.join(index_dir, "applied-change-id")
        self._write_lock = threading.RLock()
        self._query_vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._embedding_pool: ThreadPoolExecutor | None = None
        self._cache_lock = threading.Lock()
        # key → what a result shows without touching the database: title, teaser, language, …
        self._stored: dict[str, dict] = {}
        self.keywords = KeywordIndex(self.fulltext)
        self._memory_applied = 0  # the last change this process's memory holds

    # -- keeping up with the database -------------------------------------------------------
    #
    # Two replicas follow the change log, each with its own bookmark: the Whoosh index on disk, shared
    # by the processes of one machine (bookmark in a file, advanced under a file lock), and this
    # process's memory — stored fields, keyword postings, vectors (bookmark in `_memory_applied`).
    # A change another process already wrote to disk must still reach this process's memory.

    def open(self, session: Session, progress: Callable[[int, int], None] | None = None) -> None:
        """At start-up: rebuild a missing or damaged index, else load memory from it and catch up."""
        with self._write_lock:
            # Missing or damaged, or ahead of the database (which was recreated): rebuild from the truth.
            if self.fulltext.needs_rebuild or self._load_applied() > latest_change_id(session):
                self.rebuild(session, progress)
                return
            self._load_memory(session)
        self.catch_up(session)

    def rebuild(self, session: Session, progress: Callable[[int, int], None] | None = None,
                batch: int = 256) -> int:
        """Rebuild everything from the database; vectors whose text did not change are reused.

        Memory is loaded from the finished index afterwards, as at start-up: analysing every text a
        second time for the keyword ranking would double the time of a rebuild.
        """
        with self._write_lock:
            with self._disk_lock():
                start_id = latest_change_id(session)
                self.fulltext.clear()
                keys = [f"{kind}:{i}" for kind, source in self.sources.items() for i in source.all_ids(session)]
                done = 0
                for first in range(0, len(keys), batch):
                    upserts, removals = self._documents(session, keys[first:first + batch])
                    self.fulltext.write(upserts, removals)
                    forget_vectors(session, removals)
                    self._embed(session, upserts)
                    session.commit()
                    done += len(keys[first:first + batch])
                    if progress:
                        progress(done, len(keys))
                self._save_applied(start_id)
                self.fulltext.mark_complete()
            self._load_memory(session)
        self.catch_up(session)
        return len(keys)

    def catch_up(self, session: Session) -> int:
        """Apply the change log to the index on disk and to memory. Safe to call from any thread."""
        applied = 0
        with self._write_lock:
            with self._disk_lock():
                last = self._load_applied()
                while changes := changes_after(session, last):
                    upserts, removals = self._documents(session, sorted({c.doc_key for c in changes}))
                    self.fulltext.write(upserts, removals)
                    last = changes[-1].id
                    self._save_applied(last)
            self.fulltext.refresh()  # also picks up what another process wrote, or rebuilt
            while changes := changes_after(session, self._memory_applied):
                upserts, removals = self._documents(session, sorted({c.doc_key for c in changes}))
                self._apply_in_memory(session, upserts, removals)
                session.commit()
                self._memory_applied = changes[-1].id
                applied += len(changes)
        return applied

    def _documents(self, session: Session, keys: list[str]) -> tuple[list[Document], list[str]]:
        """The documents behind `keys` as they are now: (to index, to remove)."""
        by_kind: dict[str, list[int]] = {}
        for key in keys:
            kind, i = split_key(key)
            by_kind.setdefault(kind, []).append(i)
        upserts: list[Document] = []
        removals: list[str] = []
        for kind, ids in by_kind.items():
            source = self.sources.get(kind)
            if source is None:
                continue
            for i, doc in source.documents(session, ids).items():
                if doc is None:
                    removals.append(f"{kind}:{i}")
                else:
                    upserts.append(doc)
        return upserts, removals

    def _apply_in_memory(self, session: Session, upserts: list[Document], removals: list[str]) -> None:
        """Stored fields, keyword postings and vectors; a text seen before (by any process) is not
        embedded again: its vector comes from the database."""
        self.keywords.remove(removals)
        self.keywords.put(upserts)
        for space in self.spaces.values():
            space.remove(removals + [d.key for d in upserts if self._embedder_for(d) is not space.embedder])
        forget_vectors(session, removals)
        self._embed(session, upserts)
        for key in removals:
            self._stored.pop(key, None)
        for doc in upserts:
            self._stored[doc.key] = _stored_fields(doc)

    def _load_memory(self, session: Session) -> None:
        """This process's replica from the index on disk (no text analysed again), vectors from the
        database; documents indexed without a stored vector of the current model are embedded."""
        with self._disk_lock():  # the generation read and its bookmark belong together
            self.fulltext.refresh()
            contents = self.fulltext.contents()
            self._memory_applied = self._load_applied()
        self._clear_memory()
        # One pass over the stored documents, keeping what a result shows and what places a vector,
        # never the bodies: holding 100,000 bodies at once would stay in the worker's memory for good.
        documents, docs = [], {}
        for docnum, stored, lengths in contents.documents():
            doc = _document_from_stored(stored)
            self._stored[doc.key] = _stored_fields(doc)
            doc = replace(doc, body="")  # enough to place its vector; the text is in the database
            docs[doc.key] = doc
            documents.append((docnum, {"key": doc.key, "audience": doc.audience, "kind": doc.kind}, lengths))
        self.keywords.load(contents, documents)
        contents.close()
        del documents
        for space in self.spaces.values():
            load_vectors(session, space, {k: d for k, d in docs.items() if self._embedder_for(d) is space.embedder})
        missing = [d for d in docs.values() if d.key not in self.spaces[self._embedder_for(d).name]]
        for first in range(0, len(missing), 256):
            upserts, removals = self._documents(session, [d.key for d in missing[first:first + 256]])
            self._apply_in_memory(session, upserts, removals)
            session.commit()

    def _clear_memory(self) -> None:
        self.keywords.clear()
        for space in self.spaces.values():
            space.clear()
        self._stored.clear()

    def _embed(self, session: Session, docs: list[Document]) -> None:
        for space in self.spaces.values():
            embed_and_store(session, space, [d for d in docs if self._embedder_for(d) is space.embedder])

    def _embedder_for(self, doc: Document) -> Embedder:
        return self.embedders.get(doc.language) or self.embedders["en"]

    @contextmanager
    def _disk_lock(self):
        """Processes sharing the index directory take turns writing it and its bookmark."""
        with open(self._applied_path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _load_applied(self) -> int:
        try:
            with open(self._applied_path) as f:
                return int(f.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _save_applied(self, change_id: int) -> None:
        tmp = self._applied_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(change_id))
        os.replace(tmp, self._applied_path)

    # -- answering queries ------------------------------------------------------------------

    def search(self, text: str, *, public_only: bool, kinds: tuple[str, ...] = ("article", "question"),
               limit: int = 10, today: date | None = None) -> list[SearchHit]:
        words = clean_query(text)
        if not words:
            return []
        # A query clearly in one language is answered from that language's documents: each model's
        # list is scaled to its own best, so another language's best would otherwise rank beside it,
        # and skipping the other model saves a query embedding.
        language = guess_language(words)
        languages = (language,) if language else ("en", "nl")
        spaces = {self._space_for_language(lang).embedder.name: self._space_for_language(lang) for lang in languages}
        keyword = self.keywords.search(words, public_only=public_only, kinds=kinds, languages=languages,
                                       limit=CANDIDATES)
        # The models read the words as typed: punctuation and apostrophes carry meaning for them,
        # unlike for the keyword parser, which gets the cleaned `words`.
        as_typed = " ".join(without_control_characters(text).split())[:MAX_QUERY_CHARS]
        spaces = {name: space for name, space in spaces.items() if len(space)}
        vectors = self._query_vectors_for([space.embedder for space in spaces.values()], as_typed)
        scored: dict[str, float] = {}
        for name, space in spaces.items():
            vector = vectors[name]
            in_space = [h for h in keyword if self._space_of(h.key) is space]
            scored.update(fuse(space, vector, in_space, public_only=public_only, kinds=kinds))
        ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:limit]
        snippets = self.fulltext.snippets([key for key, _ in ranked], words)
        return [self._hit(key, score, snippets.get(key), today) for key, score in ranked]

    def _space_for_language(self, language: str) -> VectorSpace:
        return self.spaces[(self.embedders.get(language) or self.embedders["en"]).name]

    def _space_of(self, key: str) -> VectorSpace | None:
        stored = self._stored.get(key)
        if stored is None:
            return None
        embedder = self.embedders.get(stored["language"]) or self.embedders["en"]
        return self.spaces[embedder.name]

    def similar_documents(self, text: str, *, kinds: tuple[str, ...] = ("question",), k: int = 200
                          ) -> list[tuple[str, int, float]]:
        """The k documents closest in meaning to `text` as (kind, id, similarity), best first.

        Similarities from different models are put on one scale (`Embedder.calibrated`), so a Dutch
        and an English neighbour can be compared.
        """
        words = " ".join((text or "").split())[:2000]
        if not words:
            return []
        found: dict[str, float] = {}
        for space in self.spaces.values():
            if not len(space):
                continue
            keys, scores, _ = space.nearest(self._query_vector(space.embedder, words), public_only=False,
                                            kinds=kinds, k=k)
            for key, score in zip(keys, scores):
                found[key] = max(found.get(key, -1.0), space.embedder.calibrated(float(score)))
        ranked = sorted(found.items(), key=lambda item: -item[1])[:k]
        return [(*split_key(key), score) for key, score in ranked]

    def _query_vectors_for(self, embedders: list[Embedder], words: str) -> dict[str, np.ndarray]:
        """The query's vector under each model; two models embed at once, on two cores.

        A query of unknown language (a name, a single word, a prefix) needs both models, and their
        ~15 ms each would otherwise add up in a search that must keep pace with typing.
        """
        with self._cache_lock:
            missing = [e for e in embedders if (e.name, words.lower()) not in self._query_vectors]
        if len(missing) > 1:
            if self._embedding_pool is None:
                self._embedding_pool = ThreadPoolExecutor(max_workers=len(self.spaces),
                                                          thread_name_prefix="query-embedding")
            for future in [self._embedding_pool.submit(self._query_vector, e, words) for e in missing]:
                future.result()
        return {e.name: self._query_vector(e, words) for e in embedders}

    def _query_vector(self, embedder: Embedder, words: str) -> np.ndarray:
        cache_key = (embedder.name, words.lower())
        with self._cache_lock:
            vector = self._query_vectors.get(cache_key)
            if vector is not None:
                self._query_vectors.move_to_end(cache_key)
                return vector
        vector = embedder.embed_queries([words])[0]
        with self._cache_lock:
            self._query_vectors[cache_key] = vector
            if len(self._query_vectors) > 2048:
                self._query_vectors.popitem(last=False)
        return vector

    def _hit(self, key: str, score: float, snippet: str | None, today: date | None) -> SearchHit:
        kind, i = split_key(key)
        f = self._stored.get(key) or {}
        snippet = snippet or html.escape(f.get("teaser", ""))
        review_by = f.get("review_by")
        return SearchHit(kind=kind, id=i, title=f.get("title", ""), snippet=snippet, score=round(score, 4),
                         language=f.get("language", "en"), audience=f.get("audience", "internal"),
                         review_overdue=bool(today and review_by and review_by < today))

    # -- running in the background -----------------------------------------------------------

    def follow(self, session_factory: Callable[[], Session], *, poll_seconds: float = 2.0) -> threading.Thread:
        """Keep this replica current: wake on local commits, poll for other processes' changes."""
        wake = threading.Event()
        on_commit(wake.set)

        def loop():
            while True:
                wake.wait(poll_seconds)
                wake.clear()
                try:
                    with session_factory() as session:
                        self.catch_up(session)
                except Exception:  # the log is durable: the next round retries what failed
                    log.exception("search index catch-up failed; retrying")
                    time.sleep(poll_seconds)

        thread = threading.Thread(target=loop, name="search-index-follower", daemon=True)
        thread.start()
        return thread


_FUNCTION_WORDS = {
    "nl": {"de", "het", "een", "ik", "je", "u", "mijn", "hoe", "wat", "waar", "wanneer", "waarom", "van", "voor",
           "niet", "is", "zijn", "kan", "kun", "moet", "wordt", "met", "op", "bij", "aan", "er", "dat", "die", "ook",
           "naar", "heb", "heeft", "mag", "wil", "worden", "als", "of", "om", "te", "uw", "welke"},
    "en": {"the", "a", "an", "i", "you", "my", "how", "what", "where", "when", "why", "of", "for", "not", "is",
           "are", "can", "must", "do", "does", "with", "on", "at", "to", "it", "that", "this", "have", "has", "may",
           "want", "be", "if", "or", "your", "which", "get", "should"},
}


def guess_language(text: str) -> str | None:
    """'en' or 'nl' when the query's little words say so clearly, else None (one word, names, …)."""
    words = text.lower().split()
    counts = {lang: sum(w in vocabulary for w in words) for lang, vocabulary in _FUNCTION_WORDS.items()}
    best = max(counts, key=counts.get)
    other = min(counts, key=counts.get)
    return best if counts[best] >= 1 and counts[best] > counts[other] else None



def fuse(space: VectorSpace, query: np.ndarray, keyword: list[KeywordHit], *, public_only: bool,
         kinds: tuple[str, ...]) -> dict[str, float]:
    """Keyword and meaning, on one scale, for the documents of one embedding model.

    Each signal is min-max normalised over its own top candidates, then summed with the model's
    `keyword_weight` (0.1 for MiniLM: 0.9·dense + 0.1·keyword; 0.3 for e5 on Dutch).
    Measured on StackFAQ and PolicyQA-NL (docs/research/retrieval-lab.md): plain reciprocal-rank
    fusion lost to the best single signal; this calibrated sum did not. Models' cosines are not
    comparable, so each model's documents are fused on their own.
    """
    top_keys, top_scores, cosine = space.nearest(query, public_only=public_only, kinds=kinds, k=CANDIDATES,
                                                 also=[h.key for h in keyword])
    cosine.update(zip(top_keys, top_scores.tolist()))
    if not top_keys and not keyword:
        return {}
    low, high = (float(top_scores.min()), float(top_scores.max())) if len(top_scores) else (0.0, 1.0)
    keyword_scores = {h.key: h.score for h in keyword}
    k_low, k_high = (min(keyword_scores.values()), max(keyword_scores.values())) if keyword else (0.0, 1.0)
    floor = space.embedder.min_relevant
    keyword_weight = space.embedder.keyword_weight
    fused = {}
    for key in set(top_keys) | set(keyword_scores):
        cos = cosine.get(key)
        if cos is None:
            continue  # not in this model's matrix (yet): it cannot be ranked fairly here
        if key not in keyword_scores and cos < floor:
            continue  # shares no word and hardly any meaning: not a result at all
        dense = _scaled(cos, low, high)
        words = _scaled(keyword_scores[key], k_low, k_high) if key in keyword_scores else 0.0
        fused[key] = (1 - keyword_weight) * dense + keyword_weight * words
    return fused


def _scaled(value: float, low: float, high: float) -> float:
    return max((value - low) / (high - low), 0.0) if high > low else 1.0


def _document_from_stored(stored: dict) -> Document:
    """An indexed document as Whoosh stored it."""
    kind, i = split_key(stored["key"])
    return Document(kind=kind, id=i, title=stored["title"], body=stored["body"], audience=stored["audience"],
                    language=stored["language"], review_by=stored.get("review_by"))


def _stored_fields(doc: Document) -> dict:
    return {"title": doc.title, "teaser": _shorten(doc.body), "language": doc.language,
            "audience": doc.audience, "kind": doc.kind, "review_by": doc.review_by}


def _shorten(text: str, chars: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"
