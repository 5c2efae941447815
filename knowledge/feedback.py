"""Readers' "was this helpful?": counted for editors; repeated "no" flags the article for review."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from knowledge.errors import InvalidArticle
from knowledge.models import Article, ArticleFeedback

FLAG_WINDOW = timedelta(days=90)
FLAG_AFTER_NEGATIVE = 3  # at least this many "no" in the window, and more "no" than "yes"
MAX_COMMENT = 1000


@dataclass(frozen=True)
class ReaderComplaint:
    """An article readers said did not help, with what they wrote, until an editor has dealt with it."""
    article: Article
    count: int
    latest_at: datetime
    comments: tuple[str, ...]


def record_feedback(session: Session, now: datetime, article: Article, *, helpful: bool, comment: str = "") -> bool:
    """Store one answer; returns True when this answer made the article flagged for review."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidArticle(f"A comment has at most {MAX_COMMENT:,} characters.")
    session.add(ArticleFeedback(article_id=article.id, at=now, helpful=helpful, comment=comment))
    session.flush()
    if helpful or article.flagged_at is not None:
        return False
    yes, no = feedback_counts(session, [article.id], since=now - FLAG_WINDOW).get(article.id, (0, 0))
    if no >= FLAG_AFTER_NEGATIVE and no > yes:
        article.flagged_at = now
        article.flag_reason = f"{no} readers said it did not help ({yes} said it did) in the last 90 days"
        session.flush()
        return True
    return False


def feedback_counts(session: Session, article_ids: list[int], since: datetime | None = None) -> dict[int, tuple[int, int]]:
    """article id → (helpful, not helpful)."""
    query = (select(ArticleFeedback.article_id,
                    func.sum(case((ArticleFeedback.helpful.is_(True), 1), else_=0)),
                    func.sum(case((ArticleFeedback.helpful.is_(False), 1), else_=0)))
             .where(ArticleFeedback.article_id.in_(article_ids)).group_by(ArticleFeedback.article_id))
    if since is not None:
        query = query.where(ArticleFeedback.at >= since)
    return {article_id: (int(yes or 0), int(no or 0)) for article_id, yes, no in session.execute(query)}


def reader_complaints(session: Session) -> list[ReaderComplaint]:
    """Every article with a reader's "no" no editor has dealt with yet, most recent first: "Flagged by readers"."""
    rows = session.execute(select(ArticleFeedback).where(ArticleFeedback.helpful.is_(False),
                                                         ArticleFeedback.handled_at.is_(None))
                           .order_by(ArticleFeedback.at)).scalars().all()
    by_article: dict[int, list[ArticleFeedback]] = {}
    for row in rows:
        by_article.setdefault(row.article_id, []).append(row)
    complaints = [ReaderComplaint(article=session.get(Article, i), count=len(found), latest_at=found[-1].at,
                                  comments=tuple(f.comment for f in reversed(found) if f.comment))
                  for i, found in by_article.items()]
    return sorted(complaints, key=lambda c: c.latest_at, reverse=True)


def mark_complaints_handled(session: Session, now: datetime, article: Article) -> int:
    """An editor dealt with what readers said of this article; returns how many "no" that was."""
    rows = session.scalars(select(ArticleFeedback).where(ArticleFeedback.article_id == article.id,
                                                         ArticleFeedback.helpful.is_(False),
                                                         ArticleFeedback.handled_at.is_(None))).all()
    for row in rows:
        row.handled_at = now
    session.flush()
    return len(rows)
