"""What a report is: its query, the CSV tables it exports and the charts it draws, in one entry.

Each report module (`response_times`, `handoffs`, `resolution`, `load`) ends with its `REPORT`; the
web layer shows each on a page of its own (`analytics/<name>.html`), exports every table as
`<table>.csv` and draws every chart. So a new report is one module here, one line in the web layer's
list of pages, and its template.

Charts are described, not drawn: a chart names its kind, its title, its values and what the values
are (counts, seconds, shares), and the web layer turns that into SVG (`app.analytics.charts.draw`).
Nothing here knows about Flask, HTML or SVG.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from routing.analytics.cohort import Filters

# What a chart's values are: the web layer draws seconds as hours and shares (0–1) as percentages.
COUNT, SECONDS, SHARE = "count", "seconds", "share"


@dataclass(frozen=True)
class Bars:
    """Horizontal bars, one per (label, value); None is a bar without a value."""

    title: str
    bars: Sequence[tuple[str, float | None]]
    unit: str = COUNT


@dataclass(frozen=True)
class Lines:
    """One line per (name, values) over the days or weeks `x`; None leaves a gap."""

    title: str
    x: Sequence[date]
    series: Sequence[tuple[str, Sequence[float | None]]]
    unit: str = COUNT
    dashed: tuple[str, ...] = ()  # the names of the series drawn dashed (a capacity, not a count)


@dataclass(frozen=True)
class Histogram:
    """Vertical bars of counts per bin."""

    title: str
    bins: Sequence[tuple[str, int]]
    x_label: str = ""


@dataclass(frozen=True)
class Route:
    """The owners of a question in order: who → who."""

    title: str
    owners: Sequence[str]


@dataclass(frozen=True)
class Table:
    """One CSV export: its name (`<name>.csv`), its header and its rows, read from the report's figures."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[Any], Iterable[Sequence]]


Query = Callable[[Session, Filters, datetime], Any]


@dataclass(frozen=True)
class Report:
    name: str  # the template is analytics/<name>.html
    title: str  # the page's tab
    query: Query  # (session, filters, now) → the figures the page shows
    tables: tuple[Table, ...]
    charts: Callable[..., dict]  # (figures, **options) → {name: a chart, or a list of charts}
    # Whole-number query arguments of the page (e.g. the expert to draw), given to charts and the template.
    options: tuple[str, ...] = ()
    # The query for the CSV tables, where an export gives more than the page shows (longer lists).
    export_query: Query | None = field(default=None)

    @property
    def export(self) -> Query:
        return self.export_query or self.query
