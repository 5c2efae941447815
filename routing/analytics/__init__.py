"""Process analytics: what the organisation learns from the routes its questions took.

Every figure follows from the append-only events (plus the question's channel, topic, status and
promise). Pages read the facts routing.events derives from them as they are recorded — one row per
question (`QuestionFacts`), per wait between steps (`StepWait`) and per stretch of ownership
(`Ownership`) — and aggregate those with GROUP BY: a page never walks the event table. Functions take
a session and `Filters` (and `now` where open questions count) and return frozen dataclasses; nothing
here knows about Flask.

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

import json
import statistics
from bisect import bisect_left
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
from routing.events import OWNER_KINDS
from routing.models import (
    OPEN_STATUSES,
    Event,
    ExpertStatus,
    Ownership,
    Question,
    QuestionFacts,
    SearchLog,
    StepWait,
)

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


def _cohort(session: Session, filters: Filters, table=Question) -> list:
    """The WHERE clauses that select the questions received in the period, of the topic and channel:
    on `Question`, or on a derived table that carries the question's cohort (`QuestionFacts`, `StepWait`)."""
    period = filters.period
    received = Question.created_at if table is Question else table.received_at
    clauses = [received >= period.start, received < period.end]
    if filters.topic_id is not None:
        clauses.append(table.topic_id.in_(_topic_and_subtopics(session, filters.topic_id)))
    if filters.channel:
        clauses.append(table.channel == filters.channel)
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


@dataclass
class _Group:
    """What overview adds up for one topic, one week or all questions."""

    questions: int = 0
    met: int = 0
    breached: int = 0
    pending: int = 0
    escalations: int = 0
    reroutes: int = 0
    forwards: int = 0

    def add(self, row) -> None:
        self.questions += row.questions
        self.met += row.met
        self.breached += row.breached
        self.pending += row.pending
        self.escalations += row.escalations
        self.reroutes += row.reroutes
        self.forwards += row.forwards

    @property
    def sla(self) -> Sla:
        return Sla(self.met, self.breached, self.pending)


# Instants are compared as stored (to the microsecond): converting each row to seconds first costs
# more than the rest of the query on SQLite.

def _sla_outcome(now: datetime):
    """The SQL for a question's SLA outcome: met, breached, pending, or NULL without a promise."""
    facts = QuestionFacts
    return case(
        (facts.due_at.is_(None), None),
        (facts.status == "waiting_for_customer", "pending"),  # its clock is paused
        (facts.status.in_(OPEN_STATUSES), case((facts.due_at < now, "breached"), else_="pending")),
        (facts.answered_at.is_(None), None),
        (facts.answered_at <= facts.due_at, "met"),
        else_="breached")


def _week_of(starts: list[datetime]):
    """The SQL for the index of the week (starting at `starts`) a question was received in."""
    received = QuestionFacts.received_at
    return case(*((received >= start, n) for n, start in reversed(list(enumerate(starts)))), else_=-1)


