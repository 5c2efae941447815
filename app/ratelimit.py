"""Rate limits for the public endpoints (search, ask, track): a clear 429 instead of a flood.

Fixed windows per client address and endpoint group. With REDIS_URL set, the counters live in Redis
and hold across processes and nodes; without it, each process counts on its own (embedded mode).
Signed-in staff are not limited: they are known and they search all day.
"""
from __future__ import annotations

import threading
import time

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api.errors import error_response
from app.errors import wants_json

# group → (requests, seconds)
DEFAULT_LIMITS = {"search": (120, 60), "ask": (10, 600), "track": (60, 60)}
ENDPOINT_GROUPS = {
    "api.search": "search", "selfservice.home": "search",
    "selfservice.ask": "ask", "api.create_question": "ask",
    "selfservice.track": "track", "api.question_status": "track",
}


class MemoryCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def hit(self, key: str, window: int) -> int:
        slot = int(time.time() // window)
        with self._lock:
            if len(self._counts) > 50_000:  # forget old windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= slot}
            self._counts[(key, slot)] = self._counts.get((key, slot), 0) + 1
            return self._counts[(key, slot)]


class RedisCounter:
    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url)

    def hit(self, key: str, window: int) -> int:
        slot = int(time.time() // window)
        name = f"vraagbaak:rate:{key}:{slot}"
        with self._redis.pipeline() as pipe:
            count, _ = pipe.incr(name).expire(name, window).execute()
        return int(count)


def init_app(app: Flask) -> None:
    app.config.setdefault("RATE_LIMITS", DEFAULT_LIMITS)
    app.config.setdefault("RATE_LIMIT_ENABLED", not app.testing)
    counter = RedisCounter(app.config["REDIS_URL"]) if app.config.get("REDIS_URL") else MemoryCounter()

    @app.before_request
    def limit_public_endpoints():
        group = ENDPOINT_GROUPS.get(request.endpoint or "")
        if group is None or not current_app.config["RATE_LIMIT_ENABLED"]:
            return None
        if current_user.is_authenticated and current_user.roles:
            return None
        allowed, window = current_app.config["RATE_LIMITS"][group]
        if counter.hit(f"{group}:{request.remote_addr}", window) <= allowed:
            return None
        message = _("Too many requests; please wait up to %(seconds)s seconds and try again.", seconds=window)
        if wants_json():
            response, _status = error_response(429, "rate_limited", message)
        else:
            response = render_template("error.html", status=429, message=message)
        return response, 429, {"Retry-After": str(window)}
