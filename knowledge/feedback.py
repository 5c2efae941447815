"""Readers' "was this helpful?": counted for editors; repeated "no" flags the article for review."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from knowledge.models import Article, ArticleFeedback

FLAG_WINDOW = timedelta(days=90)
FLAG_AFTER_NEGATIVE = 3  # at least this many "no" in the window, and more "no" than "yes"


def record_feedback(session: Session, now: datetime, article: Article, *, helpful: bool, comment: str = "") -> bool:
    """Store one answer; returns True when this answer made the article flagged for review."""
    session.add(ArticleFeedback(article_id=article.id, at=now, helpful=helpful, comment=(comment or "").strip()[:1000]))
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
