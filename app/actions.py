"""Carrying out the action a POST names: run it, commit it, or roll it back and say why not.

Each blueprint keeps one table of what its POSTs may do (`ACTIONS` in app/inbox/routes.py,
app/editor/routes_workflow.py, app/admin/routes.py, app/selfservice/routes.py) and one view that dispatches on it; this
module is the part those views share. It must not know any blueprint's actions, flash, or choose
where to go next: what to show and where to send the person stay with the view.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from app.extensions import db
from app.i18n import translated

T = TypeVar("T")


def commit_action(action: Callable[[], T], refusals: Mapping[type[Exception], str | None]
                  ) -> tuple[T | None, str | None]:
    """Run `action` and commit: (its result, None). A refusal rolls back all it did: (None, the words to show).

    `refusals` maps each exception that means "not done" to what to tell the person; None there
    means the exception's own words (domain errors are written to be shown), in the reader's language.
    """
    try:
        result = action()
        db.session.commit()
    except tuple(refusals) as error:
        db.session.rollback()
        said = next(words for kind, words in refusals.items() if isinstance(error, kind))
        return None, said or translated(error.args[0] if error.args else str(error))
    return result, None
