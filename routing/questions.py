"""The life of a question: intake, answering from the knowledge base, routing, answering, closing.

Every step changes the question and records exactly one event through `record_event`.
Functions take a session and `now` and flush; the caller commits.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.search import without_control_characters
from knowledge.markdown import render_markdown
from knowledge.models import Article, Topic
from routing.customers import email_key, phone_key
from routing.errors import InvalidQuestion, WrongState
from routing.editorial import capture_answer
from routing.events import record_event
from routing.notifications import notify, notify_user
from routing.models import CHANNELS, PRIORITIES, Question, QuestionArticle

MAX_QUESTION_TEXT = 10_000


@dataclass(frozen=True)
class Customer:
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class NewQuestion:
    text: str
    channel: str
    customer: Customer = Customer()
    topic_slug: str | None = None
    priority: str = "normal"
    language: str = "en"


def _clean(value: str | None) -> str | None:
    value = without_control_characters(value or "").strip()
    return value or None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def take_in_question(session: Session, now: datetime, new: NewQuestion, *,
                     taken_in_by_id: int | None = None) -> tuple[Question, str]:
    """Record a question from any channel; returns it with its tracking token (shown only now)."""
    text = without_control_characters(new.text or "").strip()
    if not text:
        raise InvalidQuestion("Please describe the question.")
    if len(text) > MAX_QUESTION_TEXT:
        raise InvalidQuestion(f"A question has at most {MAX_QUESTION_TEXT:,} characters.")
    if new.channel not in CHANNELS:
        raise InvalidQuestion(f"Unknown channel {new.channel!r}; use one of {', '.join(CHANNELS)}.")
    if new.priority not in PRIORITIES:
        raise InvalidQuestion(f"Unknown priority {new.priority!r}.")
    topic = None
    if new.topic_slug:
        topic = session.scalar(select(Topic).where(Topic.slug == new.topic_slug))
        if topic is None:
            raise InvalidQuestion(f"Unknown topic {new.topic_slug!r}.")
    token = secrets.token_urlsafe(24)  # 192 bits
    question = Question(
        reference="pending",
        tracking_token_hash=hash_token(token),
        channel=new.channel,
        customer_name=_clean(new.customer.name),
        customer_email=email_key(_clean(new.customer.email)),
        customer_phone=_clean(new.customer.phone),
        customer_phone_key=phone_key(new.customer.phone),
        text=text,
        language=new.language,
        topic=topic,
        priority=new.priority,
        status="new",
        taken_in_by_id=taken_in_by_id,
        created_at=now,
        updated_at=now,
    )
    session.add(question)
    session.flush()
    # The id is unique, so the reference is too; the year makes it readable on the phone.
    question.reference = f"VB-{now.year}-{question.id:06d}"
    record_event(session, now, "received", question=question, actor_id=taken_in_by_id, channel=new.channel)
    notify(session, now, "received", question, question.customer_email, token=token)
    session.flush()
    return question, token


def find_by_reference_and_token(session: Session, reference: str, token: str) -> Question | None:
    """The question only if the token matches; a wrong token looks exactly like an unknown reference."""
    question = session.scalar(select(Question).where(Question.reference == reference))
    expected = question.tracking_token_hash if question else hash_token("no such question")
    matches = hmac.compare_digest(expected, hash_token(token or ""))
    return question if question is not None and matches else None


def answer_from_knowledge_base(session: Session, now: datetime, question: Question, article: Article, *,
                               actor_id: int | None) -> Question:
    """First-contact resolution: the agent answered with an existing article."""
    _require(question, ("new", "reopened"))
    question.status = "answered_from_kb"
    question.answer = article.body
    question.answer_html = article.body_html
    question.answered_at = now
    question.answered_by_id = actor_id
    question.closed_at = now
    question.updated_at = now
    session.add(QuestionArticle(question=question, article=article, relation="used"))
    record_event(session, now, "answered_from_kb", question=question, actor_id=actor_id, article_id=article.id)
    session.flush()
    return question


def assign_to_expert(session: Session, now: datetime, question: Question, expert_id: int, *,
                     due_at: datetime, actor_id: int | None, candidates: list[dict] | None = None,
                     reason: str = "") -> Question:
    # An accepted question moves too: its owner may fall ill or be marked away before answering it.
    _require(question, ("new", "reopened", "routed", "accepted"))
    question.status = "routed"
    question.owner_id = expert_id
    if question.due_at != due_at:  # a new promise gets its own alarm; one promise is alarmed once
        question.escalated_at = None
    question.due_at = due_at
    question.routed_at = now
    question.updated_at = now
    record_event(session, now, "routed", question=question, actor_id=actor_id, to_user_id=expert_id,
                 due_at=due_at.isoformat(), candidates=candidates or [], reason=reason)
    notify_user(session, now, "assigned", question, expert_id, reason=reason)
    session.flush()
    return question


def accept_question(session: Session, now: datetime, question: Question, *, expert_id: int) -> Question:
    _require(question, ("routed",))
    if question.owner_id != expert_id:
        raise WrongState("This question is assigned to someone else.")
    question.status = "accepted"
    question.updated_at = now
    record_event(session, now, "accepted", question=question, actor_id=expert_id)
    session.flush()
    return question


def answer_question(session: Session, now: datetime, question: Question, *, expert_id: int, body: str,
                    worth_keeping: bool = False) -> Question:
    _require(question, ("routed", "accepted", "reopened"))
    if not (body or "").strip():
        raise InvalidQuestion("An answer cannot be empty.")
    question.status = "answered"
    question.answer = body
    question.answer_html = render_markdown(body)
    question.answered_at = now
    question.answered_by_id = expert_id
    question.worth_keeping = worth_keeping
    question.updated_at = now
    record_event(session, now, "answered", question=question, actor_id=expert_id, worth_keeping=worth_keeping)
    notify(session, now, "answered", question, question.customer_email)
    session.flush()
    if worth_keeping:
        capture_answer(session, now, question, actor_id=expert_id)
    return question


def forward_question(session: Session, now: datetime, question: Question, *, from_id: int, to_id: int,
                     reason: str) -> Question:
    """Hand a question to a colleague; the reason travels with it so nobody has to ask again."""
    _require(question, ("routed", "accepted", "reopened"))
    if question.owner_id != from_id:
        raise WrongState("Only the current owner can forward this question.")
    if not (reason or "").strip():
        raise InvalidQuestion("Say why you forward it, so your colleague does not have to ask.")
    question.owner_id = to_id
    question.status = "routed"
    question.routed_at = now
    question.updated_at = now
    record_event(session, now, "forwarded", question=question, actor_id=from_id, to_user_id=to_id,
                 reason=reason.strip())
    notify_user(session, now, "assigned", question, to_id, reason=reason.strip())
    session.flush()
    return question


def request_customer_info(session: Session, now: datetime, question: Question, *, expert_id: int,
                          message: str) -> Question:
    """Ask the customer something; the promise's clock stops until they reply."""
    _require(question, ("routed", "accepted", "reopened"))
    if not (message or "").strip():
        raise InvalidQuestion("Write what you need from the customer.")
    question.status = "waiting_for_customer"
    question.updated_at = now
    record_event(session, now, "info_requested", question=question, actor_id=expert_id, message=message.strip())
    notify(session, now, "info_requested", question, question.customer_email, message=message.strip())
    session.flush()
    return question


