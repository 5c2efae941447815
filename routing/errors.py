"""Exceptions of the routing floor. Views translate them into form errors or 4xx responses.

    RoutingError
     ├── InvalidQuestion     the input breaks a rule (empty text, unknown channel, …)
     └── WrongState          the question is not in a state that allows this step
"""


class RoutingError(Exception):
    """Base of every error the routing floor raises on purpose."""


class InvalidQuestion(RoutingError):
    pass


class WrongState(RoutingError):
    pass
