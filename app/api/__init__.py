"""JSON API for integrations: /api/v1."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes  # noqa: E402,F401
