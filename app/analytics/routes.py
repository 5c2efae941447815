"""Dashboard pages, a question's timeline and CSV exports: parse the filters, ask routing.analytics, render.

Each page shows one report (`PAGES`; a report is its query, CSV tables and charts, see
routing.analytics.report) through the same view: its figures, its charts drawn, its template
`analytics/<report name>.html`. Every table on a page has a CSV export with the same filters
(`/analytics/<table>.csv`), and `/analytics/events.csv` is the whole event log of the selected
questions for process-mining tools (the same columns as GET /api/v1/events, see app.api.events).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask import Response, abort, render_template, request, stream_with_context, url_for
from sqlalchemy import select

from app.analytics import bp
from app.analytics.charts import draw, duration, percent, route_diagram
from app.extensions import db
from app.web import local_timezone, now
from knowledge.catalogue import topic_with_slug
from knowledge.models import Topic
from routing.analytics import (
    EVENT_LOG_COLUMNS,
    HANDOFFS,
    LOAD,
    RESOLUTION,
    RESPONSE_TIMES,
    Filters,
    Period,
    Report,
    event_log,
    question_timeline,
)
from routing.models import CHANNELS
from routing.worklists import question_by_reference

DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366  # a bound on the work one page view may ask for

# The dashboard's pages in the order of its tabs: the address, the endpoint (templates and the access
# policy name it) and the report it shows.
PAGES = (
    ("/", "dashboard", RESPONSE_TIMES),
    ("/flow", "flow_page", HANDOFFS),
    ("/self-service", "self_service_page", RESOLUTION),
    ("/load", "load_page", LOAD),
)
TABLES = {table.name: (report, table) for _, _, report in PAGES for table in report.tables}


# --- filters ---------------------------------------------------------------------------------------------

def _filters() -> Filters:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD&topic=<slug>&channel=<channel>; the last 12 weeks by default."""
    args, zone = request.args, local_timezone()
    today = now().astimezone(ZoneInfo(zone)).date()
    default = Period.last_weeks(today, DEFAULT_WEEKS, zone)
    try:
        first = date.fromisoformat(args["from"]) if args.get("from") else default.first_day
        last = date.fromisoformat(args["to"]) if args.get("to") else default.last_day
    except ValueError:
        abort(400, _("Give the period as dates: from=YYYY-MM-DD and to=YYYY-MM-DD."))
    if last < first:
        abort(400, _("The period ends before it starts."))
    if (last - first).days >= MAX_DAYS:
        abort(400, _("Choose a period of at most %(days)s days.", days=MAX_DAYS))
    topic_id = None
    if args.get("topic"):
        topic = topic_with_slug(db.session, args["topic"])
        if topic is None:
            abort(400, _("Unknown topic %(topic)s.", topic=repr(args["topic"])))
        topic_id = topic.id
    channel = args.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        abort(400, _("channel must be one of %(channels)s.", channels=", ".join(CHANNELS)))
    return Filters(Period(first, last, zone), topic_id, channel)


@bp.context_processor
def _page_helpers():
    """What every analytics template uses: the filter form's choices and the number formats."""
    def csv_url(table: str) -> str:
        return url_for("analytics.table_csv", table=table, **request.args.to_dict())

    def topics():  # in the order people read them: by their path, "Taxes › Dog tax" under "Taxes"
        return sorted(db.session.scalars(select(Topic)).all(), key=lambda t: t.path.casefold())

    return {"duration": duration, "percent": percent, "csv_url": csv_url, "filter_topics": topics,
            "channels": CHANNELS, "tabs": [(f"analytics.{endpoint}", report.title) for _, endpoint, report in PAGES]}


def _render(template: str, filters: Filters, **context):
    return render_template(template, filters=filters, period=filters.period, **context)


# --- pages -----------------------------------------------------------------------------------------------

def _report_page(report: Report):
    """The view of a report's page: its figures for the filters, its charts drawn, its template."""
    def page():
        filters = _filters()
        figures = report.query(db.session, filters, now())
        options = {name: request.args.get(name, type=int) for name in report.options}
        charts = {name: draw(chart) for name, chart in report.charts(figures, **options).items()}
        return _render(f"analytics/{report.name}.html", filters, figures=figures, charts=charts, **options)
    return page


for path, endpoint, report in PAGES:
    bp.add_url_rule(path, endpoint, _report_page(report))


@bp.route("/questions/<reference>")
def timeline(reference: str):
    question = question_by_reference(db.session, reference)
    if question is None:
        abort(404, _("There is no question %(reference)s.", reference=reference))
    steps = question_timeline(db.session, question)
    return render_template("analytics/timeline.html", question=question, timeline=steps,
                           route=route_diagram(steps.route,
                                               title=_("Route of %(reference)s", reference=question.reference)))


# --- CSV -------------------------------------------------------------------------------------------------

def _cell(value) -> str:
    """Plain text a spreadsheet will not run: customer words starting with =, +, - or @ are quoted."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(round(value, 4))
    text = str(value)
    return "'" + text if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterable[str]:
    """Streamed in chunks, so a large export never sits in memory whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell(value) for value in row])
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_response(name: str, header, rows, *, stream: bool = False) -> Response:
    body = stream_with_context(_csv_lines(header, rows)) if stream else "".join(_csv_lines(header, rows))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="vraagbaak-{name}.csv"'})


@bp.route("/events.csv")
def events_csv():
    """Every event of the selected questions, for process-mining tools (PM4Py, Celonis, Disco)."""
    filters = _filters()
    return _csv_response("events", EVENT_LOG_COLUMNS,
                         (e.as_row() for e in event_log(db.session, filters=filters)), stream=True)


@bp.route("/<table>.csv")
def table_csv(table: str):
    if table not in TABLES:
        abort(404, _("There is no table %(table)s to export.", table=repr(table)))
    filters = _filters()
    report, export = TABLES[table]
    return _csv_response(table, export.columns, export.rows(report.export(db.session, filters, now())))
