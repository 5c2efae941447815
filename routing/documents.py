"""Answered questions as search documents: "previously answered", for staff only.

A question becomes searchable the moment it is answered, before any editor turns it into an
article. `knowledge/` indexes it as plain data; it never reads questions itself.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.search import Document
from knowledge.markdown import plain_text
from routing.models import Question

SEARCHABLE_STATUSES = ("answered", "closed")


def question_document(question: Question) -> Document | None:
    if question.status not in SEARCHABLE_STATUSES or not question.answer:
        return None
    return Document(kind="question", id=question.id, title=question.text, body=plain_text(question.answer),
                    audience="internal", language=question.language,
                    topics=(question.topic.name,) if question.topic else ())


class AnsweredQuestionSource:
    kind = "question"

    def documents(self, session: Session, ids: Iterable[int]) -> dict[int, Document | None]:
        ids = list(ids)
        found = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(ids)))}
        return {i: question_document(found[i]) if i in found else None for i in ids}

    def all_ids(self, session: Session) -> Iterator[int]:
        yield from session.scalars(select(Question.id).where(
            Question.status.in_(SEARCHABLE_STATUSES), Question.answer.is_not(None)).order_by(Question.id))

