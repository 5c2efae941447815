"""The editor's desk: drafts to review, articles to publish and keep fresh."""
from flask import Blueprint

from app.web import require_role

bp = Blueprint("editor", __name__)
bp.before_request(require_role("editor"))

from app.editor import routes, routes_workflow  # noqa: E402,F401
