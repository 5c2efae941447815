"""The event log for process-mining tools: GET /api/v1/events (admins, with an API token).

    curl -H "Authorization: Bearer $TOKEN" "https://…/api/v1/events?since=2026-03-01T00:00:00Z&limit=1000"

Query: `since` (ISO 8601; events recorded at or after it; default: from the beginning), `after` (the
last `event_id` you have: the cursor), `limit` (1–10,000, default 1,000). Answer:

    {"format": "vraagbaak-event-log/1",
     "events": [{"case_id": "VB-2026-000123",      # the question: one case per question
                 "activity": "routed",             # the event kind (received, routed, accepted, …)
                 "timestamp": "2026-03-02T09:10:00Z",  # UTC, ISO 8601
                 "resource": "Petra Parkeer",      # who did it; "customer" or "system" when no person did
                 "event_id": 4711,                 # strictly increasing: order and cursor
                 "topic": "parking", "channel": "phone",
                 "to_resource": "Pim Parkeer"}],   # routed/forwarded/escalated: to whom, else null
     "next": "/api/v1/events?since=…&after=4711&limit=1000"}   # null on the last page

Events come in `event_id` order; follow `next` until it is null, and next time start again from the
last `event_id` (`after`). PM4Py: `pm4py.format_dataframe(pandas.DataFrame(events), case_id="case_id",
activity_key="activity", timestamp_key="timestamp")` (rename `resource` to `org:resource` for
organisational mining); Celonis and Disco: map the columns case_id / activity / timestamp / resource.
GET /analytics/events.csv gives the same columns as CSV, for the questions received in a period.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, jsonify, request, url_for

from app.extensions import csrf, db
from app.web import require_role
from routing.analytics import event_log, iso_utc

bp = Blueprint("events_api", __name__, url_prefix="/api/v1")
# Token calls cannot be forged by another site, and this API only reads.
csrf.exempt(bp)
bp.before_request(require_role("admin"))

FORMAT = "vraagbaak-event-log/1"
DEFAULT_LIMIT, MAX_LIMIT = 1000, 10_000
MAX_EVENT_ID = 2**63 - 1  # the largest integer the databases compare; beyond it no event exists


def _bad_request(code: str, message: str):
    return jsonify({"error": code, "message": message}), 400


def _parse_since(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@bp.route("/events")
def events():
    since = None
    if request.args.get("since"):
        try:
            since = _parse_since(request.args["since"])
        except (ValueError, OverflowError):  # overflow: 0001-01-01 east of UTC is before the first moment
            return _bad_request("bad_since", "since must be an ISO 8601 time, e.g. 2026-03-01T00:00:00Z.")
    try:
        after = int(request.args.get("after", 0))
    except ValueError:
        after = -1
    if not 0 <= after <= MAX_EVENT_ID:
        return _bad_request("bad_after", "after must be the event_id of the last event you have.")
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return _bad_request("bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT:,}.")
    page = list(event_log(db.session, since=since, after_id=after, limit=limit))
    next_url = None
    if len(page) == limit:
        next_url = url_for("events_api.events", after=page[-1].event_id, limit=limit,
                           **({"since": iso_utc(since)} if since else {}))
    return jsonify({
        "format": FORMAT,
        "events": [{"case_id": e.case_id, "activity": e.activity, "timestamp": iso_utc(e.timestamp),
                    "resource": e.resource, "event_id": e.event_id, "topic": e.topic, "channel": e.channel,
                    "to_resource": e.to_resource} for e in page],
        "next": next_url,
    })
