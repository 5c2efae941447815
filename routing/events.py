"""The one place that writes process memory, and the guard that keeps it append-only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from routing.models import EVENT_KINDS, Event, Question


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to change or delete a recorded event."""


def record_event(session: Session, now: datetime, kind: str, *, question: Question | None = None,
                 article_id: int | None = None, actor_id: int | None = None, **payload) -> Event:
    """Append one step to the process memory; `payload` holds what the step needs to be replayed."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if question is None and article_id is None:
        raise ValueError("an event belongs to a question or an article")
    ev = Event(question=question, article_id=article_id, at=now, actor_id=actor_id, kind=kind, payload=payload)
    session.add(ev)
    return ev


@event.listens_for(Session, "before_flush")
def _refuse_event_changes(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, Event) and session.is_modified(obj):
            raise AppendOnlyViolation("events are append-only; record a new event instead")
    for obj in session.deleted:
        if isinstance(obj, Event):
            raise AppendOnlyViolation("events are never deleted")
