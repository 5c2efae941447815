"""The promise to the customer: which policy applies, and the due time counted in business hours.

A promise made at 16:45 on a Friday for "8 business hours" falls due on Monday afternoon, not on
Saturday morning: customers are promised what the organisation can keep.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Topic
from routing.models import WEEKDAYS, RoutingPolicy

# Organisation opening hours, per weekday; days left out are closed.
DEFAULT_BUSINESS_HOURS = {day: (time(8, 30), time(17, 0)) for day in ("mon", "tue", "wed", "thu", "fri")}
DEFAULT_TIMEZONE = "Europe/Amsterdam"
# The promise when no policy says otherwise; also what the admin's policy form starts from.
DEFAULT_PROMISE = {"accept_within_minutes": 60, "answer_within_hours": 16, "escalate_before_minutes": 120}
# Urgent questions are promised four times sooner, low-priority ones twice as late.
PRIORITY_FACTOR = {"urgent": 0.25, "high": 0.5, "normal": 1.0, "low": 2.0}


@dataclass(frozen=True)
class Promise:
    accept_within: timedelta
    answer_within_business_hours: float
    escalate_before: timedelta
    coordinator_id: int | None


@dataclass(frozen=True)
class BusinessHours:
    week: dict[str, tuple[time, time]]
    zone: str = DEFAULT_TIMEZONE

    def add(self, start: datetime, hours: float) -> datetime:
        """`start` plus this many hours of opening time."""
        zone = ZoneInfo(self.zone)
        if not any(self.week.values()):
            raise ValueError("business hours have no open day")
        remaining = timedelta(hours=hours)
        day = start.astimezone(zone).date()
        while True:
            span = self.week.get(WEEKDAYS[day.weekday()])
            if span:
                opens = datetime.combine(day, span[0], zone).astimezone(timezone.utc)
                closes = datetime.combine(day, span[1], zone).astimezone(timezone.utc)
                begin = max(opens, start)
                if begin < closes:
                    if begin + remaining <= closes:
                        return begin + remaining
                    remaining -= closes - begin
            day += timedelta(days=1)


def promise_for(session: Session, topic: Topic | None, priority: str = "normal") -> Promise:
    """The topic's policy, else its parent's, else the organisation's default, else built-in defaults."""
    policies = {p.topic_id: p for p in session.scalars(select(RoutingPolicy))}
    node = topic
    while node is not None and node.id not in policies:
        node = node.parent
    policy = policies.get(node.id if node is not None else None) or RoutingPolicy(**DEFAULT_PROMISE)
    factor = PRIORITY_FACTOR.get(priority, 1.0)
    return Promise(accept_within=timedelta(minutes=policy.accept_within_minutes * factor),
                   answer_within_business_hours=policy.answer_within_hours * factor,
                   escalate_before=timedelta(minutes=policy.escalate_before_minutes * factor),
                   coordinator_id=policy.coordinator_id)


def due_at_for(now: datetime, promise: Promise, hours: BusinessHours) -> datetime:
    return hours.add(now, promise.answer_within_business_hours)


def set_policy(session: Session, *, topic_id: int | None, accept_within_minutes: int, answer_within_hours: int,
               escalate_before_minutes: int, coordinator_id: int | None) -> RoutingPolicy:
    """Create or change the policy of a topic (None: the organisation's default)."""
    policy = session.scalar(select(RoutingPolicy).where(
        RoutingPolicy.topic_id.is_(None) if topic_id is None else RoutingPolicy.topic_id == topic_id))
    if policy is None:
        policy = RoutingPolicy(topic_id=topic_id)
        session.add(policy)
    policy.accept_within_minutes = accept_within_minutes
    policy.answer_within_hours = answer_within_hours
    policy.escalate_before_minutes = escalate_before_minutes
    policy.coordinator_id = coordinator_id
    session.flush()
    return policy
