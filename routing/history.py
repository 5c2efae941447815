"""Starting with the expertise hidden in an organisation's history: import answered questions.

JSON Lines, one past question per line:
  {"question_id", "created", "title", "text", "tags": [...],
   "answers": [{"user_id", "created", "accepted", "text"}]}
Each becomes a closed question answered by the accepted answer's author (else the earliest
answer's), with its events at their historical times, so the expertise map learns from it at once.
People are created as experts when first seen; they cannot sign in until an admin gives them a
password. The first tag becomes the question's topic (created under "Imported" when new).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from knowledge.articles import create_topic
from knowledge.catalogue import topic_with_slug
from knowledge.importing import import_json_lines
from knowledge.models import Topic, User
from knowledge.people import create_user, find_user_by_email
from routing.errors import InvalidQuestion
from routing.questions import NewQuestion, accept_question, answer_question, assign_to_expert, close_question
from routing.questions import take_in_question

IMPORTED_ROOT = "imported"


@dataclass
class HistoryReport:
    imported: int = 0
    people_created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_history(session: Session, lines: Iterable[str], *, progress: Callable[[int], None] | None = None
                   ) -> HistoryReport:
    created = []
    report = import_json_lines(session, lines, lambda record: created.append(_import_one(session, _checked(record))),
                               refused=(InvalidQuestion,), progress=progress, commit_every=200)
    return HistoryReport(imported=report.imported, people_created=sum(created), errors=report.errors)


def _checked(record: dict) -> dict:
    for key in ("title", "created"):
        if not isinstance(record.get(key), str) or not record[key].strip():
            raise ValueError(f'"{key}" must be a non-empty string')
    answers = record.get("answers")
    if not isinstance(answers, list) or not answers:
        raise ValueError('"answers" must be a non-empty list')
    for answer in answers:
        if (not isinstance(answer, dict) or answer.get("user_id") in (None, "")
                or not isinstance(answer.get("text"), str) or not isinstance(answer.get("created"), str)):
            raise ValueError('each answer needs "user_id", "created" and "text"')
    tags = record.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError('"tags" must be a list of strings')
    return record


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO date and time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _import_one(session: Session, record: dict) -> int:
    answers = sorted(record["answers"], key=lambda a: _when(a["created"]))
    chosen = next((a for a in answers if a.get("accepted")), answers[0])
    asked, answered = _when(record["created"]), _when(chosen["created"])
    expert, created = _person(session, asked, chosen["user_id"])
    text = record["title"].strip() + ("\n\n" + record["text"].strip() if record.get("text") else "")
    topic = _topic(session, record.get("tags", []))
    question, _token = take_in_question(session, asked, NewQuestion(
        text=text, channel="api", topic_slug=topic.slug if topic else None))
    assign_to_expert(session, asked, question, expert.id, due_at=max(answered, asked), actor_id=None,
                     reason=f"imported history (question {record.get('question_id', '?')})")
    accept_question(session, asked, question, expert_id=expert.id)
    answer_question(session, max(answered, asked), question, expert_id=expert.id, body=chosen["text"])
    close_question(session, max(answered, asked), question, actor_id=None)
    return int(created)


def _person(session: Session, now: datetime, external_id) -> tuple[User, bool]:
    email = f"history-{_slug(str(external_id))}@imported.invalid"
    user = find_user_by_email(session, email)
    if user is not None:
        return user, False
    return create_user(session, now, email=email, name=f"Imported expert {external_id}", roles=("expert",)), True


def _topic(session: Session, tags: list[str]) -> Topic | None:
    if not tags:
        return None
    slug = _slug(tags[0])
    topic = topic_with_slug(session, slug)
    if topic is None:
        root = topic_with_slug(session, IMPORTED_ROOT) or create_topic(
            session, slug=IMPORTED_ROOT, name="Imported")
        topic = create_topic(session, slug=slug, name=tags[0][:120], parent=root)
    return topic


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "x"
