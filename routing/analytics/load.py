"""Expert load against capacity: each expert's open questions at the end of every day of the period.

- **Expert load**: for each day, the open questions each expert owns at the end of that day (at `now`
  for today), replayed from `routed`/`forwarded` (owner changes), `answered`/`answered_from_kb`/`closed`
  (no longer open) and `reopened` (open again, with the expert who answered) events, against
  `ExpertStatus.capacity` (5 when an expert has no status row, as routing assumes).

Read from `Ownership` (the stretches an open question was someone's); nothing here knows about Flask.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.messages import N_, Message
from knowledge.models import User
from knowledge.people import active_experts
from routing.analytics.cohort import Filters, epoch, epoch_seconds, topic_and_channel, user_names
from routing.analytics.report import Bars, Lines, Report, Table
from routing.models import ExpertStatus, Ownership, QuestionFacts

DEFAULT_CAPACITY = ExpertStatus.__table__.c.capacity.default.arg


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
    snapshots = [min(epoch(period.midnight(d + timedelta(days=1))), epoch(now)) for d in days]
    # The stretches an open question was someone's (routing.events replays them as each event is
    # recorded), as far as they overlap the period: what happened after its end is not known yet then.
    end = epoch(period.end)
    cohort = [Ownership.since < period.end, Ownership.until.is_(None) | (Ownership.until >= period.start)]
    narrower = topic_and_channel(session, filters, QuestionFacts)
    if narrower:
        cohort += [QuestionFacts.question_id == Ownership.question_id, *narrower]
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

    # Every active expert, and whoever else owned a question in the period (since left, or not an expert).
    experts = _capacities(session, [expert.id for expert in active_experts(session)])
    owners_only = set(changes) - set(experts)
    if owners_only:
        experts.update(_capacities(session, owners_only))
    names = user_names(session, experts)
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



# --- the report: its page's charts and its CSV tables ---------------------------------------------------

def _charts(figures: Load, expert: int | None = None) -> dict:
    """The load of all experts and each one's peak; with `expert` (a user id), that expert's load too."""
    charts = {
        "total": Lines(N_("Open questions owned by all experts against their capacity"), figures.days,
                       [(N_("Open questions owned"), list(figures.total)),
                        (N_("Capacity"), [figures.capacity] * len(figures.days))], dashed=(N_("Capacity"),)),
        "peaks": Bars(N_("Highest load per expert in the period"), [(e.name, e.peak) for e in figures.experts[:15]]),
    }
    chosen = next((e for e in figures.experts if e.user_id == expert), None)
    if chosen is not None:
        charts["expert"] = Lines(Message("Open questions of %(name)s", name=chosen.name), figures.days,
                                 [(chosen.name, list(chosen.daily)),
                                  (N_("Capacity"), [chosen.capacity] * len(figures.days))], dashed=(N_("Capacity"),))
    return charts


REPORT = Report(
    name="load", title=N_("Expert load"), query=expert_load, charts=_charts, options=("expert",), tables=(
        Table("expert-load", ("expert", "capacity", "day", "open_questions"),
              lambda f: ((e.name, e.capacity, day, n) for e in f.experts for day, n in zip(f.days, e.daily))),
    ))


def _capacities(session: Session, user_ids) -> dict[int, int]:
    """How many open questions each of these people can hold (the default where none was set)."""
    return dict(session.execute(
        select(User.id, func.coalesce(ExpertStatus.capacity, DEFAULT_CAPACITY))
        .outerjoin(ExpertStatus, ExpertStatus.user_id == User.id).where(User.id.in_(list(user_ids)))).all())
