"""Dashboard pages, a question's timeline and CSV exports: parse the filters, ask routing.analytics, render.

Every table on a page has a CSV export with the same filters (`/analytics/<table>.csv`), and
`/analytics/events.csv` is the whole event log of the selected questions for process-mining tools
(the same columns as GET /api/v1/events, see app.analytics.api).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, render_template, request, stream_with_context, url_for
from sqlalchemy import select

from app.analytics import bp
from app.analytics.charts import bar_chart, duration, histogram, line_chart, percent, route_diagram
from app.extensions import db
from app.web import local_timezone, now
from knowledge.models import Topic
from routing.analytics import (
    EVENT_LOG_COLUMNS,
    Filters,
    Period,
    event_log,
    expert_load,
    flow,
    overview,
    question_timeline,
    self_service,
)
from routing.models import CHANNELS
from routing.worklists import question_by_reference

DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366  # a bound on the work one page view may ask for


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
        abort(400, "Give the period as dates: from=YYYY-MM-DD and to=YYYY-MM-DD.")
    if last < first:
        abort(400, "The period ends before it starts.")
    if (last - first).days >= MAX_DAYS:
        abort(400, f"Choose a period of at most {MAX_DAYS} days.")
    topic_id = None
    if args.get("topic"):
        topic_id = db.session.scalar(select(Topic.id).where(Topic.slug == args["topic"]))
        if topic_id is None:
            abort(400, f"Unknown topic {args['topic']!r}.")
    channel = args.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        abort(400, f"channel must be one of {', '.join(CHANNELS)}.")
    return Filters(Period(first, last, zone), topic_id, channel)


@bp.context_processor
def _page_helpers():
    """What every analytics template uses: the filter form's choices and the number formats."""
    def csv_url(table: str) -> str:
        return url_for("analytics.table_csv", table=table, **request.args.to_dict())

    def topics():
        return db.session.scalars(select(Topic).order_by(Topic.name)).all()

    return {"duration": duration, "percent": percent, "csv_url": csv_url, "filter_topics": topics,
            "channels": CHANNELS}


def _render(template: str, filters: Filters, **context):
    return render_template(template, filters=filters, period=filters.period, **context)


# --- pages -----------------------------------------------------------------------------------------------

@bp.route("/")
def dashboard():
    filters = _filters()
    figures = overview(db.session, filters, now())
    return _render("analytics/overview.html", filters, figures=figures, charts=_overview_charts(figures))


@bp.route("/flow")
def flow_page():
    filters = _filters()
    figures = flow(db.session, filters)
    return _render("analytics/flow.html", filters, figures=figures, charts=_flow_charts(figures))


@bp.route("/self-service")
def self_service_page():
    filters = _filters()
    figures = self_service(db.session, filters)
    return _render("analytics/self_service.html", filters, figures=figures, charts=_self_service_charts(figures))


@bp.route("/load")
def load_page():
    filters = _filters()
    figures = expert_load(db.session, filters, now())
    chosen = request.args.get("expert", type=int)
    return _render("analytics/load.html", filters, figures=figures, chosen=chosen,
                   charts=_load_charts(figures, chosen))


@bp.route("/questions/<reference>")
def timeline(reference: str):
    question = question_by_reference(db.session, reference)
    if question is None:
        abort(404, f"There is no question {reference}.")
    steps = question_timeline(db.session, question)
    return render_template("analytics/timeline.html", question=question, timeline=steps,
                           route=route_diagram(steps.route, title=f"Route of {question.reference}"))


# --- charts (presentation of the figures the pages show) ------------------------------------------------

def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def _hours_label(hours: float) -> str:
    return duration(hours * 3600)


def _overview_charts(figures) -> dict:
    weeks = [w.week.strftime("%d %b") for w in figures.weeks]
    return {
        "answer_by_topic": bar_chart([(t.topic, _hours(t.answer.median)) for t in figures.topics[:15]],
                                     title="Median time to answer per topic", value_format=_hours_label),
        "trend": line_chart(weeks, [
            ("Median time to first response", [_hours(w.first_response.median) for w in figures.weeks]),
            ("Median time to answer", [_hours(w.answer.median) for w in figures.weeks]),
            ("p90 time to answer", [_hours(w.answer.p90) for w in figures.weeks]),
        ], title="Time to first response and to answer per week", value_format=_hours_label),
        "sla_by_topic": bar_chart([(t.topic, None if t.sla.compliance is None else 100 * t.sla.compliance)
                                   for t in figures.topics[:15]], title="SLA compliance per topic", unit="%"),
        "sla_trend": line_chart(weeks, [("Breaches", [w.sla.breached for w in figures.weeks]),
                                        ("Kept", [w.sla.met for w in figures.weeks])],
                                title="Promises kept and broken per week"),
    }


def _flow_charts(figures) -> dict:
    return {
        "handoffs": histogram(figures.handoffs, title="Handoffs per routed question", x_label="handoffs"),
        "waits": bar_chart([(f"{w.after} → {w.before}", _hours(w.mean)) for w in figures.waits[:10]],
                           title="Where questions wait: mean time between steps", value_format=_hours_label),
        "routes": [route_diagram(r.owners, title=f"{r.questions} questions") for r in figures.routes],
    }


