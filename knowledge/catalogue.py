"""Reading articles for display: who may see what is decided here, not in templates."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import ARTICLE_STATUSES, Article, Topic


def topic_with_slug(session: Session, slug: str) -> Topic | None:
    """The topic integrations, filters and imports name by its slug (slugs stay when names change)."""
    return session.scalar(select(Topic).where(Topic.slug == slug))


def readable_article(session: Session, article_id: int, *, staff: bool) -> Article | None:
    """A published article the reader may see: customers only public ones, staff internal ones too."""
    article = session.get(Article, article_id)
    if article is None or article.status != "published":
        return None
    if article.audience != "public" and not staff:
        return None
    return article


def public_articles_by_topic(session: Session) -> list[tuple[Topic, list[Article]]]:
    """Published public articles grouped under their top-level topic, for the self-service home."""
    articles = session.scalars(
        select(Article).where(Article.status == "published", Article.audience == "public").order_by(Article.title)
    ).all()
    groups: dict[int, list[Article]] = defaultdict(list)
    roots: dict[int, Topic] = {}
    for article in articles:
        for topic in article.topics[:1]:
            root = topic
            while root.parent is not None:
                root = root.parent
            roots[root.id] = root
            groups[root.id].append(article)
    return sorted(((roots[i], groups[i]) for i in groups), key=lambda pair: pair[0].name)


def articles_by_status(session: Session, topic_slug: str | None = None) -> dict[str, list[Article]]:
    """Every article by status, oldest change first (the editor's queue), optionally for one topic."""
    grouped: dict[str, list[Article]] = {s: [] for s in ARTICLE_STATUSES}
    query = select(Article).order_by(Article.updated_at, Article.id)
    if topic_slug:
        query = query.where(Article.topics.any(Topic.slug == topic_slug))
    for article in session.scalars(query):
        grouped[article.status].append(article)
    return grouped


def due_for_review(session: Session, today: date) -> list[Article]:
    """Published articles past their review date (flagged for it or not): their own list, apart from what
    readers said (knowledge.feedback.reader_complaints)."""
    return list(session.scalars(select(Article).where(Article.status == "published", Article.review_by < today)
                                .order_by(Article.review_by)))


QUEUE_PAGE_SIZE = 25


@dataclass(frozen=True)
class QueueFilter:
    """What the editor narrows the queue to; empty means everything. `q` looks in titles and texts."""
    status: str = ""
    topic_slug: str = ""
    language: str = ""
    audience: str = ""
    q: str = ""
    page: int = 1


@dataclass(frozen=True)
class QueuePage:
    articles: list[Article]
    total: int
    page: int
    pages: int
    counts: dict[str, int]  # per status, under the other filters: the tabs' numbers


def editor_queue(session: Session, wanted: QueueFilter, per_page: int = QUEUE_PAGE_SIZE) -> QueuePage:
    """One page of the editor's queue, oldest change first, with the count per status under the same filters."""
    query = select(Article)
    if wanted.topic_slug:
        query = query.where(Article.topics.any(Topic.slug == wanted.topic_slug))
    if wanted.language:
        query = query.where(Article.language == wanted.language)
    if wanted.audience:
        query = query.where(Article.audience == wanted.audience)
    if wanted.q.strip():
        pattern = f"%{wanted.q.strip().lower()}%"
        query = query.where(func.lower(Article.title).like(pattern) | func.lower(Article.body).like(pattern))
    filtered = query.subquery()
    counted = dict(session.execute(select(filtered.c.status, func.count()).group_by(filtered.c.status)).all())
    counts = {status: counted.get(status, 0) for status in ARTICLE_STATUSES}
    if wanted.status:
        query = query.where(Article.status == wanted.status)
    total = sum(counts.values()) if not wanted.status else counts.get(wanted.status, 0)
    pages = max(1, -(-total // per_page))
    page = min(max(wanted.page, 1), pages)
    articles = session.scalars(query.order_by(Article.updated_at, Article.id)
                               .offset((page - 1) * per_page).limit(per_page)).all()
    return QueuePage(articles=list(articles), total=total, page=page, pages=pages, counts=counts)
