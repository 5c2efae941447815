"""The editorial process: answers become draft articles, editors merge, publish or send back.

Text and revisions are `knowledge/`'s; this module adds the process around them — the link to the
source question and an event for every capture, merge, publish, send-back and flag — so process
memory shows how knowledge grew.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.messages import N_
from knowledge.articles import ArticleDraft, create_article, save_article
from knowledge.errors import InvalidArticle
from knowledge.language import detect_language
from knowledge.privacy import clean_for_article, personal_data
from knowledge.feedback import mark_complaints_handled, record_feedback
from knowledge.models import Article, ArticleRevision
from knowledge.revisions import accept_revision, propose_revision, reject_revision
from knowledge.search import SearchService
from routing.events import record_event
from routing.models import Event, Question, QuestionArticle
from routing.notifications import notify_user

TITLE_CHARS = 160


def capture_answer(session: Session, now: datetime, question: Question, *, actor_id: int | None) -> Article:
    """The answered question as a draft article, linked both ways to where it came from."""
    if question.status not in ("answered", "closed") or not question.answer:
        raise InvalidArticle(N_("Only an answered question can become an article."))
    existing = captured_article(session, question)
    if existing is not None:
        return existing
    # The customer's question (never the agent's note) gives the title; the answer loses its salutation and
    # signature; whatever may still identify someone is flagged for the editor to clear before publishing.
    asked, _ = clean_for_article(question.text)
    title = _title_from(asked or question.text)
    body, removed = clean_for_article(question.answer)
    article = create_article(session, now, ArticleDraft(
        title=title, body=body or question.answer,
        topic_slugs=(question.topic.slug,) if question.topic else (), audience="internal",
        language=detect_language(f"{title}\n{body}", default=question.language or "nl"), status="draft",
        # How much was taken off, not what: the salutation holds the customer's name, the history must not.
        note=f"captured from {question.reference}" + (
            f"; salutation and signature taken off ({len(removed)} lines)" if removed else ""),
    ), author_id=question.answered_by_id)
    flags = [f.line() for f in personal_data(f"{title}\n{body}")]
    article.privacy_flags = "\n".join(flags) or None
    session.add(QuestionArticle(question=question, article=article, relation="captured"))
    record_event(session, now, "captured_as_article", question=question, article_id=article.id, actor_id=actor_id)
    session.flush()
    return article


def captured_article(session: Session, question: Question) -> Article | None:
    return session.scalar(select(Article).join(QuestionArticle, QuestionArticle.article_id == Article.id).where(
        QuestionArticle.question_id == question.id, QuestionArticle.relation == "captured"))


def source_questions(session: Session, article: Article) -> list[Question]:
    """The questions an article was captured from or merged with: its other direction of the link."""
    return list(session.scalars(select(Question).join(QuestionArticle).where(
        QuestionArticle.article_id == article.id, QuestionArticle.relation.in_(("captured", "merged")))
        .order_by(Question.id)))


# Measured on the demo by bench/duplicate_threshold.py (title and body against published articles, real
# embedders): at 0.50 half of the suggestions share the draft's topic and about 0.7 are shown per draft; at
# 0.45 only 39 % do (nearly two per draft, the "unrelated at 41–52 %" editors saw); at 0.55 83 % do but
# most drafts get none. Below it an article is not offered for a merge.
DUPLICATE_THRESHOLD = 0.50


def possible_duplicates(session: Session, search: SearchService, article: Article, k: int = 5
                        ) -> list[tuple[Article, float]]:
    """Published articles alike enough to this one to merge into, as (article, similarity): only above
    DUPLICATE_THRESHOLD, those in the draft's language first, then by similarity."""
    found = search.similar_documents(f"{article.title}\n{article.body}", kinds=("article",), k=4 * k + 1)
    candidates = []
    for _, other_id, score in found:
        other = session.get(Article, other_id) if other_id != article.id else None
        if other is not None and other.status == "published" and score >= DUPLICATE_THRESHOLD:
            candidates.append((other, score))
    candidates.sort(key=lambda pair: (pair[0].language != article.language, -pair[1]))
    return candidates[:k]


