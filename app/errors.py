"""Error pages: plain words for people, JSON for the API, never a stack trace."""
from __future__ import annotations

import re

from flask import Flask, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.api.errors import error_response
from app.extensions import db

_SURROGATE = re.compile("[\ud800-\udfff]")
# Query arguments that are free text, which their views clean (a search for "\x00bin" finds bins);
# every other argument names something (a topic, a token, a date, a number) that no NUL can be part of.
FREE_TEXT_ARGS = {"q"}
# werkzeug's standard descriptions (its exact English, the msgids), for the codes this app answers with.
DESCRIPTIONS = {
    400: _l("The browser (or proxy) sent a request that this server could not understand."),
    401: _l("The server could not verify that you are authorized to access the URL requested. You either supplied the "
            "wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials "
            "required."),
    403: _l("You don't have the permission to access the requested resource. It is either read-protected or not "
            "readable by the server."),
    404: _l("The requested URL was not found on the server. If you entered the URL manually please check your "
            "spelling and try again."),
    405: _l("The method is not allowed for the requested URL."),
    413: _l("The data value transmitted exceeds the capacity limit."),
    415: _l("The server does not support the media type transmitted in the request."),
    429: _l("This user has exceeded an allotted request count. Try again later."),
    500: _l("The server encountered an internal error and was unable to complete your request. Either the server is "
            "overloaded or there is an error in the application."),
    503: _l("The server is temporarily unable to service your request due to maintenance downtime or capacity "
            "problems. Please try again later."),
}


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
            return _respond(400, "bad_characters", _("The address contains a NUL character."))
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        if request.is_json:
            try:
                values = _strings_in(request.get_json(silent=True))
            except RecursionError:  # the parser's own limit on nesting, reached by a sender's choice
                return _respond(400, "invalid_json", _("The JSON is nested too deeply."))
        else:
            values = [value for values in request.form.listvalues() for value in values]
        if any("\x00" in value or _SURROGATE.search(value) for value in values):
            return _respond(400, "bad_characters", _("The request contains a NUL character or a broken Unicode "
                                                     "escape; remove it and try again."))
        return None

    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError):
        message = _("This form has expired or was not sent from Vraagbaak. Reload the page and try again.")
        return _respond(400, "csrf_failed", message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _respond(error.code or 500, error.name.lower().replace(" ", "_"), _description(error))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _respond(500, "internal_error", str(DESCRIPTIONS[500]))


def _description(error: HTTPException) -> str:
    """What went wrong, in the reader's language: a view's own words (already translated where it aborted), or
    werkzeug's standard sentence for the code, which werkzeug says in English only."""
    standard = type(error).description
    if error.description == standard and error.code in DESCRIPTIONS:
        return str(DESCRIPTIONS[error.code])
    return error.description


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
