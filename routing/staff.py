"""Loading an organisation's experts from a spreadsheet: who they are, what they know, when they work.

CSV with a header row (README, "Importing an organisation"):
  email,name,topics,capacity,mon,tue,wed,thu,fri,sat,sun
  annelies@example.org,Annelies de Vries,property-tax:3;taxes:2,6,08:30-17:00,08:30-17:00,,08:30-12:30,,,
`topics` is `slug:level` pairs separated by `;` (levels 1–3, topics must exist); a day is `HH:MM-HH:MM`
or empty for a day off; capacity is the most open questions at once (empty: 5). Every line is checked
before anything is written: one bad line and nothing is imported, with every problem by line number.
Someone already known by e-mail keeps their account and gets the expert role, name, topics and hours
from the file.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.orm import Session

from knowledge.catalogue import topic_with_slug
from knowledge.people import create_user, find_user_by_email, normalise_email, set_roles
from routing.availability import parse_span, set_expert_status, set_working_hours
from routing.errors import RoutingError
from routing.expertise import declare_expertise
from routing.models import WEEKDAYS

COLUMNS = ("email", "name", "topics", "capacity", *WEEKDAYS)
DEFAULT_CAPACITY = 5


class InvalidExpertsFile(RoutingError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ExpertRow:
    email: str
    name: str
    topics: tuple[tuple[int, int], ...]  # (topic id, level)
    capacity: int
    hours: dict[str, tuple[time, time]]


@dataclass(frozen=True)
class ExpertsReport:
    created: int
    updated: int


def import_experts(session: Session, now: datetime, text: str) -> ExpertsReport:
    rows = read_experts(session, text)
    created = updated = 0
    for row in rows:
        user = find_user_by_email(session, row.email)
        if user is None:
            user = create_user(session, now, email=row.email, name=row.name, roles=("expert",))
            created += 1
        else:
            user.name = row.name
            set_roles(user, user.roles | {"expert"})
            updated += 1
        session.flush()
        for topic_id, level in row.topics:
            declare_expertise(session, user.id, topic_id, level)
        set_expert_status(session, user.id, capacity=row.capacity)
        set_working_hours(session, user.id, row.hours)
    return ExpertsReport(created=created, updated=updated)


def read_experts(session: Session, text: str) -> list[ExpertRow]:
    """Every line checked; InvalidExpertsFile lists each problem as "line N: …"."""
    reader = csv.DictReader(io.StringIO(text))
    header = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidExpertsFile([f"line 1: the header lacks {', '.join(missing)} (columns: {','.join(COLUMNS)})"])
    reader.fieldnames = header
    rows, problems, seen = [], [], set()
    for number, raw in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(values.values()):
            continue
        found: list[str] = []
        row = _row(session, values, found)
        if row is not None and row.email in seen:
            found.append(f"{row.email} is on an earlier line too")
        problems.extend(f"line {number}: {p}" for p in found)
        if row is not None and not found:
            seen.add(row.email)
            rows.append(row)
    if problems:
        raise InvalidExpertsFile(problems)
    return rows


def _row(session: Session, values: dict[str, str], problems: list[str]) -> ExpertRow | None:
    email = normalise_email(values["email"])
    if "@" not in email or len(email) > 254:
        problems.append(f"not an e-mail address: {values['email']!r}")
    if not values["name"]:
        problems.append("a person needs a name")
    topics = []
    for pair in filter(None, (p.strip() for p in values["topics"].split(";"))):
        slug, _, level = pair.partition(":")
        topic = topic_with_slug(session, slug.strip())
        if topic is None:
            problems.append(f"there is no topic {slug.strip()!r}")
        elif level.strip() not in ("1", "2", "3"):
            problems.append(f"the level of {slug.strip()} must be 1, 2 or 3 (as in {slug.strip()}:2)")
        else:
            topics.append((topic.id, int(level)))
    capacity = DEFAULT_CAPACITY
    if values["capacity"]:
        if not values["capacity"].isdigit():
            problems.append(f"capacity must be a whole number, not {values['capacity']!r}")
        else:
            capacity = int(values["capacity"])
    hours = {}
    for day in WEEKDAYS:
        if values[day]:
            span = parse_span(values[day])
            if span is None:
                problems.append(f"{day}: {values[day]!r} is not a working day like 08:30-17:00")
            else:
                hours[day] = span
    if problems:
        return None
    return ExpertRow(email=email, name=values["name"][:120], topics=tuple(topics), capacity=capacity, hours=hours)

