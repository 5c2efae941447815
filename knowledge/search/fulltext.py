"""The full-text index (Whoosh): titles and bodies analysed per language, postings on disk, snippets.

Ranking happens in memory over these postings (`knowledge.search.keywords`); Whoosh decides what a word is,
keeps the index and highlights. One long-lived searcher serves the snippets and is refreshed only
after writes: opening one costs tens of milliseconds on a large index, far too much per keystroke.
Writers take Whoosh's lock with a timeout, so two processes writing one index wait for each other
instead of corrupting it; so does opening, which would otherwise see a commit's clean-up as damage.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator

import numpy as np

from whoosh import index as whoosh_index
from whoosh.analysis import LanguageAnalyzer, StemmingAnalyzer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import ContextFragmenter, HtmlFormatter, get_text, highlight
from whoosh.index import LockError
from whoosh.scoring import BM25F
from whoosh.util.filelock import try_for

from knowledge.search.documents import Document
from knowledge.search.query_text import clean_query

log = logging.getLogger(__name__)


def _new_schema() -> Schema:
    english = StemmingAnalyzer()
    dutch = LanguageAnalyzer("nl")
    return Schema(
        key=ID(stored=True, unique=True),
        kind=ID(stored=True),
        audience=ID(stored=True),
        language=ID(stored=True),
        title=STORED,
        body=STORED,
        review_by=STORED,
        title_en=TEXT(analyzer=english),
        body_en=TEXT(analyzer=english),
        title_nl=TEXT(analyzer=dutch),
        body_nl=TEXT(analyzer=dutch),
        topics=TEXT(analyzer=english, stored=True),
    )


# A match in the title counts five times a match in the body (measured: docs/research/retrieval-lab.md).
FIELD_BOOSTS = {"title_en": 1.0, "body_en": 0.2, "title_nl": 1.0, "body_nl": 0.2, "topics": 0.2}
# Bump when the schema or analysis changes: an index of another version is rebuilt on open.
SCHEMA_VERSION = "2"
# The file of Whoosh's write lock (`FileIndex.lock("WRITELOCK")` of its default index, "MAIN").
_WRITE_LOCK = "MAIN_WRITELOCK"


class FullTextIndex:
    def __init__(self, path: str, *, writer_timeout: float = 30.0):
        self.path = path
        self._writer_timeout = writer_timeout
        self._lock = threading.RLock()  # search() refreshes a missing searcher while holding it
        # Whoosh reads a file by seeking, then reading: two threads reading through one searcher at
        # once would read at each other's positions (garbled postings, undecodable stored fields).
        self._read_lock = threading.Lock()
        self._searcher = None
        # The schema is read once, while opening: the property reads the table of contents each time.
        self._ix, self._schema = self._open_or_create()

    def _open_or_create(self):
        """Open the index, or make a new one; processes starting together take turns (file lock).

        The open also holds Whoosh's write lock, as writers do: a commit deletes the files of the
        generation it replaces, so an open beside it could find a file it had just listed gone and
        take the sound index for a damaged one, deleting it with the other process's writes.
        """
        os.makedirs(self.path, exist_ok=True)
        with open(os.path.abspath(self.path) + ".open-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                write_lock = FileStorage(self.path).lock(_WRITE_LOCK)
                if not try_for(write_lock.acquire, timeout=self._writer_timeout, delay=0.05):
                    raise LockError(f"the search index at {self.path} stayed locked by a writer")
                try:
                    ix = self._open_or_create_locked()
                    return ix, ix.schema
                finally:
                    write_lock.release()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _open_or_create_locked(self):
        version_file = os.path.join(self.path, "schema-version")
        try:
            with open(version_file) as f:
                current = f.read().strip() == SCHEMA_VERSION
        except FileNotFoundError:
            current = False
        try:
            if current and whoosh_index.exists_in(self.path):
                ix = whoosh_index.open_dir(self.path)
                with ix.searcher() as probe:
                    probe.doc_count()
                return ix
        except Exception:  # a half-written or damaged index is derived data: start it again
            log.exception("search index at %s is unreadable; it will be rebuilt", self.path)
        for name in os.listdir(self.path):
            if name == _WRITE_LOCK:  # held here: a writer waiting for it must go on waiting on this file
                continue
            target = os.path.join(self.path, name)
            if os.path.isdir(target):
                shutil.rmtree(target, ignore_errors=True)
            else:
                os.remove(target)
        self.needs_rebuild = True
        # No schema-version file yet: it is written by `mark_complete` when the rebuild has finished,
        # so an index left half-built by a killed process is rebuilt again on the next open.
        return whoosh_index.create_in(self.path, _new_schema())

    def mark_complete(self) -> None:
        """The index holds every document: from now on it may be opened as current."""
        with open(os.path.join(self.path, "schema-version"), "w") as f:
            f.write(SCHEMA_VERSION)

    needs_rebuild = False

    def doc_count(self) -> int:
        return self._current_searcher().doc_count()

    def _writer(self):
        """Whoosh's writer, making segments of separate files. Opening a part of a compound segment
        copies it into memory (a BytesIO over the mapped file), in every worker, for as long as its
        reader lives: about 4 KB per document. Separate files are read through the page cache,
        which the workers share."""
        return self._ix.writer(timeout=self._writer_timeout, compound=False)

    def write(self, upserts: Iterable[Document], removals: Iterable[str] = ()) -> None:
        writer = self._writer()
        try:
            for key in removals:
                writer.delete_by_term("key", key)
            for doc in upserts:
                writer.update_document(**self._fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self.refresh()

    def clear(self) -> None:
        """Empty the index (for a rebuild), keeping the folder and its lock."""
        writer = self._writer()
        writer.commit(mergetype=_clear_all)
        self.refresh()
        self.needs_rebuild = False

    def refresh(self) -> None:
        """Point new searches at the latest commit; a search already running keeps its own reader."""
        with self._lock:
            old = self._searcher
            if old is not None and old.up_to_date():
                return
            # Not `old.refresh()`: Whoosh's reused segment readers miss new deletions, so an updated
            # document would be found twice. Searches still running on `old` finish on it.
            self._searcher = self._open_searcher()

    def _open_searcher(self):
        """A searcher whose every file is open, so that it stays readable for as long as anyone holds it.

        Whoosh opens a segment's columns (stored fields, field lengths) lazily, on first use. Another
        process's commit merges segments and deletes their files: a searcher that had not yet read a
        column of a merged segment then finds no file, and Whoosh answers None for it (a 500 under
        load, found by bench/load.py). An open file outlives its deletion, so every column is opened
        here; a segment whose files went while this searcher was being opened is retried on the next
        generation, as Whoosh itself retries opening a reader.
        """
        for attempt in range(_OPEN_ATTEMPTS):
            searcher = self._ix.searcher(weighting=BM25F())
            try:
                if _open_every_column(searcher.reader()):
                    return searcher
            except FileNotFoundError:
                pass
            searcher.close()
            time.sleep(0.05 * (attempt + 1))
        raise LockError(f"the search index at {self.path} kept changing while it was being opened")

    def _current_searcher(self):
        if self._searcher is None:
            self.refresh()
        return self._searcher

    def snippets(self, keys: list[str], text: str) -> dict[str, str]:
        """For each document, up to two fragments of its body around the query's words, as escaped
        HTML with the matched words in <mark>; '' when no word of the query occurs in it.

        Only the stretches of the body near a query term are analysed: highlighting a whole article
        costs milliseconds, and a page shows ten of them on every keystroke.
        """
        terms = {field: set() for field in ("body_en", "body_nl")}
        for field, term in self.query_terms(text):
            if field in terms:
                terms[field].add(term)
        if not keys or not any(terms.values()):
            return {}
        with self._lock:
            searcher = self._current_searcher()
        with self._read_lock:
            stored_by_key = {}
            for key in keys:
                docnum = searcher.document_number(key=key)
                if docnum is not None:
                    stored_by_key[key] = searcher.stored_fields(docnum)
        found = {}
        for key, stored in stored_by_key.items():
            field = f"body_{stored['language']}"
            body = _near(stored["body"], terms[field])
            found[key] = highlight(body, terms[field], self._schema[field].analyzer,
                                   ContextFragmenter(maxchars=160, surround=60), MarkFormatter(), top=2) \
                if body else ""
        return found

    # -- what a word is, for the in-memory ranking (`knowledge.search.keywords`) ------------------

    def analyse(self, doc: Document) -> dict[str, tuple[int, dict[str, float]]]:
        """Per ranked field: its length in tokens and each term's weight, as Whoosh indexes them."""
        fields = self._fields(doc)
        out = {}
        for name in FIELD_BOOSTS:
            value = fields.get(name)
            if not value:
                continue
            counts, length = {}, 0
            for term, freq, weight, _ in self._schema[name].index(value):
                counts[term.decode()] = weight
                length += freq
            out[name] = (length, counts)
        return out

    def query_terms(self, text: str, languages: tuple[str, ...] = ("en", "nl")) -> Counter:
        """(field, term) → how often the query asks for it, over the ranked fields of the languages."""
        words = clean_query(text)
        terms: Counter = Counter()
        if not words:
            return terms
        for name in FIELD_BOOSTS:
            if name != "topics" and name.rsplit("_", 1)[-1] not in languages:
                continue
            for term in self._schema[name].process_text(words, mode="query"):
                terms[(name, term)] += 1
        return terms

    def stem(self, field: str, word: str) -> str | None:
        """One word as `field`'s analyser indexes it; None for a stop word."""
        for term in self._schema[field].process_text(word, mode="query"):
            return term
        return None

    def contents(self) -> "IndexContents":
        """Everything indexed, read from one generation: documents with their field lengths, and
        postings. It reads through a searcher of its own, so that requests reading the shared one
        meanwhile need not wait for a read of the whole index; close it when done."""
        return IndexContents(self._open_searcher(), list(FIELD_BOOSTS))

    @staticmethod
    def _fields(doc: Document) -> dict:
        lang = doc.language if doc.language in ("en", "nl") else "en"
        return {
            "key": doc.key, "kind": doc.kind, "audience": doc.audience, "language": lang,
            "title": doc.title, "body": doc.body, "review_by": doc.review_by,
            f"title_{lang}": doc.title, f"body_{lang}": doc.body, "topics": " ".join(doc.topics),
        }

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


