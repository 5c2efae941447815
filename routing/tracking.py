"""What the customer sees of their question: plain words, the promise, the route without staff names."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from routing.events import record_event
from routing.models import DeclaredExpertise, Question

# Every word the customer reads about their question, in the question's language (Dutch first). The page's own
# labels are here too (PAGE_WORDS), so the later move to Flask-Babel finds them in one place.
STATUS_WORDS = {
    "en": {
        "new": "We have received your question.",
        "routed": "Your question is with {who}.",
        "accepted": "{who} is working on your question.",
        "waiting_for_customer": "We are waiting for your reply.",
        "reopened": "{who} is looking at your question again.",
        "answered": "Your question has been answered.",
        "answered_from_kb": "Your question was answered when you contacted us.",
        "closed": "Your question has been answered.",
    },
    "nl": {
        "new": "We hebben uw vraag ontvangen.",
        "routed": "Uw vraag ligt bij {who}.",
        "accepted": "{who} werkt aan uw vraag.",
        "waiting_for_customer": "We wachten op uw antwoord.",
        "reopened": "{who} kijkt opnieuw naar uw vraag.",
        "answered": "Uw vraag is beantwoord.",
        "answered_from_kb": "Uw vraag is direct beantwoord toen u contact opnam.",
        "closed": "Uw vraag is beantwoord.",
    },
}
EVENT_WORDS = {
    "en": {
        "received": "We received your question",
        "answered_from_kb": "Answered straight away",
        "routed": "Passed to {who}",
        "accepted": "{who} started working on it",
        "forwarded": "Passed to a colleague who knows more about it",
        "escalated": "Given priority, so we keep our promise",
        "info_requested": "We asked you for information",
        "customer_replied": "You sent us a reply",
        "answered": "Answered",
        "closed": "Closed",
        "reopened": "Opened again",
        "customer_rated": "You rated the answer",
        "mail_received": "We received your e-mail",
        "customer_wrote": "You wrote to us again",
        "mail_sent": "We sent you an e-mail",
    },
    "nl": {
        "received": "We hebben uw vraag ontvangen",
        "answered_from_kb": "Direct beantwoord",
        "routed": "Doorgegeven aan {who}",
        "accepted": "{who} is ermee aan de slag gegaan",
        "forwarded": "Doorgegeven aan een collega die er meer van weet",
        "escalated": "Voorrang gekregen, zodat we onze belofte nakomen",
        "info_requested": "We hebben u om informatie gevraagd",
        "customer_replied": "U hebt ons geantwoord",
        "answered": "Beantwoord",
        "closed": "Afgesloten",
        "reopened": "Opnieuw geopend",
        "customer_rated": "U hebt het antwoord beoordeeld",
        "mail_received": "We hebben uw e-mail ontvangen",
        "customer_wrote": "U hebt ons opnieuw geschreven",
        "mail_sent": "We hebben u een e-mail gestuurd",
    },
}
PAGE_WORDS = {
    "en": {
        "your_question": "Your question", "promised": "We promised an answer by", "paused":
            "The time we promised stops while we wait for you; it starts again when you reply.",
        "need_info": "We need some information", "send": "Send", "your_reply": "Your reply",
        "answer": "Our answer", "helped": "Did this help?", "happened": "What happened",
        "follow_up": "Still a question about this answer?",
        "follow_up_until": "You can reply once more until {until}; your question then goes back to {who}.",
        "team": "Team {name}", "no_team": "our specialists",
        "replied": "Thank you, we have your reply. {who} continues with your question.",
        "rated": "Thank you for telling us.", "yes": "Yes", "no": "No",
    },
    "nl": {
        "your_question": "Uw vraag", "promised": "We hebben een antwoord beloofd vóór", "paused":
            "De tijd die we beloofden staat stil zolang we op u wachten; hij loopt weer zodra u antwoordt.",
        "need_info": "We hebben informatie van u nodig", "send": "Versturen", "your_reply": "Uw antwoord",
        "answer": "Ons antwoord", "helped": "Hebt u hier iets aan?", "happened": "Wat er gebeurde",
        "follow_up": "Nog een vraag over dit antwoord?",
        "follow_up_until": "U kunt tot {until} nog één keer reageren; uw vraag gaat dan terug naar {who}.",
        "team": "Team {name}", "no_team": "onze specialisten",
        "replied": "Dank u, we hebben uw antwoord. {who} gaat verder met uw vraag.",
        "rated": "Dank u voor uw beoordeling.", "yes": "Ja", "no": "Nee",
    },
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    words: str


def page_words(question: Question) -> dict[str, str]:
    return PAGE_WORDS.get(question.language, PAGE_WORDS["nl"])


def who_has_it(question: Question) -> str:
    """A team, never a person's name: 'Team Parkeren' after the question's topic, else after the owner's
    strongest declared topic, else 'our specialists'."""
    words = page_words(question)
    topic = question.topic or _owners_topic(question)
    return words["team"].format(name=topic.name) if topic is not None else words["no_team"]


def _owners_topic(question: Question):
    session = object_session(question)
    if session is None or question.owner_id is None:
        return None
    declared = session.scalar(select(DeclaredExpertise).where(DeclaredExpertise.user_id == question.owner_id)
                              .order_by(DeclaredExpertise.level.desc(), DeclaredExpertise.topic_id))
    return declared.topic if declared else None


def status_in_words(question: Question) -> str:
    words = STATUS_WORDS.get(question.language, STATUS_WORDS["nl"])[question.status].format(who=who_has_it(question))
    return words[0].upper() + words[1:]


def customer_timeline(question: Question) -> list[TimelineEntry]:
    who = who_has_it(question)
    table = EVENT_WORDS.get(question.language, EVENT_WORDS["nl"])
    entries = []
    for event in question.events:
        words = table.get(event.kind)
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
