"""Searching as part of the process: who searched what, what they found and opened.

Search itself is `knowledge.search`; this module decides what each kind of searcher may see and
writes the search log that knowledge-gap and deflection analytics read. The log keeps the query as
the models read it (`query_as_typed`): the clean-up of what a person typed is knowledge's, not
written again here.

One row per search a person made, not per keystroke: search-as-you-type sends, with each request,
the id of its previous answer (`continues`), and while that row is the same searcher's, recent and
neither opened nor asked from, it is updated to the newer words. So the log holds the query a person
settled on, or the one that led to a click or a question, and the analytics count searches.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from knowledge.search import MAX_QUERY_CHARS, SearchHit, SearchService, query_as_typed
from routing.models import SearchLog

# MAX_QUERY_CHARS is knowledge's bound on a query; the web layer takes its form limit from here.
__all__ = ["MAX_QUERY_CHARS", "Searcher", "record_opened", "search_and_log"]

# Keystrokes further apart than this are a new search, even from the same box.
TYPING_PAUSE = timedelta(minutes=2)


@dataclass(frozen=True)
class Searcher:
    """Who is searching: `role` is 'public' for customers, else the staff role of the page."""

    role: str = "public"
    user_id: int | None = None
    channel: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role != "public"


def search_and_log(session: Session, now: datetime, service: SearchService, query: str, searcher: Searcher,
                   *, limit: int = 10, continues: int | None = None) -> tuple[SearchLog, list[SearchHit]]:
    """Customers see public articles; staff also internal articles and previously answered questions,
    and which articles are past their review date (an editorial matter, not the customer's).
    `continues`: the search this one refines (the previous keystroke's); its row is reused if it may be."""
    hits = service.search(
        query, public_only=not searcher.is_staff, kinds=("article", "question") if searcher.is_staff else ("article",),
        limit=limit, today=now.date() if searcher.is_staff else None,
    )
    entry = _typing_session(session, now, searcher, continues)
    if entry is None:
        entry = SearchLog(role=searcher.role, user_id=searcher.user_id)
        session.add(entry)
    entry.at, entry.query, entry.result_count = now, query_as_typed(query), len(hits)
    entry.channel = searcher.channel or entry.channel
    session.flush()
    return entry, hits


def _typing_session(session: Session, now: datetime, searcher: Searcher, search_id: int | None) -> SearchLog | None:
    """The row a refined search may overwrite: the same searcher's (role and account), typed within
    TYPING_PAUSE, and not yet the search a click or a question came from, which must stay as it was.
    That the id is this browser's own the web layer checks (anonymous customers share role and account)."""
    if not search_id:
        return None
    entry = session.get(SearchLog, search_id, with_for_update=True)
    if (entry is None or entry.role != searcher.role or entry.user_id != searcher.user_id
            or entry.opened_kind is not None or entry.question_id is not None
            or not (now - TYPING_PAUSE <= entry.at <= now)):
        return None
    return entry


def record_opened(session: Session, search_id: int, kind: str, item_id: int) -> None:
    """Remember the first result opened from a search; later clicks do not overwrite it."""
    session.execute(update(SearchLog).where(SearchLog.id == search_id, SearchLog.opened_kind.is_(None))
                    .values(opened_kind=kind, opened_id=item_id))


def search_words(session: Session, search_id: int | None) -> str:
    """What a logged search asked, so the next step (the ask form) can carry the customer's words."""
    if not search_id:
        return ""
    entry = session.get(SearchLog, search_id)
    return entry.query if entry is not None else ""
