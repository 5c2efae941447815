"""Charts drawn on the server as inline SVG: a bar chart, a line chart, a histogram and a route.

No JavaScript and no CDN: the figures are in the page as soon as it arrives, print well, and work
behind any firewall. Every label is escaped here (labels include customers' search words), so the
returned Markup can go into a template as it is. `draw` turns the charts a report describes
(routing.analytics.report) into these: durations drawn in hours, shares in percent, and says their titles,
names and numbers in the reader's language (the report's texts are msgids).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from flask_babel import format_date, format_decimal, format_percent, gettext as _
from markupsafe import Markup, escape

from app.i18n import translated

from routing.analytics.report import SECONDS, SHARE, Bars, Histogram, Lines, Route

PALETTE = ("#0b5cad", "#d97706", "#067647", "#b42318", "#7a5af8", "#5b6776")
INK, MUTED, LINE = "#1d2733", "#5b6776", "#dfe4ea"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
MAX_LABEL = 40
CHAR_WIDTH = 7.4  # px of an average character at the charts' font size: labels get the room they need


def duration(seconds: float | None) -> str:
    """Seconds as people say them: '40 min', '1 h 35 min', '2 d 3 h'."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return _("%(seconds)s s", seconds=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return _("%(minutes)s min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes) if minutes else \
            _("%(hours)s h", hours=hours)
    days, hours = divmod(hours, 24)
    return _("%(days)s d %(hours)s h", days=days, hours=hours) if hours else _("%(days)s d", days=days)


def percent(share: float | None) -> str:
    return "—" if share is None else format_percent(share)


def _number(value: float) -> str:
    return format_decimal(value, "#,##0") if value == int(value) else format_decimal(value, "#,##0.0")


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "…"


