"""The timeline of one question, for staff: every event with names, reasons and the wait before each step.

Not a dashboard report (it has no filters and no CSV): the question's page draws it. Nothing here
knows about Flask.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.messages import N_, said
from routing.analytics.cohort import user_names
from routing.events import OWNER_KINDS
from routing.models import Event, Question

CUSTOMER_KINDS = ("customer_replied", "customer_viewed", "customer_rated", "mail_received", "customer_wrote")


@dataclass(frozen=True)
class TimelineStep:
    at: datetime
    kind: str
    actor: str  # a person's name, "customer" or "system"
    to: str | None  # for routed, forwarded, escalated: to whom
    note: str  # the reason or message that travelled with the step
    waited: timedelta | None  # since the previous step


@dataclass(frozen=True)
class Timeline:
    steps: tuple[TimelineStep, ...]
    route: tuple[str, ...]  # owners in order: who → who
    handoffs: int
    total: timedelta | None  # from the first event to the last


def question_timeline(session: Session, question: Question) -> Timeline:
    """Every event of the question, for staff: with names, reasons and the wait before each step."""
    events = session.scalars(select(Event).where(Event.question_id == question.id)
                             .order_by(Event.at, Event.id)).all()
    names = user_names(session, [e.actor_id for e in events] + [e.payload.get("to_user_id") for e in events])
    steps, route, previous = [], [], None
    for event in events:
        to_id = event.payload.get("to_user_id")
        if event.kind in OWNER_KINDS:
            route.append(names.get(to_id, "unknown"))
        steps.append(TimelineStep(
            at=event.at, kind=event.kind, actor=resource(event.kind, names.get(event.actor_id)),
            to=names.get(to_id, "nobody") if event.kind in OWNER_KINDS + ("escalated",) else None,
            note=said(event.payload, "reason") or event.payload.get("message") or "",
            waited=event.at - previous if previous else None))
        previous = event.at
    total = events[-1].at - events[0].at if events else None
    return Timeline(tuple(steps), tuple(route), max(len(route) - 1, 0), total)


def resource(kind: str, actor_name: str | None) -> str:
    """Who took a step, as the timeline and the event log name them: a person, "customer" or "system"."""
    if actor_name:
        return actor_name
    return N_("customer") if kind in CUSTOMER_KINDS else N_("system")

