"""Bulk import of articles from real exports (JSON Lines or CSV): valid lines are kept, invalid ones
reported by number and change nothing.

Exports carry more than we store (an `id`, a `url`, an `author`…): fields we do not know are counted,
reported once and ignored, never a reason to refuse a line. An export's own key (`external_id`) makes
re-importing it an update of the same article (a new revision, only when something changed) instead of
a copy. Topics may be given by slug or by name, as the export spells them.
"""
from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.articles import ArticleDraft, create_article, save_article
from knowledge.errors import InvalidArticle
from knowledge.models import Article, Topic

FIELDS = {"external_id", "title", "body", "topics", "audience", "language", "status"}
FORMATS = ("jsonl", "csv")
MAX_EXTERNAL_ID = 200
# A CSV cell (or a JSON string) of topics: "Parking; Waste" or "parking,waste".
TOPIC_SEPARATORS = re.compile(r"[;,]")


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class ArticleImportReport:
    """What an import did, line by line summed up: each valid line created, updated or left an article."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    # Field name → number of lines that carried it; ignored, reported once.
    unknown_fields: Counter = field(default_factory=Counter)

    @property
    def imported(self) -> int:
        """Lines that wrote something (created or updated)."""
        return self.created + self.updated

    @property
    def skipped(self) -> int:
        return len(self.errors)


def import_json_lines(session: Session, lines: Iterable[str], save: Callable[[dict], object], *,
                      refused: tuple[type[Exception], ...] = (), progress: Callable[[int], None] | None = None,
                      commit_every: int = 500) -> ImportReport:
    """Save one JSON object per line with `save`; a line that is not valid JSON, or that `save`
    refuses (ValueError or `refused`), is reported by its number. Each line gets a savepoint, so one
    bad line never takes its neighbours with it."""
    report = ImportReport()

    def count(_outcome) -> None:
        report.imported += 1

    _save_each(session, json_lines_records(lines), save, count, report.errors, refused=refused,
               progress=progress, commit_every=commit_every)
    return report


def import_articles(session: Session, now: datetime, lines: Iterable[str], *, format: str = "jsonl",
                    author_id: int | None = None, progress: Callable[[int], None] | None = None,
                    commit_every: int = 500) -> ArticleImportReport:
    """One article per line or CSV row: title and body, optionally external_id, topics (slugs or names),
    audience, language, status (default published). An external_id already imported updates that
    article: a new revision if anything differs, nothing at all if not."""
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    report = ArticleImportReport()
    topics = _topic_lookup(session)
    records = json_lines_records(lines) if format == "jsonl" else csv_records(lines)

    def save(record: dict) -> str:
        unknown = set(record) - FIELDS
        report.unknown_fields.update(unknown)
        return _upsert(session, now, {k: v for k, v in record.items() if k in FIELDS}, topics, author_id)

    def count(outcome: str) -> None:
        setattr(report, outcome, getattr(report, outcome) + 1)

    _save_each(session, records, save, count, report.errors, refused=(InvalidArticle,), progress=progress,
               commit_every=commit_every)
    return report


def json_lines_records(lines: Iterable[str]) -> Iterator[tuple[int, dict | ValueError]]:
    """(line number, object), or the reason the line is not one; blank lines are skipped."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                yield number, _json_object(line)
            except ValueError as error:
                yield number, error


def csv_records(lines: Iterable[str]) -> Iterator[tuple[int, dict | ValueError]]:
    """(line number where the row starts, row) of a CSV with a header row; the delimiter (comma,
    semicolon as Dutch spreadsheets write, or tab) is read from the header. Empty cells count as not given."""
    lines = iter(lines)
    header = next(lines, "")
    try:
        dialect = csv.Sniffer().sniff(header, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(_chain_first(header, lines), dialect)
    names = [name.strip().lower() for name in next(reader, [])]
    start = reader.line_num + 1
    for row in reader:
        number, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            yield number, ValueError(f"{len(row)} cells but the header names {len(names)} columns")
            continue
        yield number, {name: cell for name, cell in zip(names, row) if cell.strip() and name}


def _chain_first(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _save_each(session: Session, records: Iterable[tuple[int, dict | ValueError]], save: Callable[[dict], object],
               count: Callable[[object], None], errors: list[tuple[int, str]], *,
               refused: tuple[type[Exception], ...], progress: Callable[[int], None] | None,
               commit_every: int) -> None:
    """Each record gets a savepoint, so one bad line changes nothing and never takes its neighbours with it."""
    saved = 0
    for number, record in records:
        if progress:
            progress(number)
        try:
            if isinstance(record, ValueError):
                raise record
            with session.begin_nested():
                outcome = save(record)
        except (ValueError, *refused) as error:
            errors.append((number, str(error)))
            continue
        count(outcome)
        saved += 1
        if saved % commit_every == 0:
            session.commit()
    session.commit()


def _json_object(line: str) -> dict:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    return data


def _topic_lookup(session: Session) -> dict[str, str]:
    """Slug or name, any case → slug. A name that is also another topic's slug means that slug."""
    lookup: dict[str, str] = {}
    topics = session.scalars(select(Topic)).all()
    for topic in topics:
        lookup.setdefault(topic.name.strip().lower(), topic.slug)
    for topic in topics:
        lookup[topic.slug.lower()] = topic.slug
    return lookup


def _upsert(session: Session, now: datetime, data: dict, topics: dict[str, str], author_id: int | None) -> str:
    """'created', 'updated' or 'unchanged'."""
    external_id = _external_id(data.get("external_id"))
    draft = _draft_from(data, topics)
    article = None
    if external_id is not None:
        article = session.scalar(select(Article).where(Article.external_id == external_id))
    if article is None:
        create_article(session, now, draft, author_id=author_id, external_id=external_id)
        return "created"
    if _same(article, draft):
        return "unchanged"
    save_article(session, now, article, draft, author_id=author_id)
    return "updated"


def _external_id(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError('"external_id" must be a string or a number')
    text = str(value).strip()
    if len(text) > MAX_EXTERNAL_ID:
        raise ValueError(f'"external_id" has at most {MAX_EXTERNAL_ID} characters')
    return text or None


def _draft_from(data: dict, topics: dict[str, str]) -> ArticleDraft:
    if "body" not in data:
        raise ValueError('"body" is missing')
    data = {"title": "", **data}  # a missing title (an empty CSV cell) is refused as "needs a title"
    for name in ("title", "body"):
        if not isinstance(data[name], str):
            raise ValueError(f'"{name}" must be a string')
    given = data.get("topics", [])
    if isinstance(given, str):
        given = TOPIC_SEPARATORS.split(given)
    if not isinstance(given, list) or not all(isinstance(t, str) for t in given):
        raise ValueError('"topics" must be a list of topic slugs or names')
    wanted = [t.strip() for t in given if t.strip()]
    unknown = [t for t in wanted if t.lower() not in topics]
    if unknown:
        raise ValueError(f"unknown topic(s): {', '.join(unknown)} (give a topic's slug or name)")
    slugs = tuple(dict.fromkeys(topics[t.lower()] for t in wanted))
    return ArticleDraft(title=data["title"], body=data["body"], topic_slugs=slugs,
                        audience=data.get("audience", "public"), language=data.get("language", "en"),
                        status=data.get("status", "published"), note="imported")


def _same(article: Article, draft: ArticleDraft) -> bool:
    return ((article.title, article.body, article.audience, article.language, article.status)
            == (draft.title.strip(), draft.body, draft.audience, draft.language, draft.status)
            and sorted(t.slug for t in article.topics) == sorted(draft.topic_slugs))
