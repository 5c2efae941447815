"""The life of a question: intake, answering from the knowledge base, routing, answering, closing.

Every step changes the question and records exactly one event through `record_event`.
Functions take a session and `now` and flush; the caller commits.

The intake rules live here, once, for every channel (`check_new_question`): the API, the agent's form,
the customer's form and mail intake send a `NewQuestion` and get an `InvalidQuestion` naming the field
at fault. Callers may check a question first to show every problem at once; `take_in_question` checks
it again, whoever calls it.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.search import without_control_characters
from knowledge.catalogue import topic_with_slug
from knowledge.markdown import render_markdown
from knowledge.language import detect_language
from knowledge.messages import N_, Message
from knowledge.models import LANGUAGES, Article, Topic
from routing.customers import email_key, phone_key
from routing.errors import InvalidQuestion, WrongState
from routing.editorial import capture_answer
from routing.events import record_event
from routing.notifications import notify, notify_user
from routing.models import CHANNELS, PRIORITIES, Question, QuestionArticle

MAX_QUESTION_TEXT = 10_000
TEXT_TOO_LONG = Message("A question has at most %(most)s characters.", most=MAX_QUESTION_TEXT)
NOTE_TOO_LONG = Message("An internal note has at most %(most)s characters.", most=MAX_QUESTION_TEXT)
REPLY_TOO_LONG = Message("A reply has at most %(most)s characters.", most=MAX_QUESTION_TEXT)
# What staff write along the way, measured and refused when too long (never cut).
MAX_ANSWER, MAX_REASON, MAX_MESSAGE, MAX_COMMENT = 100_000, 1000, 5000, 1000
# The contact details as a question stores them (the sizes of its columns).
MAX_CUSTOMER_NAME, MAX_CUSTOMER_EMAIL, MAX_CUSTOMER_PHONE = 120, 254, 40


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
    language: str | None = None  # None: detected from the customer's text
    # The agent's note for the backoffice (staff only); `text` is the customer's question in their words.
    internal_note: str = ""


@dataclass(frozen=True)
class CheckedQuestion:
    """A `NewQuestion` that keeps the intake rules, cleaned as it is stored, with its topic found."""
    text: str
    channel: str
    priority: str
    language: str
    topic: Topic | None
    customer: Customer
    internal_note: str | None = None


def check_new_question(session: Session, new: NewQuestion) -> CheckedQuestion:
    """The intake rules, the same for every channel; raises InvalidQuestion with every problem found.

    The text counts once control characters and surrounding spaces are gone; the contact details are measured
    as given (they are stored cleaned, and must fit their columns either way). An e-mail address needs only an
    "@": the API has always taken any such address, and the forms check the syntax more closely themselves.
    """
    problems: dict[str, str] = {}
    text = without_control_characters(new.text or "").strip()
    if not text:
        problems["text"] = Message("Please describe the question.")
    elif len(text) > MAX_QUESTION_TEXT:
        problems["text"] = TEXT_TOO_LONG
    note = without_control_characters(new.internal_note or "").strip()
    if len(note) > MAX_QUESTION_TEXT:
        problems["internal_note"] = NOTE_TOO_LONG
    if new.channel not in CHANNELS:
        problems["channel"] = f"Unknown channel {new.channel!r}; use one of {', '.join(CHANNELS)}."
    if new.priority not in PRIORITIES:
        problems["priority"] = f"Unknown priority {new.priority!r}."
    topic = None
    try:
        topic = topic_by_slug(session, new.topic_slug)
    except InvalidQuestion as error:
        problems["topic"] = error.args[0]
    name, email, phone = new.customer.name, new.customer.email, new.customer.phone
    if name and len(name) > MAX_CUSTOMER_NAME:
        problems["customer.name"] = Message("A name has at most %(most)s characters.", most=MAX_CUSTOMER_NAME)
    if email and (len(email) > MAX_CUSTOMER_EMAIL or "@" not in email):
        problems["customer.email"] = Message("customer.email is not an e-mail address.")
    if phone and len(phone) > MAX_CUSTOMER_PHONE:
        problems["customer.phone"] = Message("A phone number has at most %(most)s characters.", most=MAX_CUSTOMER_PHONE)
    if problems:
        field, message = next(iter(problems.items()))
        raise InvalidQuestion(message, field=field, problems=problems)
    language = new.language if new.language in LANGUAGES else detect_language(text)
    return CheckedQuestion(text=text, channel=new.channel, priority=new.priority, language=language,
                           topic=topic, internal_note=note or None, customer=Customer(name=_clean(name), email=email_key(_clean(email)),
                                                          phone=_clean(phone)))


def topic_by_slug(session: Session, slug: str | None) -> Topic | None:
    """The topic a question names by its slug; None when it names none, InvalidQuestion when none has it."""
    if not slug:
        return None
    topic = topic_with_slug(session, slug)
    if topic is None:
        raise InvalidQuestion(Message("Unknown topic %(slug)s.", slug=repr(slug)), field="topic")
    return topic


def _clean(value: str | None) -> str | None:
    value = without_control_characters(value or "").strip()
    return value or None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def take_in_question(session: Session, now: datetime, new: NewQuestion, *,
                     taken_in_by_id: int | None = None) -> tuple[Question, str]:
    """Record a question from any channel; returns it with its tracking token (shown only now)."""
    checked = check_new_question(session, new)
    token = secrets.token_urlsafe(24)  # 192 bits
    question = Question(
        reference="pending",
        tracking_token_hash=hash_token(token),
        channel=checked.channel,
        customer_name=checked.customer.name,
        customer_email=checked.customer.email,
        customer_phone=checked.customer.phone,
        customer_phone_key=phone_key(checked.customer.phone),
        text=checked.text,
        internal_note=checked.internal_note,
        language=checked.language,
        topic=checked.topic,
        priority=checked.priority,
        status="new",
        taken_in_by_id=taken_in_by_id,
        created_at=now,
        updated_at=now,
    )
    session.add(question)
    session.flush()
    # The id is unique, so the reference is too; the year makes it readable on the phone.
    question.reference = f"VB-{now.year}-{question.id:06d}"
    record_event(session, now, "received", question=question, actor_id=taken_in_by_id, channel=checked.channel)
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
    _at_most(body, MAX_ANSWER, N_("An answer"))
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
    _at_most(reason.strip(), MAX_REASON, N_("A reason"))
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
    _at_most(message.strip(), MAX_MESSAGE, N_("A question to the customer"))
    question.status = "waiting_for_customer"
    question.updated_at = now
    record_event(session, now, "info_requested", question=question, actor_id=expert_id, message=message.strip())
    notify(session, now, "info_requested", question, question.customer_email, message=message.strip())
    session.flush()
    return question


def record_customer_reply(session: Session, now: datetime, question: Question, *, message: str) -> Question:
    """The customer answered; the clock resumes, moving the promise by the time spent waiting."""
    _require(question, ("waiting_for_customer",))
    _check_reply(message)
    asked = next(e for e in reversed(question.events) if e.kind == "info_requested")
    if question.due_at is not None:
        question.due_at = question.due_at + (now - asked.at)
    question.status = "accepted"
    question.updated_at = now
    record_event(session, now, "customer_replied", question=question, message=message.strip())
    session.flush()
    return question


def follow_up_after_answer(session: Session, now: datetime, question: Question, *, message: str,
                           reopen_days: int) -> Question:
    """The customer replies once more to the answer, within `reopen_days` of it: the question reopens with
    the expert who answered it, and a new promise as long as the first one."""
    _require(question, ("answered", "closed"))
    _check_reply(message)
    if question.answered_at is None or now - question.answered_at > timedelta(days=reopen_days):
        raise WrongState(Message("The answer is more than %(days)s days old: please ask a new question.",
                                 days=reopen_days))
    if any(e.kind == "reopened" and e.at >= question.answered_at for e in question.events):
        raise WrongState(Message("You already replied to this answer: please ask a new question."))
    promise = (question.due_at - question.created_at) if question.due_at else None
    record_event(session, now, "customer_replied", question=question, message=message.strip(), after_answer=True)
    _reopen_for_answerer(session, now, question, reason="the customer replied to the answer")
    if promise is not None:
        question.due_at = now + promise
        question.escalated_at = None
    if question.owner_id is not None:
        notify_user(session, now, "assigned", question, question.owner_id, reason="the customer replied to the answer")
    session.flush()
    return question


def reopen_possible_until(question: Question, now: datetime, reopen_days: int) -> datetime | None:
    """Until when the customer may still reply to the answer; None when they may not (any more)."""
    if question.status not in ("answered", "closed") or question.answered_at is None:
        return None
    if any(e.kind == "reopened" and e.at >= question.answered_at for e in question.events):
        return None
    until = question.answered_at + timedelta(days=reopen_days)
    return until if now <= until else None


def _at_most(text: str, limit: int, what: str) -> None:
    if len(text or "") > limit:
        raise InvalidQuestion(Message("%(what)s has at most %(most)s characters; nothing was saved.",
                                      what=Message(what), most=limit))


def _check_reply(message: str) -> None:
    text = (message or "").strip()
    if not text:
        raise InvalidQuestion(Message("The reply is empty."))
    if len(text) > MAX_QUESTION_TEXT:
        raise InvalidQuestion(REPLY_TOO_LONG)


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
    _at_most((comment or "").strip(), MAX_COMMENT, N_("A comment"))
    record_event(session, now, "customer_rated", question=question, helpful=helpful, comment=(comment or "").strip())
    if not helpful and question.status in ("answered", "closed"):
        _reopen_for_answerer(session, now, question, reason="the customer says the answer did not help")
    session.flush()
    return question


def _reopen_for_answerer(session: Session, now: datetime, question: Question, *, reason: str) -> None:
    """An answered question goes back to the expert who answered it (the customer was not helped, or
    wrote again): the one way a question reopens, whichever channel the customer used."""
    question.status = "reopened"
    question.owner_id = question.answered_by_id
    question.closed_at = None
    question.updated_at = now
    record_event(session, now, "reopened", question=question, reason=reason, to_user_id=question.owner_id)


def _require(question: Question, statuses: tuple[str, ...]) -> None:
    if question.status not in statuses:
        raise WrongState(Message("Question %(reference)s is %(status)s; this step needs it %(statuses)s.",
                                 reference=question.reference, status=question.status.replace("_", " "),
                                 statuses=" or ".join(s.replace("_", " ") for s in statuses)))
