"""Document vectors: stored in the database (the truth, with their model), served from memory.

A `VectorSpace` is one embedder's matrix of unit vectors. Brute-force cosine (one matrix-vector
product) over 100,000 documents of 384 dimensions takes a few milliseconds, so no ANN index is needed
at this scale.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from knowledge.models import DocumentVector
from knowledge.search.documents import Document
from knowledge.search.embeddings import Embedder

LOAD_BATCH = 2048  # stored vectors read per database round trip at start-up


class VectorSpace:
    """The in-memory matrix of one embedder, with the audience and kind of each row for filtering.

    Public documents occupy the first rows, so a customer's search multiplies only that block (a
    view, not a copy): half the work for the searches that have to be fastest. The arrays grow by
    doubling, so adding one article does not copy the whole matrix.
    """

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._lock = threading.Lock()
        self._keys: list[str] = []
        self._row: dict[str, int] = {}
        self._public_rows = 0  # rows [0, _public_rows) are public, the rest internal
        self._matrix = np.zeros((0, embedder.dim), dtype=np.float32)
        self._question = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._row

    def put(self, docs: list[Document], vectors: np.ndarray) -> None:
        with self._lock:
            for doc, vector in zip(docs, vectors):
                row = self._row.get(doc.key)
                if row is not None and (row < self._public_rows) != (doc.audience == "public"):
                    self._remove(doc.key)  # its audience changed: it moves to the other block
                    row = None
                if row is None:
                    row = self._append(doc.key, public=doc.audience == "public")
                self._matrix[row] = vector
                self._question[row] = doc.kind == "question"

    def _append(self, key: str, *, public: bool) -> int:
        count = len(self._keys)
        if count == len(self._matrix):
            self._grow(max(1024, 2 * count))
        self._keys.append(key)
        self._row[key] = count
        if not public:
            return count
        first_internal = self._public_rows
        if first_internal != count:  # the first internal row moves to the end to make room
            self._move(first_internal, count)
            self._keys[first_internal] = key
            self._row[key] = first_internal
        self._public_rows += 1
        return first_internal

    def reserve(self, capacity: int) -> None:
        """Make room for `capacity` documents in one step (a load of known size grows no further)."""
        with self._lock:
            if capacity > len(self._matrix):
                self._grow(capacity)

    def _grow(self, capacity: int) -> None:
        matrix = np.zeros((capacity, self.embedder.dim), np.float32)
        matrix[:len(self._matrix)] = self._matrix
        question = np.zeros(capacity, bool)
        question[:len(self._question)] = self._question
        self._matrix, self._question = matrix, question

    def _move(self, source: int, target: int) -> None:
        """Row `source`'s document now lives in row `target` (whose own content is given up)."""
        key = self._keys[source]
        self._keys[target] = key
        self._row[key] = target
        self._matrix[target] = self._matrix[source]
        self._question[target] = self._question[source]

    def remove(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._remove(key)

    def _remove(self, key: str) -> None:
        row = self._row.pop(key, None)
        if row is None:
            return
        last = len(self._keys) - 1
        if row < self._public_rows:  # fill the hole from the end of the public block,
            last_public = self._public_rows - 1
            if row != last_public:
                self._move(last_public, row)
            row = last_public  # and that block's end from the end of the internal block
            self._public_rows -= 1
        if row != last:
            self._move(last, row)
        self._keys.pop()

    def clear(self) -> None:
        with self._lock:
            self._keys, self._row, self._public_rows = [], {}, 0

    def nearest(self, query: np.ndarray, *, public_only: bool, kinds: tuple[str, ...], k: int,
                also: Iterable[str] = ()) -> tuple[list[str], np.ndarray, dict[str, float]]:
        """Top-k keys by cosine, plus the cosine of each allowed document among `also` (read under
        the same lock: rows move when documents come and go)."""
        with self._lock:
            rows = self._public_rows if public_only else len(self._keys)
            if not rows:
                return [], np.zeros(0, np.float32), {}
            scores = self._matrix[:rows] @ query
            if "question" not in kinds:
                scores[self._question[:rows]] = -np.inf
            if "article" not in kinds:
                scores[~self._question[:rows]] = -np.inf
            k = min(k, int(np.isfinite(scores).sum()))
            if k <= 0:
                return [], np.zeros(0, np.float32), {}
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top])]
            keys = [self._keys[i] for i in top]
            wanted = {}
            for key in also:
                row = self._row.get(key)
                if row is not None and row < rows and np.isfinite(scores[row]):
                    wanted[key] = float(scores[row])
            return keys, scores[top], wanted


def load_vectors(session: Session, space: VectorSpace, docs_by_key: dict[str, Document]) -> None:
    """Fill a space from the stored vectors of its model (at start-up and after a rebuild).

    Rows are read a batch at a time into a matrix sized once: at 100,000 documents, all rows at once
    plus their copy would take several times the matrix itself, and a worker keeps its peak.
    """
    space.reserve(len(docs_by_key))
    result = session.execute(select(DocumentVector.doc_key, DocumentVector.vector)
                             .where(DocumentVector.model == stored_model(space.embedder))
                             .execution_options(yield_per=LOAD_BATCH))
    for rows in result.partitions():
        found = [(docs_by_key[key], blob) for key, blob in rows if key in docs_by_key]
        if found:
            vectors = np.frombuffer(b"".join(blob for _, blob in found), dtype=np.float32)
            space.put([doc for doc, _ in found], vectors.reshape(len(found), space.embedder.dim))


