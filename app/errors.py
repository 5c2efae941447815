"""Error pages: plain words for people, JSON for the API, never a stack trace."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        """A NUL character in a submitted value is never meant and PostgreSQL cannot store it:
        refuse the request whole (400) rather than fail halfway (500)."""
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        if request.is_json:
            raw = request.get_data(cache=True)
            found = b"\x00" in raw or b"\\u0000" in raw
        else:
            found = any("\x00" in value for value in request.form.values())
        if found:
            return _respond(400, "bad_characters", "The request contains a NUL character; remove it and try again.")
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
        return jsonify({"error": code, "message": message}), status
    return render_template("error.html", status=status, message=message), status
