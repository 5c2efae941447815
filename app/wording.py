"""Stored codes as staff read them, in their language: filters for the domain's tables of names.

`{{ q.status | question_status }}` reads "waiting for customer" in English and "wacht op klant" in Dutch; a code
the table does not know is shown with spaces for underscores, as before the interface was translated.
"""
from __future__ import annotations

from datetime import date

from flask import Flask
from flask_babel import format_date, format_decimal, format_percent, gettext

from knowledge.wording import ARTICLE_STATUS_NAMES, AUDIENCE_NAMES, REVISION_STATE_NAMES, ROLE_NAMES
from routing.wording import (CHANNEL_NAMES, EVENT_KIND_NAMES, PRESENCE_NAMES, PRIORITY_NAMES,
                             QUESTION_STATUS_NAMES)

TABLES = {
    "question_status": QUESTION_STATUS_NAMES, "event_kind": EVENT_KIND_NAMES, "channel": CHANNEL_NAMES,
    "priority": PRIORITY_NAMES, "presence": PRESENCE_NAMES, "article_status": ARTICLE_STATUS_NAMES,
    "audience": AUDIENCE_NAMES, "role": ROLE_NAMES, "revision_state": REVISION_STATE_NAMES,
}


def name_of(table: dict[str, str], code: str | None) -> str:
    """The reader's word for a stored code (a code no table knows: itself, with spaces)."""
    if not code:
        return ""
    msgid = table.get(code)
    return gettext(msgid) if msgid else code.replace("_", " ")


def local_date(day: date | None, pattern: str = "d MMM yyyy") -> str:
    """A calendar day (no time, so no zone) as the reader writes it (CLDR pattern)."""
    return "—" if day is None else format_date(day, pattern)


def init_app(app: Flask) -> None:
    # numbers people read, in their language's notation ("0,82" in Dutch)
    app.jinja_env.globals.update(format_decimal=format_decimal, format_percent=format_percent, format_date=format_date)
    app.add_template_filter(local_date)
    for name, table in TABLES.items():
        app.add_template_filter(lambda code, table=table: name_of(table, code), name)
