"""What the customer sees of their question: plain words, the promise, the route without staff names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from knowledge.messages import N_, Message
from routing.events import record_event
from routing.models import DeclaredExpertise, Question

# Every word the customer reads about their question, as msgids (knowledge.messages): the web layer says them
# in the page's language. `%(who)s` is who_has_it's team.
STATUS_WORDS = {
    "new": N_("We have received your question."),
    "routed": N_("Your question is with %(who)s."),
    "accepted": N_("%(who)s is working on your question."),
    "waiting_for_customer": N_("We are waiting for your reply."),
    "reopened": N_("%(who)s is looking at your question again."),
    "answered": N_("Your question has been answered."),
    "answered_from_kb": N_("Your question was answered when you contacted us."),
    "closed": N_("Your question has been answered."),
}
EVENT_WORDS = {
    "received": N_("We received your question"),
    "answered_from_kb": N_("Answered straight away"),
    "routed": N_("Passed to %(who)s"),
    "accepted": N_("%(who)s started working on it"),
    "forwarded": N_("Passed to a colleague who knows more about it"),
    "escalated": N_("Given priority, so we keep our promise"),
    "info_requested": N_("We asked you for information"),
    "customer_replied": N_("You sent us a reply"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
    "reopened": N_("Opened again"),
    "customer_rated": N_("You rated the answer"),
    "mail_received": N_("We received your e-mail"),
    "customer_wrote": N_("You wrote to us again"),
    "mail_sent": N_("We sent you an e-mail"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    words: Message


def who_has_it(question: Question) -> Message:
    """A team, never a person's name: 'Team Parkeren' after the question's topic, else after the owner's
    strongest declared topic, else 'our specialists'."""
    topic = question.topic or _owners_topic(question)
    return Message("Team %(name)s", name=topic.name) if topic is not None else Message(N_("our specialists"))


def _owners_topic(question: Question):
    session = object_session(question)
    if session is None or question.owner_id is None:
        return None
    declared = session.scalar(select(DeclaredExpertise).where(DeclaredExpertise.user_id == question.owner_id)
                              .order_by(DeclaredExpertise.level.desc(), DeclaredExpertise.topic_id))
    return declared.topic if declared else None


def status_in_words(question: Question) -> Message:
    """Where the question stands, as a sentence (its first letter is the reader's: see app.i18n.sentence)."""
    return _said(STATUS_WORDS[question.status], question)


def customer_timeline(question: Question) -> list[TimelineEntry]:
    entries = []
    for event in question.events:
        words = EVENT_WORDS.get(event.kind)
        if words is None:
            continue  # e.g. 'customer_viewed', 'captured_as_article': not the customer's business
        entries.append(TimelineEntry(at=event.at, words=_said(words, question)))
    return entries


def _said(msgid: str, question: Question) -> Message:
    return Message(msgid, who=who_has_it(question)) if "%(who)s" in msgid else Message(msgid)


def pending_info_request(question: Question) -> str | None:
    """What we asked the customer, while we wait for their reply."""
    if question.status != "waiting_for_customer":
        return None
    asked = next((e for e in reversed(question.events) if e.kind == "info_requested"), None)
    return asked.payload.get("message") if asked else None


VIEW_EVENT_EVERY = timedelta(hours=1)


def note_customer_view(session: Session, now: datetime, question: Question) -> None:
    """The customer looked: worth knowing (they are waiting), but one event an hour is enough."""
    last = next((e for e in reversed(question.events) if e.kind == "customer_viewed"), None)
    if last is None or now - last.at >= VIEW_EVENT_EVERY:
        record_event(session, now, "customer_viewed", question=question)