def merge_into(session: Session, now: datetime, draft: Article, target: Article, *, editor_id: int,
               confirmed: bool = False) -> ArticleRevision:
    """Propose a draft's text as a pending revision of an existing article, for an editor to publish or reject.

    Nothing a reader sees changes here: the target keeps its text, status and audience (an internal draft
    merged into a public article stays unpublished until an editor publishes the revision and so chooses to
    show it). The draft is archived, its source questions linked to the target; a rejection brings it back.
    `confirmed` is the editor's explicit yes on the confirmation page: without it, nothing happens.
    """
    if draft.id == target.id:
        raise InvalidArticle(N_("An article cannot be merged into itself."))
    if target.status == "archived":
        raise InvalidArticle(N_("Merge into a live article, not an archived one."))
    _no_privacy_flags(draft)
    if not confirmed:
        raise InvalidArticle(N_("Confirm the merge first: check the proposed text on the confirmation page."))
    proposed = propose_revision(
        session, now, target, title=target.title, body=merged_text(draft, target), author_id=editor_id,
        note=f"merge of draft #{draft.id}: {draft.title[:200]}", merged_from=draft)
    save_article(session, now, draft, ArticleDraft(
        title=draft.title, body=draft.body, topic_slugs=tuple(t.slug for t in draft.topics), audience=draft.audience,
        language=draft.language, status="archived", note=f"merged into #{target.id} (pending revision {proposed.number})",
    ), author_id=editor_id)
    for question in source_questions(session, draft):
        session.add(QuestionArticle(question=question, article=target, relation="merged"))
    record_event(session, now, "merged", article_id=target.id, actor_id=editor_id, draft_id=draft.id,
                 revision=proposed.number)
    session.flush()
    return proposed


def merged_text(draft: Article, target: Article) -> str:
    """The target's text with what the draft adds appended (paragraphs the target already has are left out):
    what a merge proposes."""
    known = {" ".join(p.split()) for p in target.body.split("\n\n")}
    new = [p.strip() for p in draft.body.split("\n\n") if p.strip() and " ".join(p.split()) not in known]
    return f"{target.body.rstrip()}\n\n" + "\n\n".join(new) + "\n"


def publish_revision(session: Session, now: datetime, article: Article, proposed: ArticleRevision, *,
                     editor_id: int) -> Article:
    """An editor publishes a pending revision: only now does its text reach the article's readers."""
    accept_revision(session, now, article, proposed, editor_id=editor_id)
    record_event(session, now, "published", article_id=article.id, actor_id=editor_id, audience=article.audience,
                 revision=proposed.number)
    session.flush()
    return article


def reject_revision_of(session: Session, now: datetime, article: Article, proposed: ArticleRevision, *,
                       editor_id: int) -> Article:
    """An editor rejects a pending revision: the article stays; a merged draft comes back as a draft."""
    reject_revision(session, article, proposed)
    draft = session.get(Article, proposed.merged_from_id) if proposed.merged_from_id else None
    if draft is not None and draft.status == "archived":
        save_article(session, now, draft, ArticleDraft(
            title=draft.title, body=draft.body, topic_slugs=tuple(t.slug for t in draft.topics),
            audience=draft.audience, language=draft.language, status="draft",
            note=f"merge into #{article.id} rejected",
        ), author_id=editor_id)
    record_event(session, now, "sent_back", article_id=article.id, actor_id=editor_id,
                 comment=f"revision {proposed.number} rejected")
    session.flush()
    return article


def publish(session: Session, now: datetime, article: Article, *, editor_id: int, audience: str) -> Article:
    _no_privacy_flags(article)
    save_article(session, now, article, ArticleDraft(
        title=article.title, body=article.body, topic_slugs=tuple(t.slug for t in article.topics), audience=audience,
        language=article.language, status="published", note=f"published ({audience})",
    ), author_id=editor_id)
    article.flagged_at = None
    article.flag_reason = None
    article.review_comment = None
    mark_complaints_handled(session, now, article)  # reviewed and published again: what readers said is dealt with
    record_event(session, now, "published", article_id=article.id, actor_id=editor_id, audience=audience)
    session.flush()
    return article


