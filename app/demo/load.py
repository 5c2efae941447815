"""Load the demo organisation through the same domain functions the product uses.

Dates in the data files are relative ("days ago"), so the demo always looks current.
"""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from importlib import resources

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.auth.session import hash_password
from knowledge.articles import ArticleDraft, create_article, create_topic
from knowledge.models import Article, Topic, User
from knowledge.people import create_user
from routing.availability import add_absence, set_expert_status, set_working_hours
from routing.expertise import declare_expertise
from routing.models import Notification
from routing.sla import set_policy
from routing.questions import (
    Customer,
    NewQuestion,
    accept_question,
    answer_from_knowledge_base,
    answer_question,
    assign_to_expert,
    close_question,
    forward_question,
    record_customer_reply,
    request_customer_info,
    take_in_question,
)

ROLE_ORDER = ("admin", "editor", "agent", "expert")


def _data(name: str):
    text = resources.files("app.demo").joinpath("data", name).read_text(encoding="utf-8")
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(User)) == 0


def load_demo(session: Session, now: datetime, *, password: str) -> str:
    topics = _load_topics(session)
    people = _load_people(session, now, topics, password)
    articles = _load_articles(session, now, people)
    questions = _load_questions(session, now, people, articles)
    # The history's e-mails were "sent" back then: nobody should receive them now.
    session.execute(update(Notification).values(sent_at=now, payload={}))
    return (f"Loaded {len(topics)} topics, {len(articles)} articles, {len(people)} people "
            f"and {questions} past questions.")


def demo_sign_ins(session: Session, password: str) -> str:
    """One line per role with a demo account to try it, for the end of `make run`."""
    lines = [f"Demo sign-ins (password for all: {password}):"]
    for role in ROLE_ORDER:
        user = session.scalar(
            select(User).join(User.role_rows).where(User.role_rows.any(role=role), User.password_hash.is_not(None))
            .order_by(User.id).limit(1)
        )
        if user is not None:
            lines.append(f"  {role:<7} {user.email}")
    return "\n".join(lines)


def _load_topics(session: Session) -> dict[str, Topic]:
    """The topic tree, and the promise of each top-level topic (its subtopics inherit it)."""
    topics: dict[str, Topic] = {}
    for row in _data("topics.json"):  # parents come before their children in the file
        topics[row["slug"]] = create_topic(session, slug=row["slug"], name=row["name"],
                                           parent=topics.get(row["parent"]) if row["parent"] else None,
                                           review_days=row.get("review_days", 180))
        if row.get("promise"):
            set_policy(session, topic_id=topics[row["slug"]].id, coordinator_id=None, **row["promise"])
    return topics


def _load_people(session: Session, now: datetime, topics: dict[str, Topic], password: str) -> dict[str, User]:
    password_hash = hash_password(password)
    people: dict[str, User] = {}
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for row in _data("people.json")["staff"]:
        user = create_user(session, now - timedelta(days=400), email=row["email"], name=row["name"],
                           roles=row["roles"], password_hash=password_hash, locale=row.get("locale", "en"))
        people[user.email] = user
        if "expert" not in row["roles"]:
            continue
        set_expert_status(session, user.id, capacity=row.get("capacity", 5), presence="available")
        set_working_hours(session, user.id, {
            day: (time.fromisoformat(start), time.fromisoformat(end))
            for day, (start, end) in row.get("working_hours", {}).items()
        })
        for item in row.get("expertise", []):
            declare_expertise(session, user.id, topics[item["topic"]].id, item["level"])
        for absence in row.get("absences", []):
            add_absence(session, user.id, starts_at=today + timedelta(days=absence["from_days"]),
                        ends_at=today + timedelta(days=absence["to_days"], hours=23, minutes=59),
                        reason=absence.get("reason", ""))
    return people


def _load_articles(session: Session, now: datetime, people: dict[str, User]) -> dict[str, Article]:
    editor = next(u for u in people.values() if "editor" in u.roles)
    articles: dict[str, Article] = {}
    rows = _data("articles.jsonl")
    for age, row in zip(range(len(rows) * 3, 0, -3), rows):
        article = create_article(session, now - timedelta(days=age), ArticleDraft(
            title=row["title"], body=row["body"], topic_slugs=tuple(row["topics"]), audience=row["audience"],
            language=row["language"], status=row["status"], note="demo content",
        ), author_id=editor.id)
        articles[article.title] = article
    return articles


def _load_questions(session: Session, now: datetime, people: dict[str, User], articles: dict[str, Article]) -> int:
    agents = [u for u in people.values() if "agent" in u.roles]
    rows = sorted(_data("questions.jsonl"), key=lambda r: -r["days_ago"])
    for i, row in enumerate(rows):
        agent = agents[i % len(agents)]
        asked = (now - timedelta(days=row["days_ago"])).replace(hour=9 + i % 7, minute=(i * 13) % 60)
        if asked > now:
            asked = now - timedelta(hours=1)
        taken_in_by = None if row["channel"] in ("web", "api") else agent.id
        customer = row.get("customer") or {}
        # Taken in by an agent: the customer's own words, and the agent's note of the call for the backoffice.
        said = row.get("customer_text")
        question, _token = take_in_question(session, asked, NewQuestion(
            text=said or row["text"], internal_note=row["text"] if said else "", channel=row["channel"], priority=row.get("priority", "normal"), topic_slug=row["topic"],
            customer=Customer(name=customer.get("name"), email=customer.get("email"), phone=customer.get("phone")),
        ), taken_in_by_id=taken_in_by)
        if row["outcome"] == "answered_from_kb":
            answer_from_knowledge_base(session, asked + timedelta(minutes=4), question,
                                       articles[row["article_title"]], actor_id=agent.id)
            continue
        _replay_expert_route(session, now, question, row, people, asked, agent)
    return len(rows)


def _replay_expert_route(session, now, question, row, people, asked, agent) -> None:
    """Routed → accepted → (forwarded, info asked) → answered → closed, at plausible times."""
    expert = people[row["expert"]]
    first = people[row["forwarded_from"]] if row.get("forwarded_from") else expert
    at = asked + timedelta(minutes=6)
    assign_to_expert(session, at, question, first.id, due_at=asked + timedelta(days=2), actor_id=agent.id,
                     reason="demo history")
    accept_question(session, at + timedelta(minutes=40), question, expert_id=first.id)
    if first is not expert:
        forward_question(session, at + timedelta(hours=1), question, from_id=first.id, to_id=expert.id,
                         reason=row.get("forward_reason") or "Better placed with a colleague.")
        accept_question(session, at + timedelta(hours=2), question, expert_id=expert.id)
    if row["outcome"] == "open":
        return
    hours = float(row.get("hours_to_answer", 8))
    info = row.get("info_requested")
    if info:
        request_customer_info(session, at + timedelta(hours=hours / 3), question, expert_id=expert.id,
                              message=info["question_to_customer"])
        record_customer_reply(session, at + timedelta(hours=hours / 2), question, message=info["customer_reply"])
    answered = min(at + timedelta(hours=hours), now - timedelta(minutes=5))
    answer_question(session, answered, question, expert_id=expert.id, body=row["answer"],
                    worth_keeping=row.get("worth_keeping", False))
    close_question(session, answered + timedelta(days=1) if answered + timedelta(days=1) < now else answered,
                   question, actor_id=None)
