"""Process analytics: what the organisation learns from the routes its questions took.

Every figure follows from the append-only events (plus the question's channel, topic, status and
promise). Pages read the facts routing.events derives from them as they are recorded — one row per
question (`QuestionFacts`), per wait between steps (`StepWait`) and per stretch of ownership
(`Ownership`) — and aggregate those with GROUP BY: a page never walks the event table. Functions take
a session and `Filters` (and `now` where open questions count) and return frozen dataclasses; nothing
here knows about Flask.

One module per report, each with its definitions (what the numbers on the dashboard mean exactly),
its dataclasses, its query and its `REPORT` (CSV tables and charts, see `report`):

- `cohort`: which questions a figure counts (`Period`, `Filters`), times, medians and p90s.
- `response_times`: time to first response and to answer, SLA, escalations per topic and week (`overview`).
- `handoffs`: handoffs, routes and where questions wait (`flow`).
- `resolution`: first-contact resolution, self-service deflection, knowledge gaps (`self_service`).
- `load`: each expert's open questions per day against capacity (`expert_load`).
- `timeline`: one question's steps, for its page (`question_timeline`).
- `process_mining`: the event log for process-mining tools (`event_log`).

The web layer lists the reports it shows, in the order of the dashboard's tabs (`app.analytics.routes.PAGES`).
"""
from routing.analytics.cohort import Filters, Period, Times
from routing.analytics.handoffs import REPORT as HANDOFFS
from routing.analytics.handoffs import Flow, RouteCount, Wait, flow
from routing.analytics.load import REPORT as LOAD
from routing.analytics.load import ExpertLoad, Load, expert_load
from routing.analytics.process_mining import EVENT_LOG_COLUMNS, LoggedEvent, event_log, iso_utc
from routing.analytics.report import Report, Table
from routing.analytics.resolution import REPORT as RESOLUTION
from routing.analytics.resolution import (
    ChannelResolution,
    Deflection,
    GapQuery,
    SelfService,
    UncoveredTopic,
    self_service,
)
from routing.analytics.response_times import REPORT as RESPONSE_TIMES
from routing.analytics.response_times import Breach, Overview, Sla, TopicFigures, WeekFigures, overview
from routing.analytics.timeline import Timeline, TimelineStep, question_timeline

__all__ = [
    "EVENT_LOG_COLUMNS", "HANDOFFS", "LOAD", "RESOLUTION", "RESPONSE_TIMES", "Breach", "ChannelResolution",
    "Deflection", "ExpertLoad", "Filters", "Flow", "GapQuery", "Load", "LoggedEvent", "Overview", "Period",
    "Report", "RouteCount", "SelfService", "Sla", "Table", "Times", "Timeline", "TimelineStep", "TopicFigures",
    "UncoveredTopic", "Wait", "WeekFigures", "event_log", "expert_load", "flow", "iso_utc", "overview",
    "question_timeline", "self_service",
]
