"""The change log the search indexes follow: which documents changed, in commit order.

A row is written in the same transaction as the change itself, so a committed change can never be
missed by the index, and a rolled-back one never reaches it. Every process (or node) keeps its own
index and applies the log from where it stopped: the database stays the only truth.
"""
from __future__ import annotations

from collections.abc import Callable
from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session

from knowledge.base import utcnow
from knowledge.models import Article, IndexChange

PENDING = "vraagbaak.changed_document_keys"


# kind → function(obj) that returns the document key an ORM object affects, or None.
# model → (key of the document it is, the attributes the index reads). Changes to other attributes
# (flags, counters, timers) do not touch the index, so they log nothing.
_TRACKED: dict[type, tuple[Callable[[object], str | None], tuple[str, ...]]] = {
    Article: (lambda a: f"article:{a.id}", ("title", "body", "status", "audience", "language", "review_by", "topics")),
}
_after_commit_listeners: list[Callable[[], None]] = []


def track(model: type, key_of: Callable[[object], str | None], indexed: tuple[str, ...]) -> None:
    """Let a higher floor say which of its objects are documents (routing: answered questions)."""
    _TRACKED[model] = (key_of, indexed)


def on_commit(listener: Callable[[], None]) -> None:
    """Called after any commit that logged a change (the indexer wakes up on it)."""
    _after_commit_listeners.append(listener)


def off_commit(listener: Callable[[], None]) -> None:
    """No longer called (a follower that stopped)."""
    if listener in _after_commit_listeners:
        _after_commit_listeners.remove(listener)


def changes_after(session: Session, last_id: int, limit: int = 1000) -> list[IndexChange]:
    return list(session.scalars(select(IndexChange).where(IndexChange.id > last_id)
                                .order_by(IndexChange.id).limit(limit)))


def latest_change_id(session: Session) -> int:
    return session.scalar(select(IndexChange.id).order_by(IndexChange.id.desc()).limit(1)) or 0


def _log_changed_documents(session: Session, flush_context) -> None:
    keys = set()
    for obj in (*session.new, *session.deleted, *session.dirty):
        tracked = _TRACKED.get(type(obj))
        if tracked is None:
            continue
        key_of, indexed = tracked
        if obj in session.dirty and not _indexed_change(obj, indexed):
            continue
        if key := key_of(obj):
            keys.add(key)
    if keys:
        now = utcnow()
        session.connection().execute(insert(IndexChange), [{"doc_key": k, "at": now} for k in sorted(keys)])
        session.info[PENDING] = True


def _indexed_change(obj, indexed: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in indexed)


def _wake_indexers(session: Session) -> None:
    if session.info.pop(PENDING, False):
        for listener in _after_commit_listeners:
            listener()


def _forget_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


# Installed on an engine's sessions by knowledge.session_hooks.register, never at import.
SESSION_LISTENERS = {"after_flush": _log_changed_documents, "after_commit": _wake_indexers,
                     "after_rollback": _forget_pending}
