"""Exceptions of the routing floor. Views translate them into form errors or 4xx responses.

    RoutingError
     ├── InvalidQuestion     the input breaks a rule (empty text, unknown channel, …)
     └── WrongState          the question is not in a state that allows this step
"""
from __future__ import annotations


class RoutingError(Exception):
    """Base of every error the routing floor raises on purpose."""


class InvalidQuestion(RoutingError):
    """The input breaks a rule; `str(error)` says which, in words a customer can read.

    `field` names the part of the input at fault, as a path in `NewQuestion` ("text", "topic",
    "customer.email", …), or is None when the rule is about no one field. Intake checks every rule at
    once: `problems` holds each field at fault with its message (the first one is the error's own), so
    a form can show each beside its field.
    """

    def __init__(self, message: str, field: str | None = None, problems: dict[str, str] | None = None):
        super().__init__(message)
        self.field = field
        self.problems = problems if problems is not None else ({field: message} if field else {})


class WrongState(RoutingError):
    pass
