"""What the customer sees of their question: plain words, the promise, the route without staff names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from routing.events import record_event
from routing.models import Question

STATUS_WORDS = {
    "new": "We have received your question.",
    "routed": "Your question is with {who}.",
    "accepted": "{who} is working on your question.",
    "waiting_for_customer": "We need some information from you before we can answer.",
    "reopened": "{who} is looking at your question again.",
    "answered": "Your question has been answered.",
    "answered_from_kb": "Your question was answered when you contacted us.",
    "closed": "Your question has been answered.",
}
EVENT_WORDS = {
    "received": "We received your question",
    "answered_from_kb": "Answered straight away",
    "routed": "Passed to {who}",
    "accepted": "{who} started working on it",
    "forwarded": "Passed to a colleague who knows more about it",
    "escalated": "Given priority, so we keep our promise",
    "info_requested": "We asked you for information",
    "customer_replied": "You sent us the information",
    "answered": "Answered",
    "closed": "Closed",
    "reopened": "Opened again",
    "customer_rated": "You rated the answer",
    "mail_received": "We received your e-mail",
    "customer_wrote": "You wrote to us again",
    "mail_sent": "We sent you an e-mail",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    words: str


def who_has_it(question: Question) -> str:
    """A role, never a name: 'a Parking specialist'."""
    return f"a {question.topic.name} specialist" if question.topic else "one of our specialists"


def status_in_words(question: Question) -> str:
    words = STATUS_WORDS[question.status].format(who=who_has_it(question))
    return words[0].upper() + words[1:]


def customer_timeline(question: Question) -> list[TimelineEntry]:
    who = who_has_it(question)
    entries = []
    for event in question.events:
        words = EVENT_WORDS.get(event.kind)
        if words is None:
            continue  # e.g. 'customer_viewed', 'captured_as_article': not the customer's business
        words = words.format(who=who)
        entries.append(TimelineEntry(at=event.at, words=words[0].upper() + words[1:]))
    return entries


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
