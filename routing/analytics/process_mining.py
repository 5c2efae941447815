"""The event log for process-mining tools: one row per question event (case, activity, timestamp, resource).

Serves GET /api/v1/events (incremental pulls by event id) and the CSV export of the events of the
questions received in a period. Nothing here knows about Flask.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from knowledge.models import Topic, User
from routing.analytics.cohort import Filters, in_cohort
from routing.analytics.timeline import resource
from routing.events import OWNER_KINDS
from routing.models import Event, Question

EVENT_LOG_COLUMNS = ("case_id", "activity", "timestamp", "resource", "event_id", "topic", "channel", "to_resource")


@dataclass(frozen=True)
class LoggedEvent:
    """One row of the event log: case id (the question's reference), activity (the event kind),
    timestamp (UTC), resource (who did it: a name, "customer" or "system"), plus context."""

    case_id: str
    activity: str
    timestamp: datetime
    resource: str
    event_id: int
    topic: str | None
    channel: str
    to_resource: str | None

    def as_row(self) -> tuple:
        return (self.case_id, self.activity, iso_utc(self.timestamp), self.resource, self.event_id,
                self.topic or "", self.channel, self.to_resource or "")


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_log(session: Session, *, since: datetime | None = None, after_id: int = 0, limit: int | None = None,
              filters: Filters | None = None, batch: int = 5000) -> Iterator[LoggedEvent]:
    """Question events in id order (a stable cursor for incremental pulls), streamed in batches.

    `since`/`after_id`/`limit` serve the API (events recorded at or after `since`); `filters` serves the
    CSV export (every event of the questions received in the period: whole cases, as miners need)."""
    actor, to = User.__table__.alias("actor"), User.__table__.alias("to_user")
    to_id = Event.payload["to_user_id"].as_integer()
    query = (
        select(Event.id, Question.reference, Event.kind, Event.at, actor.c.name, Topic.slug, Question.channel,
               to.c.name)
        .join(Question, Question.id == Event.question_id)
        .outerjoin(Topic, Topic.id == Question.topic_id)
        .outerjoin(actor, actor.c.id == Event.actor_id)
        .outerjoin(to, and_(Event.kind.in_(OWNER_KINDS + ("escalated",)), to.c.id == to_id))
        .where(Event.id > after_id)
        .order_by(Event.id))
    if since is not None:
        query = query.where(Event.at >= since)
    if filters is not None:
        query = query.where(*in_cohort(session, filters))
    if limit is not None:
        query = query.limit(limit)
    for event_id, reference, kind, at, actor_name, slug, channel, to_name in (
            session.execute(query.execution_options(yield_per=batch))):
        yield LoggedEvent(reference, kind, at, resource(kind, actor_name), event_id, slug, channel, to_name)