def embed_and_store(session: Session, space: VectorSpace, docs: list[Document], *, batch: int = 64) -> None:
    """Embed documents whose text changed since their stored vector, store, and put them in the space."""
    if not docs:
        return
    model = stored_model(space.embedder)
    stored = dict(session.execute(
        select(DocumentVector.doc_key, DocumentVector.content_hash)
        .where(DocumentVector.model == model, DocumentVector.doc_key.in_([d.key for d in docs]))).all())
    fresh = [d for d in docs if stored.get(d.key) != d.content_hash]
    unchanged = [d for d in docs if stored.get(d.key) == d.content_hash]
    if unchanged:  # text is the same, but audience or kind may have changed: reuse the vector
        blobs = dict(session.execute(select(DocumentVector.doc_key, DocumentVector.vector).where(
            DocumentVector.model == model, DocumentVector.doc_key.in_([d.key for d in unchanged]))).all())
        space.put(unchanged, np.vstack([np.frombuffer(blobs[d.key], dtype=np.float32) for d in unchanged]))
    for start in range(0, len(fresh), batch):
        chunk = fresh[start:start + batch]
        vectors = document_vectors(space.embedder, chunk)
        _store_vectors(session, [{"doc_key": doc.key, "model": model, "content_hash": doc.content_hash,
                                  "vector": np.asarray(vector, dtype=np.float32).tobytes()}
                                 for doc, vector in zip(chunk, vectors)])
        space.put(chunk, vectors)
    session.flush()


def _store_vectors(session: Session, rows: list[dict]) -> None:
    """Insert or replace, in one statement: every web worker follows the change log, so two may
    store the vector of the same new document at once — the second must not fail on the key."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert(DocumentVector).values(rows)
        session.execute(statement.on_conflict_do_update(
            index_elements=[DocumentVector.doc_key, DocumentVector.model],
            set_={"content_hash": statement.excluded.content_hash, "vector": statement.excluded.vector}))
        return
    for row in rows:
        session.merge(DocumentVector(**row))


def forget_vectors(session: Session, keys: list[str]) -> None:
    if keys:
        session.execute(delete(DocumentVector).where(DocumentVector.doc_key.in_(keys)))


# Bump when `document_vectors` computes vectors differently: vectors are stored under model + recipe,
# so those of another recipe are neither loaded nor reused, but recomputed.
VECTOR_RECIPE = "title95-body05-lead300"
TITLE_SHARE = 0.95
BODY_CHARS = 2000  # an untitled document: beyond this the models truncate anyway (256 and 512 word pieces)
# A titled document's body only breaks ties between near-identical titles: its opening does that as
# well as the whole, and a transformer's cost grows with the text's length (measured:
# docs/research/retrieval-lab.md), so indexing 100,000 articles takes minutes instead of hours.
TITLED_BODY_CHARS = 300


# An embedder that reads a whole short article well (e5, trained on query ↔ passage pairs) embeds the title
# with the body's opening as one passage: on the Dutch demo's validation queries that put the right article
# first for 0.86 of them against 0.75 with the title-weighted recipe (MiniLM keeps that one: StackFAQ).
WHOLE_TEXT_RECIPE = "whole{chars}"


def _whole_text_chars(embedder: Embedder) -> int | None:
    return getattr(embedder, "whole_text_chars", None)


def stored_model(embedder: Embedder) -> str:
    """The `model` a vector is stored under: the embedder and how its output was combined."""
    chars = _whole_text_chars(embedder)
    recipe = WHOLE_TEXT_RECIPE.format(chars=chars) if chars else VECTOR_RECIPE
    return f"{embedder.name}+{recipe}"


def document_vectors(embedder: Embedder, docs: list[Document]) -> np.ndarray:
    """0.95·emb(title) + 0.05·emb(opening of the body), or emb(body) for a document without title.

    Measured (docs/research/retrieval-lab.md): customers' words resemble the question a document
    answers far more than the answer; the body's small share breaks ties between near-identical
    titles. The sum is linear, so a query's score against it is still one matrix product.
    """
    chars = _whole_text_chars(embedder)
    if chars:
        return embedder.embed_documents([(f"{d.title}\n{d.body}" if d.title.strip() else d.body)[:chars] or d.title
                                         for d in docs])
    titles = embedder.embed_documents([d.title for d in docs if d.title.strip()])
    bodies = embedder.embed_documents([(d.body[:TITLED_BODY_CHARS if d.title.strip() else BODY_CHARS]) or d.title
                                       for d in docs])
    out = np.empty_like(bodies)
    title_rows = iter(titles)
    for row, doc in enumerate(docs):
        out[row] = (TITLE_SHARE * next(title_rows) + (1 - TITLE_SHARE) * bodies[row]) if doc.title.strip() \
            else bodies[row]
    return out