def _nice_ceiling(value: float) -> float:
    """The next round number at or above value (1, 2, 2.5, 5 × 10ⁿ), so axis ticks read easily."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    title = escape(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" role="img" aria-label="{title}" {FONT}><title>{title}</title>'
        + "".join(body) + "</svg>")


def _empty(title: str, width: int = 640) -> Markup:
    nothing = escape(_("No data for this selection"))
    return _svg(width, 60, title, [f'<text x="{width // 2}" y="35" text-anchor="middle" fill="{MUTED}">'
                                   f'{nothing}</text>'])


def bar_chart(bars: Sequence[tuple[str, float | None]], *, title: str, unit: str = "",
              value_format: Callable[[float], str] | None = None, width: int = 640,
              reference: float | None = None, reference_label: str = "") -> Markup:
    """Horizontal bars, one per (label, value), values written at the end of each bar.
    `reference` draws a dashed line across (e.g. capacity)."""
    if not bars:
        return _empty(title, width)
    fmt = value_format or (lambda v: _number(v) + unit)
    row, top = 24, 8
    # Room for the longest label as shown, so none is cut off at the chart's left edge; the plot keeps 300 px.
    label_width = int(min(max(max(len(_short(label)) for label, _ in bars) * CHAR_WIDTH + 16, 80), 330))
    width = max(width, label_width + 300 + 80)
    plot = width - label_width - 80
    top_value = _nice_ceiling(max([v or 0 for _, v in bars] + [reference or 0]))
    height = top + row * len(bars) + 8
    body = []
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        length = plot * (value or 0) / top_value
        body.append(
            f'<g><title>{escape(label)}: {escape(fmt(value) if value is not None else "—")}</title>'
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{escape(_short(label))}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" rx="2" fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}" fill="{MUTED}">'
            f'{escape(fmt(value) if value is not None else "—")}</text></g>')
    if reference is not None:
        x = label_width + plot * reference / top_value
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 8}" stroke="{PALETTE[3]}" '
                    f'stroke-dasharray="4 3"/><text x="{x + 4:.1f}" y="{height - 2}" fill="{PALETTE[3]}">'
                    f'{escape(reference_label)}</text>')
        height += 6
    return _svg(width, height, title, body)


def histogram(bins: Sequence[tuple[str, int]], *, title: str, x_label: str = "", width: int = 480) -> Markup:
    """Vertical bars for counts per bin, the count above each bar."""
    if not bins or not any(n for _, n in bins):
        return _empty(title, width)
    left, top, plot_height, bottom = 12, 18, 160, 40
    slot = (width - 2 * left) / len(bins)
    top_value = max(n for _, n in bins)
    body = [f'<line x1="{left}" y1="{top + plot_height}" x2="{width - left}" y2="{top + plot_height}" stroke="{LINE}"/>']
    for i, (label, count) in enumerate(bins):
        h = plot_height * count / top_value
        x = left + i * slot + slot * 0.15
        body.append(
            f'<g><title>{escape(label)}: {count}</title>'
            f'<rect x="{x:.1f}" y="{top + plot_height - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{x + slot * 0.35:.1f}" y="{top + plot_height - h - 4:.1f}" text-anchor="middle" '
            f'fill="{MUTED}">{format_decimal(count)}</text>'
            f'<text x="{x + slot * 0.35:.1f}" y="{top + plot_height + 16}" text-anchor="middle" fill="{INK}">'
            f'{escape(_short(label))}</text></g>')
    if x_label:
        body.append(f'<text x="{width / 2:.1f}" y="{top + plot_height + 34}" text-anchor="middle" '
                    f'fill="{MUTED}">{escape(x_label)}</text>')
    return _svg(width, top + plot_height + bottom, title, body)


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
               unit: str = "", value_format: Callable[[float], str] | None = None, width: int = 640,
               height: int = 240, dashed: Sequence[str] = ()) -> Markup:
    """One line per (name, values) over shared x labels; None leaves a gap. Series named in `dashed`
    are drawn dashed (e.g. capacity)."""
    values = [v for _, vs in series for v in vs if v is not None]
    if not x_labels or not values:
        return _empty(title, width)
    fmt = value_format or (lambda v: _number(v) + unit)
    left, right, top, bottom = 70, 16, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_ceiling(max(values))
    n = len(x_labels)

    def x(i):
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v):
        return top + plot_h - plot_h * v / top_value

    body = []
    for k in range(5):
        v = top_value * k / 4
        body.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}" stroke="{LINE}"/>'
                    f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="{MUTED}">{escape(fmt(v))}</text>')
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            body.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{MUTED}">'
                        f'{escape(_short(label))}</text>')
    for s, (name, vs) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        dash = ' stroke-dasharray="6 4"' if name in dashed else ""
        run: list[str] = []
        for i, v in enumerate(list(vs) + [None]):
            if v is None:
                if run:
                    body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                                f'stroke-width="2"{dash}/>')
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
            if not dash:
                body.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>'
                            f'{escape(name)}, {escape(x_labels[i])}: {escape(fmt(v))}</title></circle>')
        lx = left + s * 170
        body.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="4" fill="{colour}"/>'
                    f'<text x="{lx + 16}" y="{height - 9}" fill="{INK}">{escape(_short(name))}</text>')
    return _svg(width, height, title, body)


def route_diagram(owners: Sequence[str], *, title: str = "Route") -> Markup:
    """The owners of a question in order, as boxes joined by arrows: who → who."""
    if not owners:
        return _empty(title, 320)
    # Each box as wide as the longest name needs, so no name is cut (at least 150 px).
    box, gap, height = max(150, int(max(len(_short(o)) for o in owners) * CHAR_WIDTH + 20)), 36, 52
    width = len(owners) * box + (len(owners) - 1) * gap + 4
    body = [f'<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/></marker></defs>']
    for i, owner in enumerate(owners):
        x = 2 + i * (box + gap)
        body.append(f'<g><title>{i + 1}. {escape(owner)}</title><rect x="{x}" y="8" width="{box}" height="36" rx="6" '
                    f'fill="#eef4ff" stroke="{PALETTE[0]}"/><text x="{x + box / 2}" y="30" text-anchor="middle" '
                    f'fill="{INK}">{escape(_short(owner))}</text></g>')
        if i:
            body.append(f'<line x1="{x - gap + 2}" y1="26" x2="{x - 2}" y2="26" stroke="{MUTED}" '
                        f'stroke-width="1.5" marker-end="url(#arrow)"/>')
    return _svg(width, height, title, body)


# --- the charts a report describes ----------------------------------------------------------------------

def draw(chart):
    """The SVG of a chart a report describes (a list of them: a list of SVGs)."""
    if isinstance(chart, list):
        return [draw(one) for one in chart]
    if isinstance(chart, Bars):
        return bar_chart([(translated(label), _scaled(value, chart.unit)) for label, value in chart.bars],
                         title=translated(chart.title), **_value_format(chart.unit))
    if isinstance(chart, Lines):
        return line_chart([format_date(day, "dd MMM") for day in chart.x],
                          [(translated(name), [_scaled(value, chart.unit) for value in values])
                           for name, values in chart.series],
                          title=translated(chart.title), dashed=tuple(translated(name) for name in chart.dashed),
                          **_value_format(chart.unit))
    if isinstance(chart, Histogram):
        return histogram(chart.bins, title=translated(chart.title), x_label=translated(chart.x_label))
    if isinstance(chart, Route):
        return route_diagram([translated(owner) for owner in chart.owners], title=translated(chart.title))
    raise TypeError(f"No way to draw {chart!r}.")


def _scaled(value: float | None, unit: str) -> float | None:
    """Seconds as hours and shares as percentages, the numbers the axes are drawn in."""
    if value is None or unit not in (SECONDS, SHARE):
        return value
    return value / 3600 if unit == SECONDS else 100 * value


def _value_format(unit: str) -> dict:
    if unit == SECONDS:
        return {"value_format": lambda hours: duration(hours * 3600)}
    return {"unit": "%"} if unit == SHARE else {}
