"""Who is around: presence, capacity, working hours and absences of experts."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.errors import RoutingError
from routing.models import PRESENCES, WEEKDAYS, Absence, ExpertStatus, WorkingHours


class InvalidAvailability(RoutingError):
    pass


def set_expert_status(session: Session, user_id: int, *, capacity: int | None = None,
                      presence: str | None = None) -> ExpertStatus:
    status = session.get(ExpertStatus, user_id) or ExpertStatus(user_id=user_id, capacity=5,
                                                                presence="available")
    if capacity is not None:
        if capacity < 0:
            raise InvalidAvailability("Capacity cannot be negative.")
        status.capacity = capacity
    if presence is not None:
        if presence not in PRESENCES:
            raise InvalidAvailability(f"Unknown presence {presence!r}.")
        status.presence = presence
    session.add(status)
    session.flush()
    return status


def set_working_hours(session: Session, user_id: int, hours: dict[str, tuple[time, time]]) -> None:
    """Replace a person's weekly hours; days left out are days off."""
    for day, (starts, ends) in hours.items():
        if day not in WEEKDAYS:
            raise InvalidAvailability(f"Unknown weekday {day!r}.")
        if not starts < ends:
            raise InvalidAvailability(f"On {day} the day must start before it ends.")
    for row in session.scalars(select(WorkingHours).where(WorkingHours.user_id == user_id)):
        session.delete(row)
    session.flush()
    for day, (starts, ends) in hours.items():
        session.add(WorkingHours(user_id=user_id, weekday=day, starts=starts, ends=ends))
    session.flush()


def add_absence(session: Session, user_id: int, *, starts_at: datetime, ends_at: datetime,
                reason: str = "") -> Absence:
    if not starts_at < ends_at:
        raise InvalidAvailability("An absence must start before it ends.")
    absence = Absence(user_id=user_id, starts_at=starts_at, ends_at=ends_at, reason=reason[:40])
    session.add(absence)
    session.flush()
    return absence
