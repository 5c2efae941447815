"""Process memory and analytics for admins and editors: timelines, dashboards, CSV exports."""
from flask import Blueprint

from app.web import require_role

bp = Blueprint("analytics", __name__, url_prefix="/analytics")
bp.before_request(require_role("admin", "editor"))

from app.analytics import routes  # noqa: E402,F401
