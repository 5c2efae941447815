"""The full-text index (Whoosh): BM25 over titles and bodies, analysed per language, with snippets.

One long-lived searcher serves every query and is refreshed only after writes: opening a searcher
costs tens of milliseconds on a large index, far too much per keystroke. Writers take Whoosh's lock
with a timeout, so two processes writing one index wait for each other instead of corrupting it.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from whoosh import index as whoosh_index
from whoosh.analysis import LanguageAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter, get_text, highlight
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.query import And, Or, Term
from whoosh.scoring import BM25F

from knowledge.documents import Document

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Query syntax characters that turn a customer's words into Whoosh operators they never meant.
_SYNTAX = re.compile(r"[\"'()\[\]{}^~*?:\\/+\-!<>=]")


def _schema() -> Schema:
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


@dataclass(frozen=True)
class KeywordHit:
    key: str
    score: float


def without_control_characters(text: str) -> str:
    """Control characters (NUL above all, which PostgreSQL refuses to store) become spaces."""
    return _CONTROL.sub(" ", text or "")


def clean_query(text: str) -> str:
    """What a person typed, made safe for the parser: no control characters, no operators, bounded."""
    text = without_control_characters(text)[:MAX_QUERY_CHARS]
    return " ".join(_SYNTAX.sub(" ", text).split())


class FullTextIndex:
    def __init__(self, path: str, *, writer_timeout: float = 30.0):
        self.path = path
        self._writer_timeout = writer_timeout
        self._lock = threading.RLock()  # search() refreshes a missing searcher while holding it
        self._searcher = None
        self._ix = self._open_or_create()
        self._parser = self._parser_for(("en", "nl"))
        # Per language: a query known to be Dutch need not be matched against English fields.
        self._parsers = {langs: self._parser_for(langs) for langs in (("en", "nl"), ("en",), ("nl",))}
        self._filters: dict[tuple, set[int]] = {}  # docnum sets of `_filters_of`, per filter
        self._filters_of = None

    def _parser_for(self, languages: tuple[str, ...]) -> MultifieldParser:
        boosts = {f: b for f, b in FIELD_BOOSTS.items() if f == "topics" or f.rsplit("_", 1)[-1] in languages}
        return MultifieldParser(list(boosts), schema=self._ix.schema, fieldboosts=boosts, group=OrGroup)

    def _open_or_create(self):
        """Open the index, or make a new one; processes starting together take turns (file lock)."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(os.path.abspath(self.path) + ".open-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return self._open_or_create_locked()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _open_or_create_locked(self):
        os.makedirs(self.path, exist_ok=True)
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
        shutil.rmtree(self.path, ignore_errors=True)
        os.makedirs(self.path, exist_ok=True)
        self.needs_rebuild = True
        # No schema-version file yet: it is written by `mark_complete` when the rebuild has finished,
        # so an index left half-built by a killed process is rebuilt again on the next open.
        return whoosh_index.create_in(self.path, _schema())

    def mark_complete(self) -> None:
        """The index holds every document: from now on it may be opened as current."""
        with open(os.path.join(self.path, "schema-version"), "w") as f:
            f.write(SCHEMA_VERSION)

    needs_rebuild = False

    def doc_count(self) -> int:
        return self._current_searcher().doc_count()

    def write(self, upserts: Iterable[Document], removals: Iterable[str] = ()) -> None:
        writer = self._ix.writer(timeout=self._writer_timeout)
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
        writer = self._ix.writer(timeout=self._writer_timeout)
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
            self._searcher = self._ix.searcher(weighting=BM25F())

    def _current_searcher(self):
        if self._searcher is None:
            self.refresh()
        return self._searcher

    def search(self, text: str, *, audiences: tuple[str, ...], kinds: tuple[str, ...] = ("article", "question"),
               languages: tuple[str, ...] = ("en", "nl"), limit: int = 50) -> list[KeywordHit]:
        """BM25 candidates, best first. Snippets are made later, only for what is shown (`snippets`)."""
        words = clean_query(text)
        if not words:
            return []
        query = self._parsers[languages].parse(words)
        with self._lock:
            searcher = self._current_searcher()
            allowed = self._allowed_docs(searcher, tuple(sorted(audiences)), tuple(sorted(kinds)))
        results = searcher.search(query, limit=limit, filter=allowed)
        return [KeywordHit(key=hit["key"], score=float(hit.score)) for hit in results]

    def _allowed_docs(self, searcher, audiences: tuple[str, ...], kinds: tuple[str, ...]) -> set[int] | None:
        """The documents a filter lets through, computed once per searcher instead of per query."""
        clauses = []
        if set(audiences) != {"public", "internal"}:
            clauses.append(Or([Term("audience", a) for a in audiences]))
        if set(kinds) != {"article", "question"}:
            clauses.append(Or([Term("kind", k) for k in kinds]))
        if not clauses:
            return None
        if self._filters_of is not searcher:  # a new searcher sees other documents: start afresh
            self._filters, self._filters_of = {}, searcher
        if (audiences, kinds) not in self._filters:
            self._filters[(audiences, kinds)] = set(searcher.docs_for_query(And(clauses)))
        return self._filters[(audiences, kinds)]

    def snippets(self, keys: list[str], text: str) -> dict[str, str]:
        """For each document, up to two fragments of its body around the query's words, as escaped
        HTML with the matched words in <mark>; '' when no word of the query occurs in it."""
        words = clean_query(text)
        if not words or not keys:
            return {}
        terms = {field: set() for field in ("body_en", "body_nl")}
        for field, term in self._parser.parse(words).iter_all_terms():
            if field in terms:
                terms[field].add(term.decode() if isinstance(term, bytes) else term)
        with self._lock:
            searcher = self._current_searcher()
        found = {}
        for key in keys:
            docnum = searcher.document_number(key=key)
            if docnum is None:
                continue
            stored = searcher.stored_fields(docnum)
            field = f"body_{stored['language']}"
            found[key] = highlight(stored["body"], terms[field], self._ix.schema[field].analyzer,
                                   ContextFragmenter(maxchars=160, surround=60), MarkFormatter(), top=2)
        return found

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


class MarkFormatter(HtmlFormatter):
    """Matched words in a bare <mark>; everything else HTML-escaped (by HtmlFormatter._text)."""

    def format_token(self, text, token, replace=False):
        return f"<mark>{self._text(get_text(text, token, replace))}</mark>"


def _clear_all(writer, segments):
    """A merge policy that keeps no segment: the committed index is empty."""
    return []
