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

from flask import Blueprint, jsonify, url_for

from app.api.arguments import after_arg, limit_arg, since_arg
from app.extensions import csrf, db
from app.web import require_role
from routing.analytics import event_log, iso_utc

# A blueprint of its own for its guard (admins only); its endpoint keeps the name `events_api.events`.
bp = Blueprint("events_api", __name__, url_prefix="/api/v1")
# Token calls cannot be forged by another site, and this API only reads.
csrf.exempt(bp)
bp.before_request(require_role("admin"))

FORMAT = "vraagbaak-event-log/1"
DEFAULT_LIMIT, MAX_LIMIT = 1000, 10_000


@bp.route("/events")
def events():
    since, after, limit = since_arg(), after_arg(), limit_arg(default=DEFAULT_LIMIT, most=MAX_LIMIT)
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
