"""Error pages: plain words for people, JSON for the API, never a stack trace."""
from __future__ import annotations

import re

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.api.errors import error_response
from app.extensions import db

_SURROGATE = re.compile("[\ud800-\udfff]")
# Query arguments that are free text, which their views clean (a search for "\x00bin" finds bins);
# every other argument names something (a topic, a token, a date, a number) that no NUL can be part of.
FREE_TEXT_ARGS = {"q"}


def wants_json() -> bool:
    """Whether an error is answered in JSON (`app.api.errors.error_response`) rather than as a page."""
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_unstorable_characters():
        """A NUL character in the address or a submitted value, or a lone surrogate (a JSON escape such as
        "\\ud800"), is never meant, and no database here can store or even compare it (PostgreSQL refuses
        NUL, UTF-8 refuses lone surrogates): refuse the request whole (400) rather than fail halfway (500)."""
        if "\x00" in request.path or any("\x00" in value for name, value in request.args.items(multi=True)
                                         if name not in FREE_TEXT_ARGS):
            return _respond(400, "bad_characters", "The address contains a NUL character.")
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        if request.is_json:
            try:
                values = _strings_in(request.get_json(silent=True))
            except RecursionError:  # the parser's own limit on nesting, reached by a sender's choice
                return _respond(400, "invalid_json", "The JSON is nested too deeply.")
        else:
            values = [value for values in request.form.listvalues() for value in values]
        if any("\x00" in value or _SURROGATE.search(value) for value in values):
            return _respond(400, "bad_characters",
                            "The request contains a NUL character or a broken Unicode escape; remove it and try again.")
        return None

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError):
        message = "This form has expired or was not sent from Vraagbaak. Reload the page and try again."
        return _respond(400, "csrf_failed", message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _respond(error.code or 500, error.name.lower().replace(" ", "_"), error.description)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _respond(500, "internal_error", InternalServerError.description)


def _respond(status: int, code: str, message: str):
    if wants_json():
        return error_response(status, code, message)
    return render_template("error.html", status=status, message=message), status


def _strings_in(value) -> list[str]:
    """Every string in parsed JSON, keys too, walked without recursion: the depth is the sender's choice."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
