"""Article history: compare any two revisions line by line, restore an old one as a new revision."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.articles import ArticleDraft, save_article
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
    before = [f"# {older.title}", ""] + older.body.splitlines()
    after = [f"# {newer.title}", ""] + newer.body.splitlines()
    lines = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(DiffLine("same", t) for t in before[i1:i2])
            continue
        lines.extend(DiffLine("removed", t) for t in before[i1:i2])
        lines.extend(DiffLine("added", t) for t in after[j1:j2])
    return lines


def restore_revision(session: Session, now: datetime, article: Article, old: ArticleRevision, *,
                     author_id: int | None) -> Article:
    """Bring back an old text as the newest revision; history is never rewritten."""
    return save_article(session, now, article, ArticleDraft(
        title=old.title, body=old.body, topic_slugs=tuple(t.slug for t in article.topics),
        audience=article.audience, language=article.language, status=article.status,
        note=f"restored revision {old.number}",
    ), author_id=author_id)
