"""Who hears about what, by e-mail: the expert on assignment and escalation, the customer when we
need information and when the answer is there.

This module only decides and records (the outbox); the web layer renders and sends the messages.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from knowledge.messages import with_said
from knowledge.models import User
from routing.models import Notification, Question

KINDS = ("received", "assigned", "escalated", "info_requested", "answered", "review_due")
CLAIM_EXPIRES = timedelta(minutes=5)  # a sender that died mid-send: another may try after this
MAX_ATTEMPTS = 8


def notify(session: Session, now: datetime, kind: str, question: Question | None, to_email: str | None,
           **payload) -> Notification | None:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not to_email:
        return None  # a customer who left no address is told on the phone or the tracking page
    note = Notification(kind=kind, to_email=to_email, question=question, payload=with_said(payload), created_at=now)
    session.add(note)
    return note


def notify_user(session: Session, now: datetime, kind: str, question: Question | None, user_id: int | None,
                **payload) -> Notification | None:
    user = session.get(User, user_id) if user_id else None
    return notify(session, now, kind, question, user.email if user and user.active else None, **payload)


def claim_pending(session: Session, now: datetime, limit: int = 20) -> list[Notification]:
    """Claim unsent notifications for this sender; a row claimed by another sender is skipped."""
    candidates = session.scalars(
        select(Notification.id).where(
            Notification.sent_at.is_(None), Notification.attempts < MAX_ATTEMPTS,
            or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - CLAIM_EXPIRES))
        .order_by(Notification.id).limit(limit)).all()
    claimed = []
    for note_id in candidates:
        won = session.execute(
            update(Notification).where(
                Notification.id == note_id, Notification.sent_at.is_(None),
                or_(Notification.claimed_at.is_(None), Notification.claimed_at < now - CLAIM_EXPIRES))
            .values(claimed_at=now, attempts=Notification.attempts + 1)).rowcount
        if won:
            claimed.append(note_id)
    session.commit()
    return list(session.scalars(select(Notification).where(Notification.id.in_(claimed)))) if claimed else []


def mark_sent(session: Session, note: Notification, now: datetime) -> None:
    note.sent_at = now
    note.payload = {}  # the tracking token in an intake message is not kept once delivered
    note.last_error = None


def mark_failed(session: Session, note: Notification, error: str) -> None:
    note.claimed_at = None
    note.last_error = error[:500]
