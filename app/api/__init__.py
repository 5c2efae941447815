"""JSON API for integrations: /api/v1.

    routes.py      the CSRF rule for cookie calls, health, search, the Markdown preview
    questions.py   intake, a question's status for its customer, the routing preview
    events.py      the event log for process miners (a blueprint of its own: admins only)
    errors.py      the one JSON error body (`error_response`)
    arguments.py   the query arguments endpoints share (`limit`, `since`, `after`)
"""
from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import questions, routes  # noqa: E402,F401
