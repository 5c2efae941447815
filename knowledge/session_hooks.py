"""What a flush writes besides the objects it was given, installed on an engine by one visible call.

`register(engine)` makes every session on that engine keep the search change log (knowledge.search.changes):
a flush that changes a document logs its key in the same transaction. A session on an engine nobody
registered writes only what it was given. Nothing here, and no module of this project, registers a
listener at import: which rows a flush writes must not depend on which modules a process imported.
The app factory registers its engine through `routing.session_hooks.register`, which calls this one;
a script that builds its own engine calls the same function for it.

Why per engine, not per session class: SQLAlchemy attaches session events to a session class (or a
sessionmaker), but the change log must see *every* writer of the database: Flask-SQLAlchemy's
`db.session`, a plain `Session(db.engine)` in a background thread or the index follower, the CLI, a
bench script. A per-class registration would let the next `Session(engine)` silently skip the log
(and the index drift). So each listener is attached once, to `Session` (which covers its subclasses,
Flask-SQLAlchemy's among them), behind a relay that acts only for a session bound to an engine (or a
connection of one) that was registered. Registering again, or registering many engines (the tests
create an app per test), attaches nothing twice.

This module must not import Flask, the web layer or `routing/`.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import UnboundExecutionError
from sqlalchemy.orm import Session

from knowledge.search import changes


class SessionListeners:
    """Session event listeners (event name → listener) that act only on the engines installed with
    `install_on`; the listeners take the session event's own arguments."""

    def __init__(self, **listeners: Callable[..., None]):
        self._engines: weakref.WeakSet[Engine] = weakref.WeakSet()  # a disposed test engine may go
        self._relays = {name: self._relay(listener) for name, listener in listeners.items()}

    def install_on(self, engine: Engine) -> None:
        """Idempotent: an engine is in the set once, each relay is attached to `Session` once."""
        self._engines.add(engine)
        for name, relay in self._relays.items():
            if not event.contains(Session, name, relay):
                event.listen(Session, name, relay)

    def installed_for(self, session: Session) -> bool:
        try:
            bind = session.get_bind()
        except UnboundExecutionError:  # a session with no engine has nothing to flush to
            return False
        return bind.engine in self._engines  # a Connection's `.engine` is its engine, an Engine's itself

    def _relay(self, listener: Callable[..., None]) -> Callable[..., None]:
        def relay(session: Session, *args) -> None:
            if self.installed_for(session):
                listener(session, *args)

        relay.__name__ = relay.__qualname__ = f"relay_{listener.__name__}"
        return relay


_CHANGE_LOG = SessionListeners(**changes.SESSION_LISTENERS)


def register(engine: Engine) -> None:
    """Sessions on `engine` log every change of a document for the search indexes (see module docstring)."""
    _CHANGE_LOG.install_on(engine)