def record_customer_reply(session: Session, now: datetime, question: Question, *, message: str) -> Question:
    """The customer answered; the clock resumes, moving the promise by the time spent waiting."""
    _require(question, ("waiting_for_customer",))
    if not (message or "").strip():
        raise InvalidQuestion("The reply is empty.")
    asked = next(e for e in reversed(question.events) if e.kind == "info_requested")
    if question.due_at is not None:
        question.due_at = question.due_at + (now - asked.at)
    question.status = "accepted"
    question.updated_at = now
    record_event(session, now, "customer_replied", question=question, message=message.strip())
    session.flush()
    return question


def close_question(session: Session, now: datetime, question: Question, *, actor_id: int | None) -> Question:
    _require(question, ("answered",))
    question.status = "closed"
    question.closed_at = now
    question.updated_at = now
    record_event(session, now, "closed", question=question, actor_id=actor_id)
    session.flush()
    return question


def rate_answer(session: Session, now: datetime, question: Question, *, helpful: bool, comment: str = "") -> Question:
    """The customer says whether the answer helped; a 'no' reopens the question for its expert."""
    _require(question, ("answered", "closed", "answered_from_kb"))
    record_event(session, now, "customer_rated", question=question, helpful=helpful, comment=comment.strip()[:1000])
    if not helpful and question.status in ("answered", "closed"):
        question.status = "reopened"
        question.owner_id = question.answered_by_id
        question.closed_at = None
        question.updated_at = now
        record_event(session, now, "reopened", question=question, reason="the customer says the answer did not help")
    session.flush()
    return question


def _require(question: Question, statuses: tuple[str, ...]) -> None:
    if question.status not in statuses:
        raise WrongState(f"Question {question.reference} is {question.status.replace('_', ' ')}; "
                         f"this step needs it {' or '.join(s.replace('_', ' ') for s in statuses)}.")
