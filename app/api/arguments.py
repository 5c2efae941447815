"""The query arguments that several /api/v1 endpoints share, read in one place, so the same mistake gets
the same 400 everywhere: `{"error": "bad_<argument>", "message": …}`.

    limit = limit_arg(default=10, most=50)    # ?limit=   how many, 1 to `most` (None: no upper bound)
    since = since_arg()                       # ?since=   an ISO 8601 time, None when not given
    after = after_arg()                       # ?after=   the id of the last item the caller has
    at = moment_arg("at", body)               # a POST's JSON field (or ?at=): an ISO 8601 time

Each reads the query string, or a JSON body's field when the endpoint passes its body as `source`.

An argument that only one endpoint has (a search's `q`, a question's token) stays in its view.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import request
from flask_babel import format_decimal, gettext as _

from app.api.errors import refuse

MAX_ID = 2**63 - 1  # the largest integer the databases compare; beyond it no row exists


def limit_arg(*, default: int, most: int | None, source: dict | None = None) -> int:
    limit = _whole_number("limit", default, otherwise=0, source=source)
    if most is None and limit < 1:
        refuse(400, "bad_limit", _("limit must be a whole number from 1."))
    if most is not None and not 1 <= limit <= most:
        refuse(400, "bad_limit", _("limit must be a whole number from 1 to %(most)s.", most=format_decimal(most)))
    return limit


def since_arg() -> datetime | None:
    """A moment in UTC; a time without a zone is taken to be UTC."""
    return moment_arg("since")


def moment_arg(name: str, source: dict | None = None) -> datetime | None:
    """The argument `name` as a moment in UTC (None when not given); a time without a zone is UTC."""
    value = (source if source is not None else request.args).get(name)
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # overflow: 0001-01-01 east of UTC is before the first moment
        refuse(400, f"bad_{name}", _("%(name)s must be an ISO 8601 time, e.g. 2026-03-01T00:00:00Z.", name=name))


def after_arg() -> int:
    """A cursor: the last id the caller has (0: from the start)."""
    after = _whole_number("after", 0, otherwise=-1)
    if not 0 <= after <= MAX_ID:
        refuse(400, "bad_after", _("after must be the event_id of the last event you have."))
    return after


def _whole_number(name: str, default: int, *, otherwise: int, source: dict | None = None) -> int:
    """The argument as a whole number, `default` when absent, `otherwise` (out of range) when not a number."""
    value = (source if source is not None else request.args).get(name, default)
    if isinstance(value, bool) or isinstance(value, float):
        return otherwise  # JSON true or 2.5 is not a count
    try:
        return int(value)
    except (TypeError, ValueError):
        return otherwise
