"""Process analytics: what the organisation learns from the routes its questions took.

Every figure is computed from the append-only events (plus the question's channel, topic, status and
promise), with SQL aggregates doing the heavy lifting: a page never loads the event table into Python,
only one row per question, per route step or per group. Functions take a session and `Filters` (and
`now` where open questions count) and return frozen dataclasses; nothing here knows about Flask.

Definitions (the numbers on the dashboard mean exactly this):

- **Cohort.** A question belongs to a period when it was *received* in it (`Question.created_at`, the
  time of its `received` event), so each question is counted once, with its whole route. Days and weeks
  are calendar days/weeks (weeks start on Monday) in the organisation's time zone (`Period.timezone`).
  The topic filter takes the topic and its subtopics; the channel filter is `Question.channel`.
- **First response**: the first `accepted`, `answered`, `answered_from_kb` or `info_requested` event
  after `received`. **Time to answer**: `received` → the first `answered` or `answered_from_kb`.
  Times are whole seconds. **Median** is the middle value (the mean of the two middle values for an
  even count); **p90** is the nearest-rank 90th percentile (the value at rank ⌈0.9·n⌉ in ascending order).
- **SLA.** Only questions with a promise (`due_at`) count. Answered (status not open): *met* when
  `answered_at <= due_at`, else *breached*. Open: *breached* when `now > due_at`, else *pending*; a
  question waiting for the customer is always pending (its clock is paused, `due_at` moves on reply).
  Compliance = met / (met + breached).
- **Re-routes**: `routed` events after the first `routed`. **Forwards**: `forwarded` events.
  **Escalations**: `escalated` events. **Handoffs** = re-routes + forwards, i.e. `routed` and
  `forwarded` events after the first `routed`; the handoff distribution counts questions routed at least once.
- **Route**: the owners in order, the `to_user_id` of every `routed`/`forwarded` event. The most common
  routes are those with at least one handoff (a route of one person is not a route worth drawing).
- **Waiting time between steps**: the time between consecutive process steps of a question (`received`,
  `answered_from_kb`, `routed`, `accepted`, `forwarded`, `escalated`, `info_requested`,
  `customer_replied`, `answered`, `closed`, `reopened`; views, searches, ratings and captures are not
  steps). "Where questions wait" is the mean and p90 of those times per transition (e.g. routed → accepted).
- **First-contact resolution** per channel: the share of questions with an `answered_from_kb` event.
- **Self-service deflection**: public searches (role `public`) in the period that did not end in a
  question (`SearchLog.question_id` is NULL), over all public searches in the period. Searches have no
  topic and customers have no channel, so only the period applies to deflection and to zero-result queries.
- **Knowledge gaps**: the most frequent zero-result queries (case-insensitive, any searcher), and topics
  with routed questions in the period but no published article on that topic.
- **Expert load**: for each day, the open questions each expert owns at the end of that day (at `now`
  for today), replayed from `routed`/`forwarded` (owner changes), `answered`/`answered_from_kb`/`closed`
  (no longer open) and `reopened` (open again, with the expert who answered) events, against
  `ExpertStatus.capacity` (5 when an expert has no status row, as routing assumes).
"""
from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, exists, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from knowledge.models import Article, Topic, User, UserRole, article_topics
from routing.models import OPEN_STATUSES, Event, ExpertStatus, Question, SearchLog

RESPONSE_KINDS = ("accepted", "answered", "answered_from_kb", "info_requested")
ANSWER_KINDS = ("answered", "answered_from_kb")
OWNER_KINDS = ("routed", "forwarded")
STEP_KINDS = ("received", "answered_from_kb", "routed", "accepted", "forwarded", "escalated", "info_requested",
              "customer_replied", "answered", "closed", "reopened")
LOAD_KINDS = ("routed", "forwarded", "answered", "answered_from_kb", "closed", "reopened")
CUSTOMER_KINDS = ("customer_replied", "customer_viewed", "customer_rated")
DEFAULT_CAPACITY = ExpertStatus.__table__.c.capacity.default.arg
HANDOFF_BINS = ("0", "1", "2", "3", "4", "5+")
TOP = 10


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


def _epoch(moment: datetime) -> int:
    return round(moment.timestamp())


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