_OPEN_ATTEMPTS = 10


def _open_every_column(reader) -> bool:
    """Open the stored-fields and field-length columns of every segment under `reader` now (Whoosh
    caches each reader it opens); False when a segment's files are already gone."""
    for leaf, _ in reader.leaf_readers():
        perdoc = getattr(leaf, "_perdoc", None)
        segment = getattr(leaf, "_segment", None)
        if perdoc is None or segment is None or not hasattr(perdoc, "_cached_reader"):
            continue  # not the Whoosh 3 codec's segment reader: nothing opened lazily that we know of
        if segment.doc_count_all() and perdoc._cached_reader("_stored", STORED_COLUMN) is None:
            return False
        for field, total in segment._fieldlengths.items():
            if total and perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN) is None:
                return False
    return True


def _near(body: str, terms: set[str], reach: int = 200, windows: int = 3) -> str:
    """The stretches of `body` around the first places where a term's letters occur, joined.

    Stems are mostly prefixes of the words they come from ("parking" → "park"), so a plain search for
    the term's letters finds the candidates; the highlighter then decides what really matches.
    """
    lower = body.lower()
    starts = sorted(p for p in (lower.find(term) for term in terms if len(term) > 1) if p >= 0)[:windows]
    if not starts:
        return ""
    spans: list[list[int]] = []
    for position in starts:
        low, high = max(0, position - reach), min(len(body), position + reach)
        if spans and low <= spans[-1][1]:
            spans[-1][1] = high
        else:
            spans.append([low, high])
    return " … ".join(body[low:high] for low, high in spans)