def _self_service_charts(figures) -> dict:
    return {
        "fcr": bar_chart([(c.channel, None if c.share is None else 100 * c.share) for c in figures.channels],
                         title="First-contact resolution per channel", unit="%"),
        "gaps": bar_chart([(g.query, g.searches) for g in figures.zero_result_queries[:10]],
                          title="Most frequent searches without results"),
        "uncovered": bar_chart([(t.topic, t.routed_questions) for t in figures.uncovered_topics[:10]],
                               title="Routed questions on topics without a published article"),
    }


def _load_charts(figures, chosen: int | None) -> dict:
    days = [d.strftime("%d %b") for d in figures.days]
    charts = {
        "total": line_chart(days, [("Open questions owned", list(figures.total)),
                                   ("Capacity", [figures.capacity] * len(days))],
                            title="Open questions owned by all experts against their capacity", dashed=("Capacity",)),
        "peaks": bar_chart([(e.name, e.peak) for e in figures.experts[:15]],
                           title="Highest load per expert in the period"),
    }
    expert = next((e for e in figures.experts if e.user_id == chosen), None)
    if expert is not None:
        charts["expert"] = line_chart(days, [(expert.name, list(expert.daily)),
                                             ("Capacity", [expert.capacity] * len(days))],
                                      title=f"Open questions of {expert.name}", dashed=("Capacity",))
    return charts


# --- CSV -------------------------------------------------------------------------------------------------

def _topic_rows(figures) -> Iterable[tuple]:
    for t in figures.topics + (figures.total,):
        yield (t.topic, t.questions, t.first_response.count, t.first_response.median, t.first_response.p90,
               t.answer.count, t.answer.median, t.answer.p90, t.sla.met, t.sla.breached, t.sla.pending,
               t.sla.compliance, t.escalations, t.reroutes, t.forwards)


TIMES = ("count", "median_s", "p90_s")
CSV_TABLES = {
    # name: (domain function, header, rows from its result)
    "topics": ("overview", ("topic", "questions", *(f"first_response_{c}" for c in TIMES),
                            *(f"answer_{c}" for c in TIMES), "sla_met", "sla_breached", "sla_pending",
                            "sla_compliance", "escalations", "reroutes", "forwards"), _topic_rows),
    "weeks": ("overview", ("week", "questions", "first_response_median_s", "first_response_p90_s", "answer_median_s",
                           "answer_p90_s", "sla_met", "sla_breached", "sla_pending"),
              lambda f: ((w.week, w.questions, w.first_response.median, w.first_response.p90, w.answer.median,
                          w.answer.p90, w.sla.met, w.sla.breached, w.sla.pending) for w in f.weeks)),
    "breaches": ("overview", ("reference", "topic", "due_at", "answered_at", "late_s"),
                 lambda f: ((b.reference, b.topic, b.due_at, b.answered_at, int(b.late.total_seconds()))
                            for b in f.breaches)),
    "handoffs": ("flow", ("handoffs", "questions"), lambda f: f.handoffs),
    "routes": ("flow", ("route", "questions"), lambda f: ((" → ".join(r.owners), r.questions) for r in f.routes)),
    "waits": ("flow", ("after", "before", "count", "mean_s", "p90_s"),
              lambda f: ((w.after, w.before, w.count, round(w.mean, 1), w.p90) for w in f.waits)),
    "channels": ("self_service", ("channel", "questions", "answered_from_kb", "share"),
                 lambda f: ((c.channel, c.questions, c.answered_from_kb, c.share) for c in f.channels + (f.total,))),
    "deflection": ("self_service", ("public_searches", "without_question", "share"),
                   lambda f: [(f.deflection.public_searches, f.deflection.without_question, f.deflection.share)]),
    "zero-result-queries": ("self_service", ("query", "searches", "last_searched"),
                            lambda f: ((g.query, g.searches, g.last_searched) for g in f.zero_result_queries)),
    "uncovered-topics": ("self_service", ("topic", "slug", "routed_questions"),
                         lambda f: ((t.topic, t.slug, t.routed_questions) for t in f.uncovered_topics)),
    "expert-load": ("expert_load", ("expert", "capacity", "day", "open_questions"),
                    lambda f: ((e.name, e.capacity, day, n) for e in f.experts for day, n in zip(f.days, e.daily))),
}
DOMAIN = {"overview": lambda s, f: overview(s, f, now()), "flow": flow,
          "self_service": lambda s, f: self_service(s, f, limit=1000),
          "expert_load": lambda s, f: expert_load(s, f, now())}


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
    if table not in CSV_TABLES:
        abort(404, f"There is no table {table!r} to export.")
    filters = _filters()
    domain, header, rows = CSV_TABLES[table]
    return _csv_response(table, header, rows(DOMAIN[domain](db.session, filters)))
