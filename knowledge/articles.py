"""Writing articles: every save is a revision, Markdown is rendered once, status rules hold.

Functions take a session and `now` and flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.errors import EditConflict, InvalidArticle
from knowledge.markdown import render_markdown
from knowledge.models import ARTICLE_STATUSES, AUDIENCES, LANGUAGES, Article, ArticleRevision, Topic

MAX_TITLE = 300
MAX_BODY = 100_000


@dataclass(frozen=True)
class ArticleDraft:
    """What a person submits for an article; checked by `create_article` and `save_article`."""

    title: str
    body: str
    topic_slugs: tuple[str, ...] = ()
    audience: str = "public"
    language: str = "en"
    status: str = "draft"
    note: str = ""


def create_topic(session: Session, *, slug: str, name: str, parent: Topic | None = None,
                 review_days: int = 180) -> Topic:
    topic = Topic(slug=slug, name=name, parent=parent, review_days=review_days)
    session.add(topic)
    session.flush()
    return topic


def create_article(session: Session, now: datetime, draft: ArticleDraft, *, author_id: int | None,
                   external_id: str | None = None) -> Article:
    """A new article with its first revision; `external_id` is its key in the export it came from."""
    topics = _checked(session, draft)
    article = Article(
        title=draft.title.strip(),
        body=draft.body,
        body_html=render_markdown(draft.body),
        status=draft.status,
        audience=draft.audience,
        language=draft.language,
        owner_id=author_id,
        topics=topics,
        created_at=now,
        updated_at=now,
        external_id=external_id,
    )
    if draft.status == "published":
        _mark_published(article, now)
    session.add(article)
    session.flush()
    _add_revision(session, article, now, author_id=author_id, note=draft.note or "created")
    return article


def save_article(session: Session, now: datetime, article: Article, draft: ArticleDraft, *,
                 author_id: int | None, expected_version: int | None = None) -> Article:
    """Change an article; the new text becomes its next revision.

    `expected_version` is the version the editor started from: if someone saved in between, the save
    is refused instead of silently overwriting their work.
    """
    if expected_version is not None and expected_version != article.version:
        raise EditConflict("Someone else saved this article while you were editing it. Your text is kept "
                           "below; compare it with the latest version and save again.")
    topics = _checked(session, draft)
    was_published = article.status == "published"
    article.title = draft.title.strip()
    article.body = draft.body
    article.body_html = render_markdown(draft.body)
    article.status = draft.status
    article.audience = draft.audience
    article.language = draft.language
    article.topics = topics
    article.updated_at = now
    if draft.status == "published" and not was_published:
        _mark_published(article, now)
    session.flush()
    _add_revision(session, article, now, author_id=author_id, note=draft.note)
    return article


def _checked(session: Session, draft: ArticleDraft) -> list[Topic]:
    if not draft.title or not draft.title.strip():
        raise InvalidArticle("An article needs a title.")
    if len(draft.title) > MAX_TITLE:
        raise InvalidArticle(f"A title has at most {MAX_TITLE} characters.")
    if len(draft.body or "") > MAX_BODY:
        raise InvalidArticle(f"A body has at most {MAX_BODY:,} characters.")
    if draft.status not in ARTICLE_STATUSES:
        raise InvalidArticle(f"Unknown status {draft.status!r}.")
    if draft.audience not in AUDIENCES:
        raise InvalidArticle(f"Unknown audience {draft.audience!r}.")
    if draft.language not in LANGUAGES:
        raise InvalidArticle(f"Unknown language {draft.language!r}.")
    if not draft.topic_slugs:
        return []
    topics = session.scalars(select(Topic).where(Topic.slug.in_(draft.topic_slugs))).all()
    missing = set(draft.topic_slugs) - {t.slug for t in topics}
    if missing:
        raise InvalidArticle(f"Unknown topic(s): {', '.join(sorted(missing))}.")
    return list(topics)


def _mark_published(article: Article, now: datetime) -> None:
    article.published_at = now
    days = min((t.review_days for t in article.topics), default=180)
    article.review_by = (now + timedelta(days=days)).date()


def _add_revision(session: Session, article: Article, now: datetime, *, author_id: int | None, note: str) -> None:
    number = len(article.revisions) + 1
    session.add(ArticleRevision(
        article=article, number=number, title=article.title, body=article.body,
        author_id=author_id, created_at=now, note=note[:300],
    ))
    session.flush()
