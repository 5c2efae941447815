"""Test data factories: short functions with sensible defaults, so tests read like their scenario."""
from __future__ import annotations

from datetime import datetime, time, timezone
from itertools import count
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from knowledge.articles import ArticleDraft, create_article, create_topic
from knowledge.models import Article, Topic, User
from knowledge.people import create_user

_seq = count(1)
_PASSWORD_HASHES: dict[str, str] = {}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _hash(password: str) -> str:
    # Hashing is deliberately slow; tests reuse one hash per password.
    if password not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[password] = generate_password_hash(password)
    return _PASSWORD_HASHES[password]


def make_user(session, *roles: str, email: str | None = None, name: str | None = None,
              password: str | None = "correct horse battery", active: bool = True) -> User:
    n = next(_seq)
    user = create_user(session, T0, email=email or f"person{n}@example.org", name=name or f"Person {n}",
                       roles=roles, password_hash=_hash(password) if password else None)
    user.active = active
    session.commit()
    return user


def make_topic(session, slug: str = "waste", name: str | None = None, parent: Topic | None = None,
               review_days: int = 180) -> Topic:
    topic = create_topic(session, slug=slug, name=name or slug.replace("-", " ").capitalize(),
                         parent=parent, review_days=review_days)
    session.commit()
    return topic


def make_article(session, title: str = "How do I order a new bin?", body: str = "Order it online.",
                 *, topics: tuple[str, ...] = (), status: str = "published", audience: str = "public",
                 language: str = "en", author: User | None = None, now: datetime = T0) -> Article:
    article = create_article(session, now, ArticleDraft(
        title=title, body=body, topic_slugs=topics, status=status, audience=audience, language=language,
    ), author_id=author.id if author else None)
    session.commit()
    return article


@pytest.fixture
def people(session):
    """One person per role, plus someone with no role."""
    return {
        "agent": make_user(session, "agent", email="agent@example.org", name="Anna Agent"),
        "expert": make_user(session, "expert", email="expert@example.org", name="Erik Expert"),
        "editor": make_user(session, "editor", email="editor@example.org", name="Eva Editor"),
        "admin": make_user(session, "admin", email="admin@example.org", name="Adam Admin"),
    }


OFFICE_WEEK = {day: (time(8, 0), time(18, 0)) for day in ("mon", "tue", "wed", "thu", "fri")}


def make_expert(session, name: str, *, knows: dict[str, int] | None = None, capacity: int = 5,
                hours: dict | None = None, email: str | None = None, roles: tuple[str, ...] = ()) -> User:
    """An expert who works office hours and has declared the given topics at the given levels."""
    from routing.availability import set_expert_status, set_working_hours
    from routing.expertise import declare_expertise

    user = make_user(session, "expert", *roles, name=name, email=email or f"{name.split()[0].lower()}@example.org")
    set_expert_status(session, user.id, capacity=capacity)
    set_working_hours(session, user.id, OFFICE_WEEK if hours is None else hours)
    for slug, level in (knows or {}).items():
        topic = session.scalar(select(Topic).where(Topic.slug == slug))
        declare_expertise(session, user.id, topic.id, level)
    session.commit()
    return user


def make_question(session, text: str = "My green bin was not emptied this week.", *, owner: User | None = None,
                  answer: str | None = None, topic: str | None = None, channel: str = "phone",
                  customer_email: str | None = None, customer_phone: str | None = None, now: datetime = T0):
    """A question taken in (and, given an owner, routed to them; given an answer, answered by them).

    Returns the question and its tracking token, which only exists at this moment."""
    from datetime import timedelta

    from routing.questions import (Customer, NewQuestion, accept_question, answer_question, assign_to_expert,
                                   take_in_question)

    question, token = take_in_question(session, now, NewQuestion(
        text=text, channel=channel, topic_slug=topic, customer=Customer(name="Mevr. Jansen", email=customer_email,
                                                                    phone=customer_phone)))
    if owner is not None:
        assign_to_expert(session, now, question, owner.id, due_at=now + timedelta(days=2), actor_id=None)
        if answer is not None:
            accept_question(session, now, question, expert_id=owner.id)
            answer_question(session, now, question, expert_id=owner.id, body=answer)
    session.commit()
    return question, token


@pytest.fixture
def one_of_each(session, people):
    """One real thing of each kind a URL can name: articles and their revision, questions, an expert, a topic."""
    make_topic(session, "waste")
    article = make_article(session, topics=("waste",))
    draft = make_article(session, "Bins during the holidays", "Same day as always.", status="in_review",
                         topics=("waste",))
    colleague = make_expert(session, "Olga Overig", knows={"waste": 2})
    open_question, _ = make_question(session, owner=people["expert"], topic="waste")
    answered, token = make_question(session, "Can I put out two bins?", owner=people["expert"], topic="waste",
                                    answer="Yes, order a second bin online.")
    return SimpleNamespace(article=article, draft=draft, colleague=colleague, open_question=open_question,
                           answered=answered, token=token)


def make_mail(*, subject: str, body: str, sender: str, message_id: str, **headers) -> bytes:
    """A customer's e-mail to the service address as raw bytes; `In_Reply_To="<…>"` sets In-Reply-To."""
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = sender
    message["To"] = "kcc@wadderveen.example.org"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()
