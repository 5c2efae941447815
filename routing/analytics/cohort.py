"""Which questions a figure counts, and the small measures every report shares.

- **Cohort.** A question belongs to a period when it was *received* in it (`Question.created_at`, the
  time of its `received` event), so each question is counted once, with its whole route. Days and weeks
  are calendar days/weeks (weeks start on Monday) in the organisation's time zone (`Period.timezone`).
  The topic filter takes the topic and its subtopics; the channel filter is `Question.channel`.
- Times are whole seconds. **Median** is the middle value (the mean of the two middle values for an
  even count); **p90** is the nearest-rank 90th percentile (the value at rank ⌈0.9·n⌉ in ascending order).

Nothing here knows about Flask or about any one report.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from knowledge.messages import N_
from knowledge.models import Topic, User
from routing.models import Question


# --- periods and filters -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Calendar days from `first_day` to `last_day` inclusive, read in `timezone`."""

    first_day: date
    last_day: date
    timezone: str = "UTC"

    def __post_init__(self):
        if self.last_day < self.first_day:
            raise ValueError("The period ends before it starts.")

    @classmethod
    def last_weeks(cls, today: date, weeks: int = 12, timezone: str = "UTC") -> Period:
        return cls(today - timedelta(days=7 * weeks - 1), today, timezone)

    def midnight(self, day: date) -> datetime:
        """The UTC instant a local day starts."""
        return datetime.combine(day, time(0), ZoneInfo(self.timezone)).astimezone(timezone.utc)

    @property
    def start(self) -> datetime:
        return self.midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """Exclusive: the start of the day after the last."""
        return self.midnight(self.last_day + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    @property
    def weeks(self) -> list[date]:
        """The Monday of every week that overlaps the period."""
        monday = self.first_day - timedelta(days=self.first_day.weekday())
        return [monday + timedelta(weeks=n) for n in range((self.last_day - monday).days // 7 + 1)]


@dataclass(frozen=True)
class Filters:
    period: Period
    topic_id: int | None = None
    channel: str | None = None


def in_cohort(session: Session, filters: Filters, table=Question) -> list:
    """The WHERE clauses that select the questions received in the period, of the topic and channel:
    on `Question`, or on a derived table that carries the question's cohort (`QuestionFacts`, `StepWait`)."""
    period = filters.period
    received = Question.created_at if table is Question else table.received_at
    return [received >= period.start, received < period.end, *topic_and_channel(session, filters, table)]


def topic_and_channel(session: Session, filters: Filters, table) -> list:
    """The WHERE clauses of the topic (with its subtopics) and channel filters alone, on `table`."""
    clauses = []
    if filters.topic_id is not None:
        clauses.append(table.topic_id.in_(_topic_and_subtopics(session, filters.topic_id)))
    if filters.channel:
        clauses.append(table.channel == filters.channel)
    return clauses


def _topic_and_subtopics(session: Session, topic_id: int) -> list[int]:
    children = defaultdict(list)
    for child_id, parent_id in session.execute(select(Topic.id, Topic.parent_id)):
        children[parent_id].append(child_id)
    found, todo = [], [topic_id]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children[current])
    return found


# --- times ----------------------------------------------------------------------------------------------

class epoch_seconds(FunctionElement):
    """Seconds since 1970 (rounded to whole seconds) of a stored (naive UTC) time, computed by the
    database itself, so durations are plain integer subtraction on both SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # julianday is several times cheaper than strftime('%s') per row; rounding absorbs its float error
    return f"CAST(ROUND((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    return f"CAST(ROUND(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def epoch(moment: datetime) -> int:
    """The whole seconds since 1970 of an aware time, as `epoch_seconds` gives them for a stored one."""
    return round(moment.timestamp())


def p90_rank(count: int) -> int:
    """The nearest rank of the 90th percentile among `count` values: ⌈0.9·count⌉, counting from 1."""
    return -(-9 * count // 10)


@dataclass(frozen=True)
class Times:
    """Durations in seconds."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[int]) -> Times:
        ordered = sorted(values)
        n = len(ordered)
        if not n:
            return cls(0, None, None)
        middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        return cls(n, middle, ordered[p90_rank(n) - 1])


# --- shares and names -----------------------------------------------------------------------------------

def share_of(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def topic_names(session: Session) -> dict[int | None, str]:
    topics = session.scalars(select(Topic)).all()
    names = {t.id: t.path for t in topics}
    names[None] = N_("(no topic)")
    return names


def user_names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
