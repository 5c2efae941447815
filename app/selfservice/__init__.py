"""Public pages for customers: no account needed."""
from flask import Blueprint

bp = Blueprint("selfservice", __name__)

from app.selfservice import routes  # noqa: E402,F401
