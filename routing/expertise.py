"""The expertise map: who knows what. Declared expertise is stored here; learned expertise follows."""
from __future__ import annotations

from sqlalchemy.orm import Session

from routing.errors import RoutingError
from routing.models import DeclaredExpertise


class InvalidExpertise(RoutingError):
    pass


def declare_expertise(session: Session, user_id: int, topic_id: int, level: int) -> DeclaredExpertise:
    if level not in (1, 2, 3):
        raise InvalidExpertise("A level is 1 (basic), 2 (good) or 3 (specialist).")
    row = session.get(DeclaredExpertise, (user_id, topic_id)) or DeclaredExpertise(user_id=user_id,
                                                                                    topic_id=topic_id)
    row.level = level
    session.add(row)
    session.flush()
    return row
