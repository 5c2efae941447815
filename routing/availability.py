"""Who is around: presence, capacity, working hours and absences of experts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.messages import N_, Message
from routing.errors import RoutingError
from routing.models import OPEN_STATUSES, PRESENCES, WEEKDAYS, Absence, ExpertStatus, Question, WorkingHours


class InvalidAvailability(RoutingError):
    pass


def set_expert_status(session: Session, user_id: int, *, capacity: int | None = None,
                      presence: str | None = None) -> ExpertStatus:
    status = session.get(ExpertStatus, user_id) or ExpertStatus(user_id=user_id, capacity=5,
                                                                presence="available")
    if capacity is not None:
        if capacity < 0:
            raise InvalidAvailability(N_("Capacity cannot be negative."))
        status.capacity = capacity
    if presence is not None:
        if presence not in PRESENCES:
            raise InvalidAvailability(Message("Unknown presence %(presence)s.", presence=repr(presence)))
        status.presence = presence
    session.add(status)
    session.flush()
    return status


def set_working_hours(session: Session, user_id: int, hours: dict[str, tuple[time, time]]) -> None:
    """Replace a person's weekly hours; days left out are days off."""
    for day, (starts, ends) in hours.items():
        if day not in WEEKDAYS:
            raise InvalidAvailability(Message("Unknown weekday %(day)s.", day=repr(day)))
        if not starts < ends:
            raise InvalidAvailability(Message("On %(day)s the day must start before it ends.", day=day))
    for row in session.scalars(select(WorkingHours).where(WorkingHours.user_id == user_id)):
        session.delete(row)
    session.flush()
    for day, (starts, ends) in hours.items():
        session.add(WorkingHours(user_id=user_id, weekday=day, starts=starts, ends=ends))
    session.flush()


def parse_span(value: str) -> tuple[time, time] | None:
    """A working day written `HH:MM-HH:MM` (start before end), else None."""
    start, _, end = value.partition("-")
    try:
        span = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        return None
    return span if span[0] < span[1] else None


def set_weekly_schedule(session: Session, user_id: int, days: dict[str, str]) -> None:
    """Replace a person's weekly hours from what an admin wrote per day (`08:30-17:00`, empty: day off);
    one wrong day and nothing changes."""
    hours, wrong = {}, []
    for day in WEEKDAYS:
        value = (days.get(day) or "").strip()
        if value:
            span = parse_span(value)
            if span is None:
                wrong.append(day)
            else:
                hours[day] = span
    if wrong:
        raise InvalidAvailability(Message("Write each working day as 08:30-17:00, the start before the end "
                                          "(not so on %(days)s); leave a day off empty.", days=", ".join(wrong)))
    set_working_hours(session, user_id, hours)


def weekly_schedule(session: Session, user_id: int) -> dict[str, str]:
    """A person's weekly hours as the admin form shows them: day → `08:30-17:00`."""
    return {row.weekday: f"{row.starts:%H:%M}-{row.ends:%H:%M}"
            for row in session.scalars(select(WorkingHours).where(WorkingHours.user_id == user_id))}


def add_absence(session: Session, user_id: int, *, starts_at: datetime, ends_at: datetime,
                reason: str = "") -> Absence:
    if not starts_at < ends_at:
        raise InvalidAvailability(N_("An absence must start before it ends."))
    absence = Absence(user_id=user_id, starts_at=starts_at, ends_at=ends_at, reason=reason[:40])
    session.add(absence)
    session.flush()
    return absence


