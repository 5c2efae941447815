"""What the search indexes hold: documents, as plain data, from articles and answered questions.

Articles are the knowledge floor's own; answered questions belong to `routing/`, which hands them
over as `Document`s through a `DocumentSource` registered by the web layer. So this floor never
imports `routing/`, and the index can still be rebuilt from the database alone.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.markdown import plain_text
from knowledge.models import Article

KINDS = ("article", "question")


@dataclass(frozen=True)
class Document:
    kind: str  # "article" | "question"
    id: int
    title: str
    body: str
    audience: str  # "public" | "internal"
    language: str  # "en" | "nl"
    topics: tuple[str, ...] = ()
    # Articles past this date are flagged to staff in results.
    review_by: date | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def content_hash(self) -> str:
        """Changes only when the text that is embedded changes, so vectors are recomputed only then."""
        return hashlib.sha256(f"{self.language}\x00{self.title}\x00{self.body}".encode()).hexdigest()[:32]


def split_key(key: str) -> tuple[str, int]:
    kind, _, raw_id = key.partition(":")
    if kind not in KINDS or not raw_id.isdigit():
        raise ValueError(f"not a document key: {key!r}")
    return kind, int(raw_id)


class DocumentSource(Protocol):
    """Turns database rows of one kind into documents; None for rows that must not be searchable."""

    kind: str

    def documents(self, session: Session, ids: Iterable[int]) -> dict[int, Document | None]: ...

    def all_ids(self, session: Session) -> Iterator[int]: ...


def article_document(article: Article) -> Document | None:
    """Only published articles are searchable; drafts, reviews and archived ones are not."""
    if article.status != "published":
        return None
    return Document(kind="article", id=article.id, title=article.title, body=plain_text(article.body),
                    audience=article.audience, language=article.language,
                    topics=tuple(t.name for t in article.topics), review_by=article.review_by)


class ArticleSource:
    kind = "article"

    def documents(self, session: Session, ids: Iterable[int]) -> dict[int, Document | None]:
        ids = list(ids)
        found = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
        return {i: article_document(found[i]) if i in found else None for i in ids}

    def all_ids(self, session: Session) -> Iterator[int]:
        yield from session.scalars(select(Article.id).where(Article.status == "published").order_by(Article.id))
