"""Article history: compare any two revisions line by line, restore an old one as a new revision, and
proposed (pending) revisions that change nothing a reader sees until an editor publishes them."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.messages import N_
from knowledge.articles import ArticleDraft, save_article
from knowledge.errors import InvalidArticle
from knowledge.models import Article, ArticleRevision


@dataclass(frozen=True)
class DiffLine:
    op: str  # "same" | "added" | "removed"
    text: str


def revision(session: Session, article_id: int, number: int) -> ArticleRevision | None:
    return session.scalar(select(ArticleRevision).where(ArticleRevision.article_id == article_id,
                                                        ArticleRevision.number == number))


def diff_revisions(older: ArticleRevision, newer: ArticleRevision) -> list[DiffLine]:
    """The title and body of `older` against `newer`, as the lines a reviewer reads."""
    return diff_texts((older.title, older.body), (newer.title, newer.body))


def diff_texts(older: tuple[str, str], newer: tuple[str, str]) -> list[DiffLine]:
    """Two (title, body) pairs compared line by line."""
    before = [f"# {older[0]}", ""] + older[1].splitlines()
    after = [f"# {newer[0]}", ""] + newer[1].splitlines()
    lines = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(DiffLine("same", t) for t in before[i1:i2])
            continue
        lines.extend(DiffLine("removed", t) for t in before[i1:i2])
        lines.extend(DiffLine("added", t) for t in after[j1:j2])
    return lines


def current_revision(article: Article) -> ArticleRevision | None:
    """The revision whose text the article shows now: the newest one that was applied or accepted."""
    return next((r for r in reversed(article.revisions) if r.state in ("applied", "accepted")), None)


def pending_revisions(session: Session, article: Article | None = None) -> list[ArticleRevision]:
    """Proposed revisions waiting for an editor, oldest first; of one article or of all."""
    query = select(ArticleRevision).where(ArticleRevision.state == "pending")
    if article is not None:
        query = query.where(ArticleRevision.article_id == article.id)
    return list(session.scalars(query.order_by(ArticleRevision.created_at, ArticleRevision.id)))


def propose_revision(session: Session, now: datetime, article: Article, *, title: str, body: str,
                     author_id: int | None, note: str, merged_from: Article | None = None) -> ArticleRevision:
    """A new text for `article` kept aside as a pending revision: the article itself (its text, status,
    audience, search document) does not change until an editor accepts it."""
    if article.status == "archived":
        raise InvalidArticle(N_("Propose changes to a live article, not an archived one."))
    proposed = ArticleRevision(
        article=article, number=len(article.revisions) + 1, title=title.strip(), body=body, author_id=author_id,
        created_at=now, note=note[:300], state="pending", merged_from_id=merged_from.id if merged_from else None)
    session.add(proposed)
    session.flush()
    return proposed


def accept_revision(session: Session, now: datetime, article: Article, proposed: ArticleRevision, *,
                    editor_id: int) -> Article:
    """Publish a pending revision: its text becomes the article's (a new applied revision), audience unchanged."""
    _still_pending(article, proposed)
    save_article(session, now, article, ArticleDraft(
        title=proposed.title, body=proposed.body, topic_slugs=tuple(t.slug for t in article.topics),
        audience=article.audience, language=article.language, status=article.status,
        note=f"published revision {proposed.number}",
    ), author_id=editor_id)
    proposed.state = "accepted"
    session.flush()
    return article


def reject_revision(session: Session, article: Article, proposed: ArticleRevision) -> ArticleRevision:
    """Turn a pending revision down: the article stays as it is; the proposal stays in the history."""
    _still_pending(article, proposed)
    proposed.state = "rejected"
    session.flush()
    return proposed


def _still_pending(article: Article, proposed: ArticleRevision) -> None:
    if proposed.article_id != article.id or proposed.state != "pending":
        raise InvalidArticle(N_("That revision is not waiting for review any more."))


def restore_revision(session: Session, now: datetime, article: Article, old: ArticleRevision, *,
                     author_id: int | None) -> Article:
    """Bring back an old text as the newest revision; history is never rewritten."""
    return save_article(session, now, article, ArticleDraft(
        title=old.title, body=old.body, topic_slugs=tuple(t.slug for t in article.topics),
        audience=article.audience, language=article.language, status=article.status,
        note=f"restored revision {old.number}",
    ), author_id=author_id)
