"""Response times, SLA, escalations and re-routes per topic and per week: the dashboard's first page.

- **First response**: the first `accepted`, `answered`, `answered_from_kb` or `info_requested` event
  after `received`. **Time to answer**: `received` → the first `answered` or `answered_from_kb`.
- **SLA.** Only questions with a promise (`due_at`) count. Answered (status not open): *met* when
  `answered_at <= due_at`, else *breached*. Open: *breached* when `now > due_at`, else *pending*; a
  question waiting for the customer is always pending (its clock is paused, `due_at` moves on reply).
  Compliance = met / (met + breached).
- **Re-routes**: `routed` events after the first `routed`. **Forwards**: `forwarded` events.
  **Escalations**: `escalated` events.

Read from `QuestionFacts` (one row per question) with GROUP BY; nothing here knows about Flask.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from knowledge.messages import N_
from routing.analytics.cohort import Filters, Times, epoch, epoch_seconds, in_cohort, share_of, topic_names
from routing.analytics.report import SECONDS, SHARE, Bars, Lines, Report, Table
from routing.models import OPEN_STATUSES, Question, QuestionFacts


@dataclass(frozen=True)
class Sla:
    met: int
    breached: int
    pending: int

    @property
    def compliance(self) -> float | None:
        return share_of(self.met, self.met + self.breached)


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
    facts, cohort = QuestionFacts, in_cohort(session, filters, QuestionFacts)
    now_s = epoch(now)
    names = topic_names(session)
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
    everything = figures(None, N_("All topics"), total, _all(first_response), _all(answer))

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



# --- the report: its page's charts and its CSV tables ---------------------------------------------------

def _charts(figures: Overview) -> dict:
    weeks = [w.week for w in figures.weeks]
    return {
        "answer_by_topic": Bars(N_("Median time to answer per topic"),
                                [(t.topic, t.answer.median) for t in figures.topics[:15]], SECONDS),
        "trend": Lines(N_("Time to first response and to answer per week"), weeks, [
            (N_("Median time to first response"), [w.first_response.median for w in figures.weeks]),
            (N_("Median time to answer"), [w.answer.median for w in figures.weeks]),
            (N_("p90 time to answer"), [w.answer.p90 for w in figures.weeks]),
        ], SECONDS),
        "sla_by_topic": Bars(N_("SLA compliance per topic"), [(t.topic, t.sla.compliance) for t in figures.topics[:15]],
                             SHARE),
        "sla_trend": Lines(N_("Promises kept and broken per week"), weeks,
                           [(N_("Breaches"), [w.sla.breached for w in figures.weeks]),
                            (N_("Kept"), [w.sla.met for w in figures.weeks])]),
    }


def _topic_rows(figures: Overview):
    for t in figures.topics + (figures.total,):
        yield (t.topic, t.questions, t.first_response.count, t.first_response.median, t.first_response.p90,
               t.answer.count, t.answer.median, t.answer.p90, t.sla.met, t.sla.breached, t.sla.pending,
               t.sla.compliance, t.escalations, t.reroutes, t.forwards)


TIMES = ("count", "median_s", "p90_s")
REPORT = Report(
    name="overview", title=N_("Response times & SLA"), query=overview, charts=_charts, tables=(
        Table("topics", ("topic", "questions", *(f"first_response_{c}" for c in TIMES),
                         *(f"answer_{c}" for c in TIMES), "sla_met", "sla_breached", "sla_pending",
                         "sla_compliance", "escalations", "reroutes", "forwards"), _topic_rows),
        Table("weeks", ("week", "questions", "first_response_median_s", "first_response_p90_s", "answer_median_s",
                        "answer_p90_s", "sla_met", "sla_breached", "sla_pending"),
              lambda f: ((w.week, w.questions, w.first_response.median, w.first_response.p90, w.answer.median,
                          w.answer.p90, w.sla.met, w.sla.breached, w.sla.pending) for w in f.weeks)),
        Table("breaches", ("reference", "topic", "due_at", "answered_at", "late_s"),
              lambda f: ((b.reference, b.topic, b.due_at, b.answered_at, int(b.late.total_seconds()))
                         for b in f.breaches)),
    ))