def _cohort(session: Session, filters: Filters) -> list:
    """The WHERE clauses that select the questions received in the period, of the topic and channel."""
    period = filters.period
    clauses = [Question.created_at >= period.start, Question.created_at < period.end]
    if filters.topic_id is not None:
        clauses.append(Question.topic_id.in_(_topic_and_subtopics(session, filters.topic_id)))
    if filters.channel:
        clauses.append(Question.channel == filters.channel)
    return clauses


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[-(-9 * len(ordered) // 10) - 1]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _topic_names(session: Session) -> dict[int | None, str]:
    topics = session.scalars(select(Topic)).all()
    names = {t.id: t.path for t in topics}
    names[None] = "(no topic)"
    return names


def _user_names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# --- 1. the timeline of one question --------------------------------------------------------------------

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
    names = _user_names(session, [e.actor_id for e in events] + [e.payload.get("to_user_id") for e in events])
    steps, route, previous = [], [], None
    for event in events:
        to_id = event.payload.get("to_user_id")
        if event.kind in OWNER_KINDS:
            route.append(names.get(to_id, "unknown"))
        steps.append(TimelineStep(
            at=event.at, kind=event.kind, actor=_resource(event.kind, names.get(event.actor_id)),
            to=names.get(to_id, "nobody") if event.kind in OWNER_KINDS + ("escalated",) else None,
            note=str(event.payload.get("reason") or event.payload.get("message") or ""),
            waited=event.at - previous if previous else None))
        previous = event.at
    total = events[-1].at - events[0].at if events else None
    return Timeline(tuple(steps), tuple(route), max(len(route) - 1, 0), total)


def _resource(kind: str, actor_name: str | None) -> str:
    if actor_name:
        return actor_name
    return "customer" if kind in CUSTOMER_KINDS else "system"


# --- 2a. response times, SLA, escalations per topic and per week ---------------------------------------

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
        return cls(n, middle, ordered[-(-9 * n // 10) - 1])


@dataclass(frozen=True)
class Sla:
    met: int
    breached: int
    pending: int

    @property
    def compliance(self) -> float | None:
        return _share(self.met, self.met + self.breached)


@dataclass(frozen=True)
class TopicFigures:
    topic_id: int | None
    topic: str
    questions: int
    first_response: Times
    answer: Times
    sla: Sla
    escalations: int
    reroutes: int
    forwards: int


@dataclass(frozen=True)
class WeekFigures:
    week: date  # Monday
    questions: int
    first_response: Times
    answer: Times
    sla: Sla


@dataclass(frozen=True)
class Breach:
    question_id: int
    reference: str
    topic: str
    due_at: datetime
    answered_at: datetime | None  # None: still open
    late: timedelta


@dataclass(frozen=True)
class Overview:
    total: TopicFigures
    topics: tuple[TopicFigures, ...]  # most questions first
    weeks: tuple[WeekFigures, ...]
    breaches: tuple[Breach, ...]  # the latest first, at most 20


@dataclass(frozen=True)
class _Facts:
    """One question's figures, as the database aggregated them from its events."""

    id: int
    reference: str
    topic_id: int | None
    status: str
    received: int
    first_response: int | None
    first_answer: int | None
    due: int | None
    answered: int | None
    routed: int
    forwarded: int
    escalated: int

    def sla(self, now: int) -> str | None:
        """met, breached, pending, or None without a promise (see the module docstring)."""
        if self.due is None:
            return None
        if self.status in OPEN_STATUSES:
            if self.status == "waiting_for_customer":
                return "pending"
            return "breached" if now > self.due else "pending"
        if self.answered is None:
            return None
        return "met" if self.answered <= self.due else "breached"


def _question_facts(session: Session, filters: Filters) -> list[_Facts]:
    def first(kinds):
        return epoch_seconds(func.min(case((Event.kind.in_(kinds), Event.at))))

    def number(kind):
        return func.sum(case((Event.kind == kind, 1), else_=0))

    query = (
        select(Question.id, Question.reference, Question.topic_id, Question.status,
               epoch_seconds(Question.created_at), first(RESPONSE_KINDS), first(ANSWER_KINDS),
               epoch_seconds(Question.due_at), epoch_seconds(Question.answered_at),
               number("routed"), number("forwarded"), number("escalated"))
        .join(Event, and_(Event.question_id == Question.id,
                          Event.kind.in_(RESPONSE_KINDS + ("routed", "forwarded", "escalated"))), isouter=True)
        .where(*_cohort(session, filters))
        .group_by(Question.id)
    )
    return [_Facts(*row) for row in session.execute(query)]


def _figures(topic_id, topic: str, facts: Sequence[_Facts], now: int) -> TopicFigures:
    return TopicFigures(
        topic_id=topic_id, topic=topic, questions=len(facts),
        first_response=_times(facts, "first_response"), answer=_times(facts, "first_answer"),
        sla=_sla(facts, now),
        escalations=sum(f.escalated for f in facts),
        reroutes=sum(max(f.routed - 1, 0) for f in facts),
        forwards=sum(f.forwarded for f in facts))


def _times(facts: Sequence[_Facts], attribute: str) -> Times:
    if attribute == "first_response":
        return Times.of([f.first_response - f.received for f in facts if f.first_response is not None])
    return Times.of([f.first_answer - f.received for f in facts if f.first_answer is not None])


def _sla(facts: Sequence[_Facts], now: int) -> Sla:
    outcomes = Counter(f.sla(now) for f in facts)
    return Sla(outcomes["met"], outcomes["breached"], outcomes["pending"])


def overview(session: Session, filters: Filters, now: datetime) -> Overview:
    """Time to first response and to answer, SLA, escalations and re-routes: per topic and per week."""
    facts = _question_facts(session, filters)
    now_s = _epoch(now)
    names = _topic_names(session)

    by_topic = defaultdict(list)
    for f in facts:
        by_topic[f.topic_id].append(f)
    topics = sorted((_figures(tid, names.get(tid, "?"), group, now_s) for tid, group in by_topic.items()),
                    key=lambda t: (-t.questions, t.topic))

    mondays = filters.period.weeks
    starts = [_epoch(filters.period.midnight(monday)) for monday in mondays]
    by_week = defaultdict(list)
    for f in facts:
        by_week[bisect_right(starts, f.received) - 1].append(f)
    weeks = tuple(WeekFigures(monday, len(by_week[i]), _times(by_week[i], "first_response"),
                              _times(by_week[i], "first_answer"), _sla(by_week[i], now_s))
                  for i, monday in enumerate(mondays))

    breaches = []
    for f in facts:
        if f.sla(now_s) == "breached":
            late_until = f.answered if f.status not in OPEN_STATUSES else now_s
            breaches.append(Breach(f.id, f.reference, names.get(f.topic_id, "?"), _moment(f.due),
                                   _moment(f.answered) if f.status not in OPEN_STATUSES else None,
                                   timedelta(seconds=late_until - f.due)))
    breaches.sort(key=lambda b: (b.answered_at or now, b.question_id), reverse=True)
    return Overview(_figures(None, "All topics", facts, now_s), tuple(topics), weeks, tuple(breaches[:20]))


def _moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


# --- 2b. handoffs, routes, waits -----------------------------------------------------------------------

@dataclass(frozen=True)
class RouteCount:
    owners: tuple[str, ...]
    questions: int


@dataclass(frozen=True)
class Wait:
    """Seconds spent between two kinds of step."""

    after: str
    before: str
    count: int
    mean: float
    p90: int


@dataclass(frozen=True)
class Flow:
    routed_questions: int
    handoffs: tuple[tuple[str, int], ...]  # ("0", n), ("1", n), … ("5+", n)
    mean_handoffs: float | None
    routes: tuple[RouteCount, ...]  # the most common routes with at least one handoff
    waits: tuple[Wait, ...]  # longest mean wait first


def flow(session: Session, filters: Filters) -> Flow:
    """How questions travel: how often they change hands, along which routes, and where they wait."""
    cohort = _cohort(session, filters)
    owners = session.execute(
        select(Event.question_id, Event.payload["to_user_id"].as_integer())
        .join(Question, Question.id == Event.question_id)
        .where(Event.kind.in_(OWNER_KINDS), *cohort)
        .order_by(Event.question_id, Event.at, Event.id))
    routes: dict[int, list[int]] = defaultdict(list)
    for question_id, to_user_id in owners:
        routes[question_id].append(to_user_id)

    handoffs = Counter(min(len(route) - 1, 5) for route in routes.values())
    common = Counter(tuple(route) for route in routes.values() if len(route) > 1).most_common()
    common.sort(key=lambda item: (-item[1], item[0]))
    names = _user_names(session, {owner for route, _ in common[:TOP] for owner in route})
    return Flow(
        routed_questions=len(routes),
        handoffs=tuple((label, handoffs[n]) for n, label in enumerate(HANDOFF_BINS)),
        mean_handoffs=_share(sum(len(r) - 1 for r in routes.values()), len(routes)),
        routes=tuple(RouteCount(tuple(names.get(o, "unknown") for o in route), n) for route, n in common[:TOP]),
        waits=_waits(session, cohort))


def _waits(session: Session, cohort: list) -> tuple[Wait, ...]:
    """Consecutive steps of each question paired in one ordered pass, then mean and nearest-rank p90
    per pair. Window functions (LAG, then ranking) would say the same, but SQLite needs three sorts of
    every step for them; this reads one narrow, index-ordered column set instead."""
    # IN (cohort) rather than a join: both planners then walk the events per question in time order
    rows = session.execute(
        select(Event.question_id, Event.kind, epoch_seconds(Event.at))
        .where(Event.kind.in_(STEP_KINDS), Event.question_id.in_(select(Question.id).where(*cohort)))
        .order_by(Event.question_id, Event.at, Event.id))
    gaps: dict[tuple[str, str], list[int]] = defaultdict(list)
    previous_question = previous_kind = previous_at = None
    for question_id, kind, at in rows:
        if question_id == previous_question:
            gaps[(previous_kind, kind)].append(at - previous_at)
        previous_question, previous_kind, previous_at = question_id, kind, at
    waits = [Wait(after, before, len(values), sum(values) / len(values), p90(values))
             for (after, before), values in gaps.items()]
    return tuple(sorted(waits, key=lambda w: (-w.mean, w.after, w.before)))


# --- 2c. first-contact resolution, deflection, knowledge gaps -------------------------------------------

@dataclass(frozen=True)
class ChannelResolution:
    channel: str
    questions: int
    answered_from_kb: int

    @property
    def share(self) -> float | None:
        return _share(self.answered_from_kb, self.questions)


@dataclass(frozen=True)
class Deflection:
    public_searches: int
    without_question: int

    @property
    def share(self) -> float | None:
        return _share(self.without_question, self.public_searches)


@dataclass(frozen=True)
class GapQuery:
    query: str
    searches: int
    last_searched: datetime


@dataclass(frozen=True)
class UncoveredTopic:
    topic_id: int
    slug: str
    topic: str
    routed_questions: int


@dataclass(frozen=True)
class SelfService:
    channels: tuple[ChannelResolution, ...]
    total: ChannelResolution
    deflection: Deflection
    zero_result_queries: tuple[GapQuery, ...]
    uncovered_topics: tuple[UncoveredTopic, ...]


def self_service(session: Session, filters: Filters, *, limit: int = 20) -> SelfService:
    """What the knowledge base resolves by itself, and where it is missing something."""
    cohort = _cohort(session, filters)
    asked = dict(session.execute(select(Question.channel, func.count()).where(*cohort).group_by(Question.channel)).all())
    from_kb = dict(session.execute(
        select(Question.channel, func.count(func.distinct(Question.id)))
        .join(Event, Event.question_id == Question.id)
        .where(Event.kind == "answered_from_kb", *cohort).group_by(Question.channel)).all())
    channels = tuple(ChannelResolution(channel, n, from_kb.get(channel, 0)) for channel, n in
                     sorted(asked.items(), key=lambda item: (-item[1], item[0])))
    total = ChannelResolution("all channels", sum(asked.values()), sum(from_kb.values()))

    period = filters.period
    searched = [SearchLog.at >= period.start, SearchLog.at < period.end]
    public, without_question = session.execute(
        select(func.count(), func.count(case((SearchLog.question_id.is_(None), 1))))
        .where(SearchLog.role == "public", *searched)).one()

    query = func.lower(SearchLog.query)
    gaps = session.execute(
        select(query, func.count(), func.max(SearchLog.at))
        .where(SearchLog.result_count == 0, *searched)
        .group_by(query).order_by(func.count().desc(), query).limit(limit))

    published_on_topic = exists().where(article_topics.c.topic_id == Question.topic_id,
                                        article_topics.c.article_id == Article.id,
                                        Article.status == "published")
    routed = func.count(func.distinct(Question.id)).label("routed")
    uncovered = session.execute(
        select(Topic.id, Topic.slug, routed)
        .join(Question, Question.topic_id == Topic.id)
        .join(Event, and_(Event.question_id == Question.id, Event.kind == "routed"))
        .where(*cohort, ~published_on_topic)
        .group_by(Topic.id, Topic.slug)
        .order_by(routed.desc(), Topic.slug).limit(limit)).all()
    names = _topic_names(session) if uncovered else {}
    return SelfService(
        channels=channels, total=total, deflection=Deflection(public, without_question),
        zero_result_queries=tuple(GapQuery(q, n, at) for q, n, at in gaps),
        uncovered_topics=tuple(UncoveredTopic(tid, slug, names[tid], n) for tid, slug, n in uncovered))


# --- 2d. expert load against capacity -------------------------------------------------------------------

@dataclass(frozen=True)
class ExpertLoad:
    user_id: int
    name: str
    capacity: int
    daily: tuple[int, ...]  # open questions owned at the end of each day of the period

    @property
    def peak(self) -> int:
        return max(self.daily, default=0)

    @property
    def mean(self) -> float:
        return sum(self.daily) / len(self.daily) if self.daily else 0.0

    @property
    def days_at_capacity(self) -> int:
        """Days ending with the expert at or over capacity: routing passes them by then."""
        return sum(1 for n in self.daily if n >= self.capacity)


@dataclass(frozen=True)
class Load:
    days: tuple[date, ...]
    total: tuple[int, ...]  # all experts together, per day
    capacity: int  # all active experts together
    experts: tuple[ExpertLoad, ...]  # highest peak first


def expert_load(session: Session, filters: Filters, now: datetime) -> Load:
    """Each expert's open questions at the end of every day, replayed from the ownership events."""
    period = filters.period
    days = tuple(d for d in period.days if period.midnight(d) <= now)
    snapshots = [min(_epoch(period.midnight(d + timedelta(days=1))), _epoch(now)) for d in days]
    # A question counts if it could have been open in the period: received before its end, and still
    # open now or changed after its start (closing it is a change).
    cohort = [Question.created_at < period.end,
              Question.status.in_(OPEN_STATUSES) | (Question.updated_at >= period.start)]
    if filters.topic_id is not None:
        cohort.append(Question.topic_id.in_(_topic_and_subtopics(session, filters.topic_id)))
    if filters.channel:
        cohort.append(Question.channel == filters.channel)
    rows = session.execute(
        select(Event.question_id, Event.kind, epoch_seconds(Event.at), Event.actor_id,
               Event.payload["to_user_id"].as_integer())
        .join(Question, Question.id == Event.question_id)
        .where(Event.kind.in_(LOAD_KINDS), Event.at < period.end, *cohort)
        .order_by(Event.question_id, Event.at, Event.id))

    # Per expert, +1/-1 at the first and past the last snapshot their ownership of a question covers.
    changes: dict[int, list[int]] = defaultdict(lambda: [0] * (len(days) + 1))

    def owned(owner, since, until):
        if owner is None:
            return
        first = bisect_left(snapshots, since)
        past = bisect_left(snapshots, until) if until is not None else len(days)
        if first < past:
            changes[owner][first] += 1
            changes[owner][past] -= 1

    current, owner, opened, answerer, since = None, None, True, None, 0
    for question_id, kind, at, actor_id, to_user_id in rows:
        if question_id != current:
            if current is not None and opened:
                owned(owner, since, None)
            current, owner, opened, answerer, since = question_id, None, True, None, at
        if kind in OWNER_KINDS:
            if opened:
                owned(owner, since, at)
            owner, since = to_user_id, at
        elif kind in ANSWER_KINDS + ("closed",):
            if opened:
                owned(owner, since, at)
            opened = False
            answerer = actor_id if kind == "answered" else answerer
        elif kind == "reopened" and not opened:
            opened, owner, since = True, answerer or owner, at
    if current is not None and opened:
        owned(owner, since, None)

    experts = dict(session.execute(
        select(User.id, func.coalesce(ExpertStatus.capacity, DEFAULT_CAPACITY))
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "expert"))
        .outerjoin(ExpertStatus, ExpertStatus.user_id == User.id)
        .where(User.active.is_(True))).all())
    owners_only = set(changes) - set(experts)
    if owners_only:
        experts.update(session.execute(
            select(User.id, func.coalesce(ExpertStatus.capacity, DEFAULT_CAPACITY))
            .outerjoin(ExpertStatus, ExpertStatus.user_id == User.id).where(User.id.in_(owners_only))).all())
    names = _user_names(session, experts)
    loads = []
    for user_id, capacity in experts.items():
        running, daily = 0, []
        for change in changes.get(user_id, [0] * (len(days) + 1))[:len(days)]:
            running += change
            daily.append(running)
        loads.append(ExpertLoad(user_id, names.get(user_id, "unknown"), int(capacity), tuple(daily)))
    loads.sort(key=lambda e: (-e.peak, -e.mean, e.name))
    total = tuple(sum(e.daily[i] for e in loads) for i in range(len(days)))
    active_capacity = sum(int(c) for uid, c in experts.items() if uid not in owners_only)
    return Load(days, total, active_capacity, tuple(loads))


# --- 3. the event log for process mining ----------------------------------------------------------------

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
        query = query.where(*_cohort(session, filters))
    if limit is not None:
        query = query.limit(limit)
    for event_id, reference, kind, at, actor_name, slug, channel, to_name in (
            session.execute(query.execution_options(yield_per=batch))):
        yield LoggedEvent(reference, kind, at, _resource(kind, actor_name), event_id, slug, channel, to_name)
