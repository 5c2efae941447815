"""One customer across their questions: so nobody has to tell their story twice.

A customer has no account; they are recognised by what they gave at intake:
- an e-mail address, compared without regard to case;
- a phone number, compared on its last nine digits, so "06-1234 5678" and "+31 6 12345678" match. That
  is the length of a Dutch subscriber number after the trunk 0 or country code. A number with fewer than
  six digits is too short to tell people apart, so it is not used.

Staff see a customer's other questions beside the one in front of them, and an agent can look a caller
up by reference, e-mail address or phone number before taking in the same question twice. Routing counts
"answered this customer before" as a little evidence (routing.expertise), and the reason is shown.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from knowledge.messages import N_
from routing.errors import RoutingError
from routing.models import Question

PHONE_KEY_DIGITS = 9
PHONE_MIN_DIGITS = 6
_NOT_DIGIT = re.compile(r"\D")
_REFERENCE = re.compile(r"VB-\d{4}-\d{6}")


class UnknownContact(RoutingError):
    pass


def email_key(email: str | None) -> str | None:
    """The address as stored and compared: trimmed and lower case."""
    email = (email or "").strip().lower()
    return email or None


def phone_key(phone: str | None) -> str | None:
    digits = _NOT_DIGIT.sub("", phone or "")
    return digits[-PHONE_KEY_DIGITS:] if len(digits) >= PHONE_MIN_DIGITS else None


def _same_customer(email: str | None, phone: str | None) -> ColumnElement[bool] | None:
    """Questions with this e-mail address or phone key; None when neither is known (no guessing)."""
    clauses = []
    if email:
        clauses.append(Question.customer_email == email)
    if phone:
        clauses.append(Question.customer_phone_key == phone)
    return or_(*clauses) if clauses else None


def _newest_first(session: Session, *where: ColumnElement[bool], limit: int) -> list[Question]:
    return list(session.scalars(select(Question).where(*where)
                                .order_by(Question.created_at.desc(), Question.id.desc()).limit(limit)))


def other_questions_of_customer(session: Session, question: Question, limit: int = 10) -> list[Question]:
    """The same customer's other questions, newest first: what they asked, who has it, what they were told."""
    same = _same_customer(question.customer_email, question.customer_phone_key)
    if same is None:
        return []
    return _newest_first(session, same, Question.id != question.id, limit=limit)


def earlier_question_ids(session: Session, question: Question) -> frozenset[int]:
    """The customer's questions taken in before this one: the evidence routing may use."""
    return questions_of_customer_before(session, question.customer_email, question.customer_phone_key,
                                        question.created_at, leave_out=question.id)


def questions_of_customer_before(session: Session, email: str | None, phone: str | None, before: datetime,
                                 leave_out: int | None = None) -> frozenset[int]:
    """The questions this customer (e-mail address or phone number, either may be None) asked by `before`.
    Both are compared as stored (email_key, phone_key): callers pass what a customer gave or its key."""
    same = _same_customer(email_key(email), phone_key(phone) if phone else None)
    if same is None:
        return frozenset()
    return frozenset(session.scalars(select(Question.id).where(
        same, Question.id != leave_out, Question.created_at <= before)))


def questions_of_caller(session: Session, contact: str, limit: int = 20) -> list[Question]:
    """A caller's questions, newest first, from whatever they can tell the agent: a reference, an e-mail
    address or a phone number. A reference also brings that customer's other questions."""
    contact = (contact or "").strip()
    if _REFERENCE.fullmatch(contact.upper()):
        question = session.scalar(select(Question).where(Question.reference == contact.upper()))
        if question is None:
            return []
        same = _same_customer(question.customer_email, question.customer_phone_key)
        this = Question.id == question.id
        return _newest_first(session, this if same is None else or_(this, same), limit=limit)
    same = _same_customer(email_key(contact), None) if "@" in contact else _same_customer(None, phone_key(contact))
    if same is None:
        raise UnknownContact(N_("Give a reference (VB-2026-000123), an e-mail address or a phone number."))
    return _newest_first(session, same, limit=limit)
