"""How questions travel: how often they change hands, along which routes, and where they wait.

- **Handoffs** = re-routes + forwards, i.e. `routed` and `forwarded` events after the first `routed`;
  the handoff distribution counts questions routed at least once.
- **Route**: the owners in order, the `to_user_id` of every `routed`/`forwarded` event. The most common
  routes are those with at least one handoff (a route of one person is not a route worth drawing).
- **Waiting time between steps**: the time between consecutive process steps of a question (`received`,
  `answered_from_kb`, `routed`, `accepted`, `forwarded`, `escalated`, `info_requested`,
  `customer_replied`, `answered`, `closed`, `reopened`; views, searches, ratings and captures are not
  steps). "Where questions wait" is the mean and p90 of those times per transition (e.g. routed → accepted).

Read from `QuestionFacts` and `StepWait`; nothing here knows about Flask.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.messages import N_, Message
from routing.wording import EVENT_KIND_NAMES
from routing.analytics.cohort import Filters, in_cohort, p90_rank, share_of, user_names
from routing.analytics.report import SECONDS, Bars, Histogram, Report, Route, Table
from routing.models import QuestionFacts, StepWait

HANDOFF_BINS = ("0", "1", "2", "3", "4", "5+")
TOP = 10


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
    routed = [QuestionFacts.route.is_not(None), *in_cohort(session, filters, QuestionFacts)]
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
    names = user_names(session, {owner for route, _ in common[:TOP] for owner in route})
    return Flow(
        routed_questions=routed_questions,
        handoffs=tuple((label, handoffs[n]) for n, label in enumerate(HANDOFF_BINS)),
        mean_handoffs=share_of(sum(n * q for n, q in counts.items()), routed_questions),
        routes=tuple(RouteCount(tuple(names.get(o, "unknown") for o in route), n) for route, n in common[:TOP]),
        waits=_waits(session, in_cohort(session, filters, StepWait)))


def _waits(session: Session, cohort: list) -> tuple[Wait, ...]:
    """Count and mean per pair of consecutive steps by GROUP BY; the nearest-rank p90 reads each pair's
    waits in order, which the covering (after, before, seconds, cohort) index of step_waits serves
    without a sort or a table read."""
    pairs = session.execute(
        select(StepWait.after, StepWait.before, func.count(), func.sum(StepWait.seconds))
        .where(*cohort).group_by(StepWait.after, StepWait.before)).all()
    waits = []
    for after, before, n, total in pairs:
        rank = p90_rank(n)
        value = session.scalar(
            select(StepWait.seconds)
            .where(StepWait.after == after, StepWait.before == before, *cohort)
            .order_by(StepWait.seconds).offset(rank - 1).limit(1))
        waits.append(Wait(after, before, n, total / n, value))
    return tuple(sorted(waits, key=lambda w: (-w.mean, w.after, w.before)))



# --- the report: its page's charts and its CSV tables ---------------------------------------------------

def _step(kind: str) -> Message:
    """An event kind as staff read it (routing.wording), a msgid the web layer translates."""
    return Message(EVENT_KIND_NAMES.get(kind, kind.replace("_", " ")))


def _charts(figures: Flow) -> dict:
    return {
        "handoffs": Histogram(N_("Handoffs per routed question"), figures.handoffs, x_label=N_("handoffs")),
        "waits": Bars(N_("Where questions wait: mean time between steps"),
                      [(Message("%(after)s → %(before)s", after=_step(w.after), before=_step(w.before)), w.mean)
                       for w in figures.waits[:10]], SECONDS),
        "routes": [Route(Message("%(count)s questions", count=r.questions), r.owners) for r in figures.routes],
    }


REPORT = Report(
    name="flow", title=N_("Handoffs & waits"), query=lambda session, filters, now: flow(session, filters),
    charts=_charts, tables=(
        Table("handoffs", ("handoffs", "questions"), lambda f: f.handoffs),
        Table("routes", ("route", "questions"), lambda f: ((" → ".join(r.owners), r.questions) for r in f.routes)),
        Table("waits", ("after", "before", "count", "mean_s", "p90_s"),
              lambda f: ((w.after, w.before, w.count, round(w.mean, 1), w.p90) for w in f.waits)),
    ))