class IndexContents:
    """A consistent read of one index generation, for loading an in-memory replica at start-up."""

    def __init__(self, searcher, fields: list[str]):
        self._searcher = searcher
        self._reader = searcher.reader()
        self._fields = fields
        self.doc_count_all = self._reader.doc_count_all()

    def close(self) -> None:
        self._searcher.close()

    def documents(self) -> Iterator[tuple[int, dict, dict[str, int]]]:
        """(document number, stored fields, ranked field lengths) of every live document."""
        reader = self._reader
        for docnum, stored in reader.iter_docs():
            yield docnum, stored, {f: reader.doc_field_length(docnum, f, 0) or 0 for f in self._fields}

    def postings(self) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
        """(field, term, document numbers, weights) for every term; deleted documents included
        (the caller knows the live ones from `documents`)."""
        for leaf, offset in self._reader.leaf_readers():
            for field in self._fields:
                if field not in leaf.schema:
                    continue
                for term in leaf.lexicon(field):
                    docnums, weights = _posting_arrays(leaf, field, term)
                    yield field, term.decode(), docnums + offset, weights


def _posting_arrays(leaf, field: str, term: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A term's whole posting list as arrays, block by block: the matcher's per-posting calls take
    seconds over a large index. Uses the Whoosh 3 codec's block layout, checked by a test against
    the public per-posting API, which stays the fallback for any other codec."""
    terms = getattr(leaf, "_terms", None)
    matcher = terms.matcher(field, term, leaf.schema[field].format) if terms is not None else None
    if matcher is not None and hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block"):
        ids, weights = [], []
        while not matcher._atend:
            matcher._read_data()
            raw_ids, raw_weights = matcher._data[0], matcher._data[1]
            count = matcher._blocklength
            ids.append(np.cumsum(np.asarray(raw_ids, dtype=np.int64)))
            if raw_weights is None:
                weights.append(np.ones(count, np.float32))
            elif isinstance(raw_weights, float):
                weights.append(np.full(count, raw_weights, np.float32))
            else:
                weights.append(np.asarray(raw_weights, dtype=np.float32))
            matcher._next_block()
        return np.concatenate(ids), np.concatenate(weights)
    matcher = leaf.postings(field, term)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, np.int64), np.asarray(weights, np.float32)


class MarkFormatter(HtmlFormatter):
    """Matched words in a bare <mark>; everything else HTML-escaped (by HtmlFormatter._text)."""

    def format_token(self, text, token, replace=False):
        return f"<mark>{self._text(get_text(text, token, replace))}</mark>"


def _clear_all(writer, segments):
    """A merge policy that keeps no segment: the committed index is empty."""
    return []
