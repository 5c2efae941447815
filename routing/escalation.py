"""Deadlines that act by themselves: no question waits without an owner or an alarm.

Three rules, checked every minute by the background scheduler:
1. the owner is absent, away or gone → re-route to the next best expert;
2. not accepted within the policy's window → re-route to the next best expert;
3. the promise is about to break → alarm the topic's coordinator (and the owner).

Each rule changes the question, so the question's version column makes it fire exactly once even
when several processes run the scheduler: the second process to act fails its update and skips.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from knowledge.search import SearchService
from routing.availability import availability_of
from routing.errors import RoutingError
from routing.events import record_event
from routing.models import Question
from routing.notifications import notify_user
from routing.routing import route_question
from routing.sla import BusinessHours, promise_for

WORKING_STATUSES = ("routed", "accepted", "reopened")
log = logging.getLogger(__name__)


@dataclass
class EscalationReport:
    rerouted_absent: list[str] = field(default_factory=list)
    rerouted_not_accepted: list[str] = field(default_factory=list)
    alarmed: list[str] = field(default_factory=list)
    lost_races: int = 0
    failed: list[str] = field(default_factory=list)


def run_escalations(session: Session, now: datetime, *, search: SearchService | None,
                    hours: BusinessHours) -> EscalationReport:
    """One pass over the open questions; each question is handled (and committed) on its own."""
    report = EscalationReport()
    ids = session.scalars(select(Question.id).where(Question.status.in_(WORKING_STATUSES))
                          .order_by(Question.due_at)).all()
    for question_id in ids:
        try:
            outcome = _escalate_one(session, now, question_id, search=search, hours=hours)
            session.commit()
        except StaleDataError:  # another process handled this question first
            session.rollback()
            report.lost_races += 1
            continue
        except RoutingError:  # e.g. nobody left to hand it to: retried next round, the others go on
            session.rollback()
            log.exception("escalating question %s failed", question_id)
            report.failed.append(session.get(Question, question_id).reference)
            continue
        if outcome:
            kind, reference = outcome
            getattr(report, kind).append(reference)
    return report


def _escalate_one(session: Session, now: datetime, question_id: int, *, search, hours):
    question = session.get(Question, question_id, populate_existing=True)
    if question is None or question.status not in WORKING_STATUSES:
        return None
    owner = question.owner
    if owner is None or not owner.active or not _can_work(session, now, question):
        who = owner.name if owner else "nobody"
        route_question(session, now, question, search=search, hours=hours, actor_id=None,
                       exclude=frozenset([owner.id]) if owner else frozenset(),
                       reason=f"{who} is not available: handed on")
        return "rerouted_absent", question.reference
    promise = promise_for(session, question.topic, question.priority)
    if question.status == "routed" and question.routed_at and now - question.routed_at > promise.accept_within:
        minutes = int(promise.accept_within.total_seconds() // 60)
        route_question(session, now, question, search=search, hours=hours, actor_id=None,
                       exclude=frozenset([owner.id]),
                       reason=f"not accepted within {minutes} minutes: handed on")
        return "rerouted_not_accepted", question.reference
    if question.due_at and question.escalated_at is None and now >= question.due_at - promise.escalate_before:
        question.escalated_at = now
        question.updated_at = now
        to = promise.coordinator_id
        record_event(session, now, "escalated", question=question, to_user_id=to, due_at=question.due_at.isoformat(),
                     reason="the promised time is near")
        notify_user(session, now, "escalated", question, to)
        if to != owner.id:
            notify_user(session, now, "escalated", question, owner.id)
        session.flush()
        return "alarmed", question.reference
    return None


def _can_work(session: Session, now: datetime, question: Question) -> bool:
    """Absent or marked away means the question must move; a full inbox does not (they have it already)."""
    availability = availability_of(session, [question.owner_id], now, question.due_at or now)[question.owner_id]
    return not availability.absent_now and availability.presence != "away"
