"""The one JSON error body of /api/v1, and of every other JSON error the app sends.

    {"error": "bad_limit", "message": "limit must be a whole number from 1 to 50."}

`error` is a stable code for programs, `message` a sentence for people. Built here only: the API's
views, its argument parser, the app-wide 4xx/5xx handlers, the sign-in guard and the rate limiter all
call `error_response`.
"""
from typing import NoReturn

from flask import Response, abort, jsonify, make_response


def error_response(status: int, error: str, message: str) -> tuple[Response, int]:
    """The body and status, as a view returns them (`return error_response(404, "not_found", "…")`)."""
    return jsonify({"error": error, "message": message}), status


def refuse(status: int, error: str, message: str) -> NoReturn:
    """Stop the request here with this error: for helpers that a view calls, such as the argument parser."""
    abort(make_response(error_response(status, error, message)))
