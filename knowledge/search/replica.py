"""One process's replica of the search indexes, kept current from the change log in the database.

Two copies follow the log (`knowledge.search.changes`), each with its own bookmark: the Whoosh index
on disk, shared by the processes of one machine (bookmark in a file, advanced under a file lock), and
this process's memory — stored fields, keyword postings, vectors (bookmark in `_memory_applied`).
A change another process already wrote to disk must still reach this process's memory.
Because the database stays the only truth, a replica can always be rebuilt from it, and several
processes or nodes can each keep their own. This module answers no query (that is
`knowledge.search.query`, which only reads what is kept here).
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy.orm import Session

from knowledge.search.changes import changes_after, latest_change_id, off_commit, on_commit
from knowledge.search.documents import Document, DocumentSource, split_key
from knowledge.search.embeddings import Embedder
from knowledge.search.fulltext import FullTextIndex
from knowledge.search.keywords import KeywordIndex
from knowledge.search.vectors import VectorSpace, embed_and_store, forget_vectors, load_vectors

log = logging.getLogger(__name__)


class IndexReplica:
    """The Whoosh index on disk and this process's memory (stored fields, keyword postings, vector
    matrices), applied from the change log; every write to them goes through here."""

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
        # key → what a result shows without touching the database: title, teaser, language, …
        self._stored: dict[str, dict] = {}
        self.keywords = KeywordIndex(self.fulltext)
        self._memory_applied = 0  # the last change this process's memory holds
        self._followers: list[tuple[threading.Thread, threading.Event, threading.Event]] = []

    def result_fields(self, key: str) -> dict | None:
        """What a result shows of a document (title, teaser, language, audience, kind, review_by),
        from memory; None for a document this replica does not hold."""
        return self._stored.get(key)

    def embedder_for(self, language: str) -> Embedder:
        """The embedder for a document or query in `language`: English's for a language without its own."""
        return self.embedders.get(language) or self.embedders["en"]

    @property
    def one_space(self) -> bool:
        """Whether every language's documents share one embedder's space (their cosines compare)."""
        return len(self.spaces) == 1

    def space_for(self, language: str) -> VectorSpace:
        """The vector space that holds the documents in `language`."""
        return self.spaces[self.embedder_for(language).name]

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
            space.remove(removals + [d.key for d in upserts if self.embedder_for(d.language) is not space.embedder])
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
            load_vectors(session, space,
                         {k: d for k, d in docs.items() if self.embedder_for(d.language) is space.embedder})
        missing = [d for d in docs.values() if d.key not in self.space_for(d.language)]
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
            embed_and_store(session, space, [d for d in docs if self.embedder_for(d.language) is space.embedder])

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

    # -- running in the background -----------------------------------------------------------

    def follow(self, session_factory: Callable[[], Session], *, poll_seconds: float = 2.0) -> threading.Thread:
        """Keep this replica current: wake on local commits, poll for other processes' changes,
        until `stop_following`."""
        wake, stop = threading.Event(), threading.Event()
        on_commit(wake.set)

        def loop():
            while not stop.is_set():
                wake.wait(poll_seconds)
                wake.clear()
                if stop.is_set():
                    break
                try:
                    with session_factory() as session:
                        self.catch_up(session)
                except Exception:  # the log is durable: the next round retries what failed
                    log.exception("search index catch-up failed; retrying")
                    stop.wait(poll_seconds)

        thread = threading.Thread(target=loop, name="search-index-follower", daemon=True)
        self._followers.append((thread, wake, stop))
        thread.start()
        return thread

    def stop_following(self, timeout: float = 30.0) -> None:
        """Stop the follower threads (a round under way finishes first): a replica that is put away
        must not go on writing vectors into a database that now belongs to someone else."""
        while self._followers:
            thread, wake, stop = self._followers.pop()
            stop.set()
            off_commit(wake.set)
            wake.set()
            thread.join(timeout)


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