def overview(session: Session, filters: Filters, now: datetime) -> Overview:
    """Time to first response and to answer, SLA, escalations and re-routes: per topic and per week.

    Counts are summed per (topic, week) by the database; medians and p90s need the durations
    themselves, so only those two numbers per question come back."""
    facts, cohort = QuestionFacts, _cohort(session, filters, QuestionFacts)
    now_s = _epoch(now)
    names = _topic_names(session)
    mondays = filters.period.weeks
    week = _week_of([filters.period.midnight(monday) for monday in mondays]).label("week")
    sla = _sla_outcome(now)

    def number(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    by_topic, by_week, total = defaultdict(_Group), defaultdict(_Group), _Group()
    for row in session.execute(
            select(facts.topic_id, week, func.count().label("questions"), number(sla == "met").label("met"),
                   number(sla == "breached").label("breached"), number(sla == "pending").label("pending"),
                   func.sum(facts.escalated).label("escalations"),
                   func.sum(case((facts.routed > 1, facts.routed - 1), else_=0)).label("reroutes"),
                   func.sum(facts.forwarded).label("forwards"))
            .where(*cohort).group_by(facts.topic_id, week)):
        for group in (by_topic[row.topic_id], by_week[row.week], total):
            group.add(row)

    received = epoch_seconds(facts.received_at)
    first_response = defaultdict(list)  # (topic_id or "week", n) → seconds
    answer = defaultdict(list)
    for topic_id, week_index, responded, answered in session.execute(
            select(facts.topic_id, week, epoch_seconds(facts.first_response_at) - received,
                   epoch_seconds(facts.first_answer_at) - received)
            .where(facts.first_response_at.is_not(None) | facts.first_answer_at.is_not(None), *cohort)):
        if responded is not None:
            first_response[topic_id].append(responded)
            first_response["week", week_index].append(responded)
        if answered is not None:
            answer[topic_id].append(answered)
            answer["week", week_index].append(answered)

    def figures(topic_id, topic: str, group: _Group, responded: list[int], answered: list[int]) -> TopicFigures:
        return TopicFigures(topic_id, topic, group.questions, Times.of(responded), Times.of(answered), group.sla,
                            group.escalations, group.reroutes, group.forwards)

    topics = sorted((figures(tid, names.get(tid, "?"), group, first_response[tid], answer[tid])
                     for tid, group in by_topic.items()), key=lambda t: (-t.questions, t.topic))
    weeks = tuple(WeekFigures(monday, by_week[n].questions, Times.of(first_response["week", n]),
                              Times.of(answer["week", n]), by_week[n].sla) for n, monday in enumerate(mondays))
    everything = figures(None, "All topics", total, _all(first_response), _all(answer))

    # The latest breaches: when they stopped growing (answered, or still open now), newest first.
    is_open = facts.status.in_(OPEN_STATUSES)
    ended = case((is_open, now_s), else_=epoch_seconds(facts.answered_at))
    breaches = tuple(
        Breach(question_id, reference, names.get(topic_id, "?"), _moment(due), None if still_open else _moment(end),
               timedelta(seconds=end - due))
        for question_id, reference, topic_id, due, end, still_open in session.execute(
            select(facts.question_id, Question.reference, facts.topic_id, epoch_seconds(facts.due_at), ended, is_open)
            .join(Question, Question.id == facts.question_id)
            .where(sla == "breached", *cohort)
            .order_by(ended.desc(), facts.question_id.desc()).limit(20)))
    return Overview(everything, tuple(topics), weeks, breaches)


def _all(values_by_key: dict) -> list[int]:
    """Every value of the per-topic lists (the per-week lists hold the same values again)."""
    return [v for key, values in values_by_key.items() if not (isinstance(key, tuple) and key[0] == "week")
            for v in values]


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
    routed = [QuestionFacts.route.is_not(None), *_cohort(session, filters, QuestionFacts)]
    counts = dict(session.execute(
        select(QuestionFacts.handoffs, func.count()).where(*routed).group_by(QuestionFacts.handoffs)).all())
    routed_questions = sum(counts.values())
    handoffs = Counter()
    for n, questions in counts.items():
        handoffs[min(n, 5)] += questions
    # Few distinct routes with a handoff: group them in SQL, order them here by the owners themselves.
    common = [(tuple(json.loads(route)), n) for route, n in session.execute(
        select(QuestionFacts.route, func.count()).where(*routed, QuestionFacts.handoffs > 0)
        .group_by(QuestionFacts.route))]
    common.sort(key=lambda item: (-item[1], [(o is None, o or 0) for o in item[0]]))
    names = _user_names(session, {owner for route, _ in common[:TOP] for owner in route})
    return Flow(
        routed_questions=routed_questions,
        handoffs=tuple((label, handoffs[n]) for n, label in enumerate(HANDOFF_BINS)),
        mean_handoffs=_share(sum(n * q for n, q in counts.items()), routed_questions),
        routes=tuple(RouteCount(tuple(names.get(o, "unknown") for o in route), n) for route, n in common[:TOP]),
        waits=_waits(session, _cohort(session, filters, StepWait)))


def _waits(session: Session, cohort: list) -> tuple[Wait, ...]:
    """Count and mean per pair of consecutive steps by GROUP BY; the nearest-rank p90 reads each pair's
    waits in order, which the covering (after, before, seconds, cohort) index of step_waits serves
    without a sort or a table read."""
    pairs = session.execute(
        select(StepWait.after, StepWait.before, func.count(), func.sum(StepWait.seconds))
        .where(*cohort).group_by(StepWait.after, StepWait.before)).all()
    waits = []
    for after, before, n, total in pairs:
        rank = -(-9 * n // 10)  # ⌈0.9·n⌉
        value = session.scalar(
            select(StepWait.seconds)
            .where(StepWait.after == after, StepWait.before == before, *cohort)
            .order_by(StepWait.seconds).offset(rank - 1).limit(1))
        waits.append(Wait(after, before, n, total / n, value))
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
    cohort = _cohort(session, filters, QuestionFacts)
    by_channel = session.execute(
        select(QuestionFacts.channel, func.count(),
               func.count(case((QuestionFacts.answered_from_kb.is_(True), 1))))
        .where(*cohort).group_by(QuestionFacts.channel)).all()
    asked = {channel: n for channel, n, _ in by_channel}
    from_kb = {channel: n for channel, _, n in by_channel if n}
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

    published_on_topic = exists().where(article_topics.c.topic_id == QuestionFacts.topic_id,
                                        article_topics.c.article_id == Article.id,
                                        Article.status == "published")
    routed = func.count().label("routed")
    uncovered = session.execute(
        select(Topic.id, Topic.slug, routed)
        .join(QuestionFacts, and_(QuestionFacts.topic_id == Topic.id, QuestionFacts.routed > 0))
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
    # The stretches an open question was someone's (routing.events replays them as each event is
    # recorded), as far as they overlap the period: what happened after its end is not known yet then.
    end = _epoch(period.end)
    cohort = [Ownership.since < period.end, Ownership.until.is_(None) | (Ownership.until >= period.start)]
    if filters.topic_id is not None or filters.channel:
        cohort.append(QuestionFacts.question_id == Ownership.question_id)
    if filters.topic_id is not None:
        cohort.append(QuestionFacts.topic_id.in_(_topic_and_subtopics(session, filters.topic_id)))
    if filters.channel:
        cohort.append(QuestionFacts.channel == filters.channel)
    rows = session.execute(
        select(Ownership.owner_id, epoch_seconds(Ownership.since), epoch_seconds(Ownership.until)).where(*cohort))

    # Per expert, +1/-1 at the first and past the last snapshot their ownership of a question covers.
    changes: dict[int, list[int]] = defaultdict(lambda: [0] * (len(days) + 1))
    for owner, since, until in rows:
        first = bisect_left(snapshots, since)
        past = bisect_left(snapshots, until) if until is not None and until < end else len(days)
        if first < past:
            changes[owner][first] += 1
            changes[owner][past] -= 1

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