@dataclass(frozen=True)
class Availability:
    """One person's time and load between now and when the question is due, as routing weighs them."""

    user_id: int
    presence: str
    capacity: int
    open_questions: int
    absent_now: bool
    working_now: bool
    works_before: bool  # has working time, not absent, between now and the window's end
    available_until: datetime | None  # end of the current shift (or absence start), when working now
    next_start: datetime | None  # next time they work, when not working now

    @property
    def has_room(self) -> bool:
        return self.open_questions < self.capacity

    @property
    def can_take_now(self) -> bool:
        return self.presence != "away" and not self.absent_now and self.has_room

    def reasons(self) -> list[Message]:
        said = []
        if self.absent_now:
            said.append(Message("absent today"))
        elif self.presence == "away":
            said.append(Message("marked away"))
        elif self.working_now and self.available_until:
            said.append(Message("available until %(time)s", time=_local_hhmm(self.available_until)))
        elif self.next_start:
            said.append(Message("back %(when)s", when=_local_day_hhmm(self.next_start)))
        else:
            said.append(Message("no working hours in the promised time"))
        said.append(Message("%(open)s of %(capacity)s open", open=self.open_questions, capacity=self.capacity))
        return said


def availability_of(session: Session, user_ids: list[int], now: datetime, window_end: datetime
                    ) -> dict[int, Availability]:
    """For each person: are they here now, until when, will they be before the promise, how loaded."""
    if not user_ids:
        return {}
    statuses = {s.user_id: s for s in session.scalars(select(ExpertStatus).where(ExpertStatus.user_id.in_(user_ids)))}
    hours: dict[int, dict[str, tuple[time, time]]] = {u: {} for u in user_ids}
    for row in session.scalars(select(WorkingHours).where(WorkingHours.user_id.in_(user_ids))):
        hours[row.user_id][row.weekday] = (row.starts, row.ends)
    absences: dict[int, list[Absence]] = {u: [] for u in user_ids}
    for row in session.scalars(select(Absence).where(Absence.user_id.in_(user_ids), Absence.ends_at > now,
                                                     Absence.starts_at < window_end)):
        absences[row.user_id].append(row)
    open_counts = dict(session.execute(
        select(Question.owner_id, func.count()).where(Question.owner_id.in_(user_ids),
                                                      Question.status.in_(OPEN_STATUSES))
        .group_by(Question.owner_id)).all())

    found = {}
    for user_id in user_ids:
        status = statuses.get(user_id)
        zone = ZoneInfo(status.timezone if status else DEFAULT_TIMEZONE)
        shifts = [s for s in _shifts(hours[user_id], zone, now, window_end)
                  if not _covered_by_absence(s, absences[user_id])]
        absent_now = any(a.starts_at <= now < a.ends_at for a in absences[user_id])
        current = next((s for s in shifts if s[0] <= now < s[1]), None)
        until = None
        if current and not absent_now:
            until = min([current[1]] + [a.starts_at for a in absences[user_id] if now < a.starts_at < current[1]])
        upcoming = next((s[0] for s in shifts if s[0] > now), None)
        found[user_id] = Availability(
            user_id=user_id, presence=status.presence if status else "available",
            capacity=status.capacity if status else 5, open_questions=open_counts.get(user_id, 0),
            absent_now=absent_now, working_now=until is not None,
            works_before=bool(shifts) and not all(_covered_by_absence(s, absences[user_id]) for s in shifts),
            available_until=until, next_start=None if until else upcoming,
        )
    return found


DEFAULT_TIMEZONE = "Europe/Amsterdam"


def _shifts(week: dict[str, tuple[time, time]], zone: ZoneInfo, start: datetime, end: datetime):
    """Working periods (aware UTC) overlapping [start, end), from weekly hours in the person's zone."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        span = week.get(WEEKDAYS[day.weekday()])
        if span:
            begins = datetime.combine(day, span[0], zone).astimezone(timezone.utc)
            ends = datetime.combine(day, span[1], zone).astimezone(timezone.utc)
            if ends > start and begins < end:
                yield begins, ends
        day += timedelta(days=1)


def _covered_by_absence(shift, absences: list[Absence]) -> bool:
    return any(a.starts_at <= shift[0] and a.ends_at >= shift[1] for a in absences)


def _local_hhmm(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).strftime("%H:%M")


def _local_day_hhmm(moment: datetime) -> datetime:
    """The moment in the organisation's zone; a Message says it as "Tue 08:30", the web layer as "di 08:30"."""
    return moment.astimezone(ZoneInfo(DEFAULT_TIMEZONE))
