"""Administration: people and their roles, topics."""
from flask import Blueprint

from app.web import require_role

bp = Blueprint("admin", __name__)
bp.before_request(require_role("admin"))

from app.admin import routes  # noqa: E402,F401
