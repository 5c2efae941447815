"""The expert's inbox: routed questions, ordered by their promised time."""
from flask import Blueprint

from app.web import require_role

bp = Blueprint("inbox", __name__)
bp.before_request(require_role("expert"))

from app.inbox import routes  # noqa: E402,F401
