"""The one call that installs everything a flush writes besides the objects it was given.

`register(engine)` makes every session on that engine, however it is built (`db.session`, a plain
`Session(engine)` in a background thread, the CLI, a bench script):
- log changed documents for the search indexes, articles and now questions too (knowledge.session_hooks);
- refuse to change or delete a recorded event (routing.events);
- keep each changed question's QuestionFacts, StepWait and Ownership rows in step with its events
  (routing.events).
A session on an engine nobody registered writes only what it was given. The app factory calls this
for its engine; scripts that build their own engine call it too. No module registers any of it at
import; registering again, or many engines, attaches nothing twice. Why per engine and not per session
class: see knowledge.session_hooks.
"""
from __future__ import annotations

from sqlalchemy.engine import Engine

from knowledge import session_hooks as knowledge_session_hooks
from knowledge.search import track
from knowledge.session_hooks import SessionListeners
from routing import events
from routing.models import Question

_PROCESS_MEMORY = SessionListeners(**events.SESSION_LISTENERS)


def register(engine: Engine) -> None:
    """Install the change log, the append-only guard and the facts on `engine`'s sessions."""
    knowledge_session_hooks.register(engine)
    # Every change to a question is logged for the search indexes, whichever process makes it:
    # answered questions are searchable as "previously answered", reopened ones drop out again.
    # (knowledge's table of documents is one per process; it only matters where the change log is installed.)
    track(Question, lambda question: f"question:{question.id}",
          ("text", "answer", "status", "language", "topic_id"))
    _PROCESS_MEMORY.install_on(engine)
