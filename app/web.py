"""What every blueprint shares: the clock reading, role guards, registration of blueprints, and the
process's background threads started on its first request."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, time

from flask import Flask, abort, current_app, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from app.extensions import login_manager
from knowledge.base import utcnow
from routing.sla import DEFAULT_BUSINESS_HOURS, DEFAULT_TIMEZONE, BusinessHours

# Where each role lands after signing in, in order of precedence for people with several roles.
ROLE_HOMES = (
    ("agent", "frontoffice.home"),
    ("expert", "inbox.home"),
    ("editor", "editor.home"),
    ("admin", "admin.home"),
)


# Ids are 32-bit integers in PostgreSQL: no row has a bigger one, and the databases refuse to even
# compare numbers far beyond it (an error, not "not found").
MAX_ID = 2**31 - 1


def database_id(value: str) -> int:
    """A submitted id (`request.args.get("s", type=database_id)`): a word, or a number no row can have,
    raises ValueError, so the argument counts as not given."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"{value!r} is not an id")
    return number


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` in every route: a number no row can have does not match (404) rather than reach the database."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def now() -> datetime:
    """The clock reading for this request; tests may set CLOCK in the config to move time."""
    return current_app.config.get("CLOCK", utcnow)()


def local_timezone() -> str:
    """The organisation's IANA zone (config TIMEZONE): opening hours, periods and times people read are in it."""
    return current_app.config.get("TIMEZONE", DEFAULT_TIMEZONE)


def business_hours() -> BusinessHours:
    """Opening hours that promises are counted in: BUSINESS_HOURS = {"mon": ("08:30", "17:00"), …}."""
    configured = current_app.config.get("BUSINESS_HOURS")
    if not configured:
        return BusinessHours(DEFAULT_BUSINESS_HOURS, local_timezone())
    week = {day: (time.fromisoformat(a), time.fromisoformat(b)) for day, (a, b) in configured.items()}
    return BusinessHours(week, local_timezone())


def staff_role(preferred: str | None = None) -> str:
    """The role someone searches in: 'public' for customers, else their role on this page."""
    if not current_user.is_authenticated or not current_user.roles:
        return "public"
    if preferred in current_user.roles:
        return preferred
    return next(role for role, _ in ROLE_HOMES if current_user.has_role(role))


def require_role(*roles: str):
    """A blueprint guard: anonymous → sign-in page (401 for the API), wrong role → 403."""

    def guard():
        if request.endpoint in (None, "static"):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)
        return None

    return guard


def start_on_first_request(app: Flask, *, enabled_by: str, target: Callable[[Flask], None], name: str) -> None:
    """Run `target(app)` in a daemon thread once per process, on its first request, if the setting
    `enabled_by` allows it. On the first request, not at start-up: gunicorn forks its workers after
    importing the app, and a thread started before the fork would live only in the master. Two first
    requests arriving together start one thread (checked again under a lock)."""
    started, lock = threading.Event(), threading.Lock()

    @app.before_request
    def start_once():
        if started.is_set() or not app.config[enabled_by]:
            return
        with lock:
            if started.is_set():
                return
            started.set()
        threading.Thread(target=target, args=(app,), name=name, daemon=True).start()


def register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.analytics import bp as analytics_bp
    from app.api import bp as api_bp
    from app.api.events import bp as events_api_bp
    from app.editor import bp as editor_bp
    from app.frontoffice import bp as frontoffice_bp
    from app.inbox import bp as inbox_bp
    from app.selfservice import bp as selfservice_bp

    for bp, url_prefix in (
        (selfservice_bp, None),
        (frontoffice_bp, "/frontoffice"),
        (inbox_bp, "/inbox"),
        (editor_bp, "/editor"),
        (admin_bp, "/admin"),
        (api_bp, "/api/v1"),
        (analytics_bp, "/analytics"),
        (events_api_bp, "/api/v1"),
    ):
        app.register_blueprint(bp, url_prefix=url_prefix)
