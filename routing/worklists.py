"""The lists people work from: an expert's open questions, an agent's recent intake."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.messages import said
from knowledge.models import User
from knowledge.search import SearchHit, SearchService
from routing.models import OPEN_STATUSES, Question


def open_questions_of(session: Session, user_id: int) -> list[Question]:
    """Questions this person owns and still has to act on, the nearest promise first."""
    return list(session.scalars(
        select(Question)
        .where(Question.owner_id == user_id, Question.status.in_(OPEN_STATUSES))
        .order_by(Question.due_at.is_(None), Question.due_at, Question.id)
    ))


def questions_taken_in_by(session: Session, now: datetime, user_id: int, days: int = 7) -> list[Question]:
    return list(session.scalars(
        select(Question)
        .where(Question.taken_in_by_id == user_id, Question.created_at >= now - timedelta(days=days))
        .order_by(Question.created_at.desc())
        .limit(50)
    ))


def answered_question(session: Session, question_id: int) -> Question | None:
    question = session.get(Question, question_id)
    if question is None or question.status not in ("answered", "closed") or not question.answer:
        return None
    return question


def question_by_reference(session: Session, reference: str) -> Question | None:
    return session.scalar(select(Question).where(Question.reference == reference))


def similar_for(search: SearchService, question: Question, limit: int = 5) -> tuple[list[SearchHit], list[SearchHit]]:
    """Articles and previously answered questions like this one, to answer from or to learn from."""
    hits = search.search(question.text, public_only=False, limit=limit * 2 + 1)
    articles = [h for h in hits if h.kind == "article"][:limit]
    previous = [h for h in hits if h.kind == "question" and h.id != question.id][:limit]
    return articles, previous


@dataclass(frozen=True)
class ThreadEntry:
    """One step of a question as staff read it: when, what, who did it, to whom, and the words said."""
    at: datetime
    kind: str
    actor: str | None
    to: str | None
    words: str | None


# The steps staff follow a question by; the rest (views, searches) is process memory, not conversation.
THREAD_KINDS = ("received", "routed", "accepted", "forwarded", "escalated", "info_requested", "customer_replied",
                "answered", "answered_from_kb", "reopened", "closed", "customer_rated")


def question_thread(session: Session, question: Question) -> list[ThreadEntry]:
    """The whole thread of a question, whatever its state: routes, forwards with their reasons, what was asked
    of the customer and what they replied, the answer's moment, reopenings."""
    events = [e for e in question.events if e.kind in THREAD_KINDS]
    ids = {e.payload.get("to_user_id") for e in events if e.payload.get("to_user_id")}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [ThreadEntry(at=e.at, kind=e.kind, actor=e.actor.name if e.actor else None,
                        to=names.get(e.payload.get("to_user_id")),
                        words=e.payload.get("message") or said(e.payload, "reason") or e.payload.get("comment"))
            for e in events]
