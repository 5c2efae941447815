"""Bulk import of articles from JSON Lines: valid lines are kept, invalid ones reported by number."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from knowledge.articles import ArticleDraft, create_article
from knowledge.errors import InvalidArticle

FIELDS = {"title", "body", "topics", "audience", "language", "status"}


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_json_lines(session: Session, lines: Iterable[str], save: Callable[[dict], object], *,
                      refused: tuple[type[Exception], ...] = (), progress: Callable[[int], None] | None = None,
                      commit_every: int = 500) -> ImportReport:
    """Save one JSON object per line with `save`; a line that is not valid JSON, or that `save`
    refuses (ValueError or `refused`), is reported by its number. Each line gets a savepoint, so one
    bad line never takes its neighbours with it."""
    report = ImportReport()
    for number, line in enumerate(lines, start=1):
        if progress:
            progress(number)
        if not line.strip():
            continue
        try:
            record = _json_object(line)
            with session.begin_nested():
                save(record)
        except (ValueError, *refused) as error:
            report.errors.append((number, str(error)))
            continue
        report.imported += 1
        if report.imported % commit_every == 0:
            session.commit()
    session.commit()
    return report


def import_articles(session: Session, now: datetime, lines: Iterable[str], *, author_id: int | None = None,
                    progress: Callable[[int], None] | None = None) -> ImportReport:
    """One article per line: {"title", "body", "topics", "audience", "language", "status"}."""
    return import_json_lines(
        session, lines, lambda data: create_article(session, now, _draft_from(data), author_id=author_id),
        refused=(InvalidArticle,), progress=progress)


def _json_object(line: str) -> dict:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    return data


def _draft_from(data: dict) -> ArticleDraft:
    unknown = set(data) - FIELDS
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    for name in ("title", "body"):
        if not isinstance(data.get(name), str):
            raise ValueError(f'"{name}" must be a string')
    topics = data.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise ValueError('"topics" must be a list of topic slugs')
    return ArticleDraft(title=data["title"], body=data["body"], topic_slugs=tuple(topics),
                        audience=data.get("audience", "public"), language=data.get("language", "en"),
                        status=data.get("status", "published"), note="imported")
