"""Foundations shared by both domain floors: the declarative base, the UTC time type, the clock.

This lives in `knowledge/` because it is the lowest floor: `routing/` may import it, and the web
layer maps nothing of its own. Nothing here may import Flask or the web layer.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Named constraints, so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC.

    SQLite has no time zones and PostgreSQL converts `timestamptz` to the session's zone; storing
    naive UTC on both keeps the two back-ends identical, and refusing naive input catches local
    times before they are written.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC time (see knowledge.base.utcnow)")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    """The one clock of production code; domain functions receive its reading as `now`."""
    return datetime.now(timezone.utc)
