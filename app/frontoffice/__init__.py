"""The agent's desk: search during the call, take in and route questions."""
from flask import Blueprint

from app.web import require_role

bp = Blueprint("frontoffice", __name__)
bp.before_request(require_role("agent"))

from app.frontoffice import routes  # noqa: E402,F401