def send_back(session: Session, now: datetime, article: Article, *, editor_id: int, comment: str) -> Article:
    if not (comment or "").strip():
        raise InvalidArticle(N_("Say what should change, so the writer knows."))
    save_article(session, now, article, ArticleDraft(
        title=article.title, body=article.body, topic_slugs=tuple(t.slug for t in article.topics),
        audience=article.audience, language=article.language, status="draft", note="sent back",
    ), author_id=editor_id)
    article.review_comment = comment.strip()
    record_event(session, now, "sent_back", article_id=article.id, actor_id=editor_id, comment=comment.strip())
    session.flush()
    return article


def readers_handled(session: Session, now: datetime, article: Article, *, editor_id: int) -> Article:
    """An editor read what readers said and dealt with it without a new text."""
    handled = mark_complaints_handled(session, now, article)
    if not handled:
        raise InvalidArticle(N_("No reader's comment is waiting on this article."))
    if article.flagged_at is not None and article.flag_reason and "readers" in article.flag_reason:
        article.flagged_at = None
        article.flag_reason = None
    record_event(session, now, "flagged", article_id=article.id, actor_id=editor_id, handled=handled,
                 reason="readers' comments handled")
    session.flush()
    return article


def give_feedback(session: Session, now: datetime, article: Article, *, helpful: bool, comment: str = "") -> None:
    if record_feedback(session, now, article, helpful=helpful, comment=comment):
        record_event(session, now, "flagged", article_id=article.id, reason=article.flag_reason)


def _title_from(text: str) -> str:
    """The question as a title: whole when it fits; else its first question sentence with as much of what
    comes before it as fits (the context that makes it readable); else cut at a word."""
    whole = " ".join(text.split())
    if len(whole) <= TITLE_CHARS:
        return whole
    sentences = re.split(r"(?<=[?.!])\s+", whole)
    asking = next((i for i, s in enumerate(sentences) if s.endswith("?") and len(s) <= TITLE_CHARS), None)
    if asking is not None:
        title = sentences[asking]
        for before in reversed(sentences[:asking]):
            if len(before) + 1 + len(title) > TITLE_CHARS:
                break
            title = f"{before} {title}"
        return title
    return whole[:TITLE_CHARS].rsplit(" ", 1)[0] + " …"


def privacy_flags(article: Article) -> list[str]:
    return [line for line in (article.privacy_flags or "").splitlines() if line.strip()]


def clear_privacy_flag(session: Session, now: datetime, article: Article, flag: str, *, editor_id: int) -> Article:
    """An editor has dealt with one finding (edited it out, or judged it is not personal): one flag less."""
    flags = privacy_flags(article)
    if flag not in flags:
        raise InvalidArticle(N_("That flag is not on this article (any more)."))
    flags.remove(flag)
    article.privacy_flags = "\n".join(flags) or None
    record_event(session, now, "flagged", article_id=article.id, actor_id=editor_id, cleared=flag)
    session.flush()
    return article


def _no_privacy_flags(article: Article) -> None:
    if privacy_flags(article):
        raise InvalidArticle(N_("This draft may still hold personal data: clear each flag (edit the text first) "
                                "before it is published or merged."))


def flag_articles_due_for_review(session: Session, now: datetime) -> list[int]:
    """Published articles past their review date are flagged once, and their owner is told."""
    due = session.scalars(select(Article).where(
        Article.status == "published", Article.review_by < now.date(), Article.flagged_at.is_(None))).all()
    for article in due:
        article.flagged_at = now
        article.flag_reason = f"past its review date ({article.review_by.isoformat()})"
        record_event(session, now, "flagged", article_id=article.id, reason=article.flag_reason)
        notify_user(session, now, "review_due", None, article.owner_id, article_id=article.id, title=article.title,
                    review_by=article.review_by.isoformat())
    session.flush()
    return [a.id for a in due]


def answer_ratings(session: Session, since: datetime) -> tuple[int, int]:
    """How customers rated the answers they got since `since`: (helpful, not helpful)."""
    payloads = session.scalars(select(Event.payload).where(Event.kind == "customer_rated", Event.at >= since)).all()
    helpful = sum(1 for p in payloads if p.get("helpful"))
    return helpful, len(payloads) - helpful
