"""Keyword ranking (BM25F) in memory: posting arrays scored with numpy, one pass per query term.

Whoosh keeps the analysed postings on disk and makes the snippets, but its scorer walks every
posting of every query word in Python: 0.7 s for one customer sentence over 100,000 articles
(docs/research/retrieval-lab.md), while a call needs an answer as the agent types. The same postings
held as arrays are scored in a few milliseconds. The terms come from the Whoosh schema's own
analysers (`FullTextIndex.analyse`), so both always agree on what a word is.

Like the vector matrices, this is one process's derived replica: filled from the Whoosh index at
start-up (`load`), then kept current document by document (`put`, `remove`).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from collections.abc import Iterable

import numpy as np

from knowledge.search import compounds
from knowledge.search.documents import Document
from knowledge.search.fulltext import FIELD_BOOSTS, FullTextIndex, IndexContents

# The fields whose words may be Dutch compounds (`knowledge.search.compounds`).
COMPOUND_FIELDS = ("title_nl", "body_nl")
MAX_COMPOUNDS_PER_PART = 10  # a head may end many compounds: the most frequent count

# BM25's usual constants (Whoosh's defaults too): term-frequency saturation and length normalisation.
K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class KeywordHit:
    key: str
    score: float


class _Postings:
    """Rows and term frequencies of one (field, term); appended to cheaply, read as arrays."""

    __slots__ = ("rows", "tfs", "_new_rows", "_new_tfs")

    def __init__(self, rows: np.ndarray | None = None, tfs: np.ndarray | None = None):
        self.rows = rows if rows is not None else np.zeros(0, np.int32)
        self.tfs = tfs if tfs is not None else np.zeros(0, np.float32)
        self._new_rows: list[int] = []
        self._new_tfs: list[float] = []

    def append(self, row: int, tf: float) -> None:
        self._new_rows.append(row)
        self._new_tfs.append(tf)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._new_rows:
            self.rows = np.concatenate([self.rows, np.asarray(self._new_rows, np.int32)])
            self.tfs = np.concatenate([self.tfs, np.asarray(self._new_tfs, np.float32)])
            self._new_rows, self._new_tfs = [], []
        return self.rows, self.tfs


class KeywordIndex:
    """BM25F over the fields of `FIELD_BOOSTS`, for the documents of one process's replica.

    A changed document gets a new row and its old row is marked dead; dead rows are dropped in one
    sweep once they outnumber the living (`_compact`), so an edit costs no search over the arrays.
    """

    def __init__(self, fulltext: FullTextIndex):
        self._fulltext = fulltext
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._postings: dict[tuple[str, str], _Postings] = {}
        # (field, ending) → the Dutch terms that end so: the compounds a query's last part may find.
        self._endings: dict[tuple[str, str], set[str]] = {}
        self._row: dict[str, int] = {}
        self._keys: list[str | None] = []
        capacity = 1024
        self._alive = np.zeros(capacity, bool)
        self._public = np.zeros(capacity, bool)
        self._question = np.zeros(capacity, bool)
        self._lengths = {field: np.zeros(capacity, np.float32) for field in FIELD_BOOSTS}
        self._length_sums = dict.fromkeys(FIELD_BOOSTS, 0.0)

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, key: str) -> bool:
        return key in self._row

    # -- keeping it current ---------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self._clear()

    def put(self, docs: Iterable[Document]) -> None:
        """Add documents, or replace them when their key is already here."""
        analysed = [(doc, self._fulltext.analyse(doc)) for doc in docs]
        with self._lock:
            for doc, fields in analysed:
                self._remove(doc.key)
                row = self._new_row(doc.key, audience=doc.audience, kind=doc.kind)
                for field, (length, counts) in fields.items():
                    self._set_length(field, row, length)
                    for term, tf in counts.items():
                        self._posting(field, term).append(row, tf)
            self._compact_if_worth_it()

    def remove(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._remove(key)
            self._compact_if_worth_it()

    def load(self, contents: IndexContents, documents: list[tuple[int, dict, dict[str, int]]]) -> None:
        """Fill from the Whoosh index's postings (`FullTextIndex.contents`): no text is analysed
        again, so a worker starts in seconds over 100,000 documents."""
        with self._lock:
            self._clear()
            row_of_docnum = np.full(contents.doc_count_all + 1, -1, np.int64)
            for docnum, stored, lengths in documents:
                row = self._new_row(stored["key"], audience=stored["audience"], kind=stored["kind"])
                row_of_docnum[docnum] = row
                for field, length in lengths.items():
                    self._set_length(field, row, length)
            for field, term, docnums, tfs in contents.postings():
                rows = row_of_docnum[docnums]
                live = rows >= 0  # postings of deleted documents stay in Whoosh until it merges
                if not live.any():
                    continue
                rows, tfs = rows[live].astype(np.int32), tfs[live]
                known = self._postings.get((field, term))  # the same term in an earlier segment
                if known is not None:
                    rows, tfs = np.concatenate([known.rows, rows]), np.concatenate([known.tfs, tfs])
                if known is None:
                    self._note_term(field, term)
                self._postings[(field, term)] = _Postings(rows, tfs)

    def _new_row(self, key: str, *, audience: str, kind: str) -> int:
        row = len(self._keys)
        if row >= len(self._alive):
            self._grow(2 * len(self._alive))
        self._keys.append(key)
        self._row[key] = row
        self._alive[row] = True
        self._public[row] = audience == "public"
        self._question[row] = kind == "question"
        return row

    def _grow(self, capacity: int) -> None:
        def grown(array):
            bigger = np.zeros(capacity, array.dtype)
            bigger[:len(array)] = array
            return bigger

        self._alive, self._public, self._question = grown(self._alive), grown(self._public), grown(self._question)
        self._lengths = {field: grown(lengths) for field, lengths in self._lengths.items()}

    def _set_length(self, field: str, row: int, length: float) -> None:
        if field in self._lengths:
            self._lengths[field][row] = length
            self._length_sums[field] += length

    def _posting(self, field: str, term: str) -> _Postings:
        postings = self._postings.get((field, term))
        if postings is None:
            postings = self._postings[(field, term)] = _Postings()
            self._note_term(field, term)
        return postings

    def _note_term(self, field: str, term: str) -> None:
        if field in COMPOUND_FIELDS:
            for ending in compounds.endings(term):
                self._endings.setdefault((field, ending), set()).add(term)

    def _remove(self, key: str) -> None:
        row = self._row.pop(key, None)
        if row is None:
            return
        self._alive[row] = False
        self._keys[row] = None
        for field, lengths in self._lengths.items():
            self._length_sums[field] -= float(lengths[row])

    def _compact_if_worth_it(self) -> None:
        dead = len(self._keys) - len(self._row)
        if dead > 1000 and dead > len(self._row):
            self._compact()

    def _compact(self) -> None:
        """Drop dead rows from every array (renumbering the living), in one sweep."""
        used = len(self._keys)
        alive = self._alive[:used]
        new_row = np.cumsum(alive, dtype=np.int64) - 1
        for term_key, postings in list(self._postings.items()):
            rows, tfs = postings.arrays()
            keep = alive[rows]
            if keep.any():
                self._postings[term_key] = _Postings(new_row[rows[keep]].astype(np.int32), tfs[keep])
            else:
                del self._postings[term_key]
                for ending in compounds.endings(term_key[1]) if term_key[0] in COMPOUND_FIELDS else ():
                    self._endings.get((term_key[0], ending), set()).discard(term_key[1])
        self._keys = [key for key in self._keys if key is not None]
        self._row = {key: row for row, key in enumerate(self._keys)}
        count = len(self._keys)
        capacity = max(1024, 2 * count)
        for name in ("_alive", "_public", "_question"):
            packed = np.zeros(capacity, bool)
            packed[:count] = getattr(self, name)[:used][alive]
            setattr(self, name, packed)
        for field, lengths in self._lengths.items():
            packed = np.zeros(capacity, np.float32)
            packed[:count] = lengths[:used][alive]
            self._lengths[field] = packed

    # -- answering queries ------------------------------------------------------------------------

    def search(self, text: str, *, public_only: bool, kinds: tuple[str, ...] = ("article", "question"),
               languages: tuple[str, ...] = ("en", "nl"), limit: int = 100) -> list[KeywordHit]:
        """The best `limit` documents by BM25F (an OR of the query's words over the languages' fields)."""
        terms = self._fulltext.query_terms(text, languages)
        if not terms:
            return []
        with self._lock:
            if "nl" in languages:
                terms = self._with_compound_parts(text, terms)
            count = len(self._row)
            if not count:
                return []
            used = len(self._keys)
            allowed = self._alive[:used].copy()
            if public_only:
                allowed &= self._public[:used]
            if "question" not in kinds:
                allowed &= ~self._question[:used]
            if "article" not in kinds:
                allowed &= self._question[:used]
            hit_rows, hit_weights = [], []
            for (field, term), times in terms.items():  # `times` may be a fraction: a compound's part
                postings = self._postings.get((field, term))
                if postings is None:
                    continue
                rows, tfs = postings.arrays()
                living = self._alive[rows]
                df = int(living.sum())
                if not df:
                    continue
                # Whoosh's idf, so that the weights measured with Whoosh keep their meaning.
                idf = math.log(count / (df + 1)) + 1
                mine = allowed[rows]
                rows, tfs = rows[mine], tfs[mine]
                if not len(rows):
                    continue
                average = self._length_sums[field] / count or 1.0
                norm = K1 * ((1 - B) + B * self._lengths[field][rows] / average)
                hit_rows.append(rows)
                hit_weights.append((FIELD_BOOSTS[field] * idf * times) * tfs * (K1 + 1) / (tfs + norm))
            if not hit_rows:
                return []
            rows = np.concatenate(hit_rows)
            scores = np.bincount(rows, weights=np.concatenate(hit_weights), minlength=used)
            touched = np.flatnonzero(scores)
            k = min(limit, len(touched))
            best = touched[np.argpartition(-scores[touched], k - 1)[:k]]
            best = best[np.lexsort((best, -scores[best]))]
            return [KeywordHit(key=self._keys[row], score=float(scores[row])) for row in best]


    def _with_compound_parts(self, text: str, terms) -> dict[tuple[str, str], float]:
        """The query's terms, plus the parts of its Dutch compounds, the compounds its words written
        apart form, and the compounds a word the index never holds alone ends
        (`knowledge.search.compounds`), each at `PART_WEIGHT`; a term the query has anyway keeps its
        own weight. Called under the lock: it reads the vocabulary."""
        out: dict[tuple[str, str], float] = dict(terms)
        words = compounds.surface_words(text)
        for field in COMPOUND_FIELDS:
            def frequency(term: str, field=field) -> int:
                postings = self._postings.get((field, term))
                return 0 if postings is None else len(postings.rows) + len(postings._new_rows)

            def stem(word: str, field=field) -> str | None:
                return self._fulltext.stem(field, word)

            extra: set[str] = set()
            for word in words:
                extra.update(compounds.split(word, frequency, stem) or ())
                if frequency(stem(word) or ""):
                    continue  # the organisation writes it alone: its compounds are other things
                head = compounds.head_stem(word, stem)
                found = [term for term in self._endings.get((field, head), ()) if term != head] if head else []
                extra.update(sorted(found, key=lambda t: -frequency(t))[:MAX_COMPOUNDS_PER_PART])
            for first, second in zip(words, words[1:]):
                extra.update(term for term in map(stem, compounds.joined(first, second))
                             if term and frequency(term))
            for term in extra:
                if (field, term) not in out:
                    out[(field, term)] = compounds.PART_WEIGHT
        return out
