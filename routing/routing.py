"""Routing: rank the experts for a question and hand it to one, with the reasons on record.

rank = expertise (routing.expertise) × availability (routing.availability) × room left.
Automatic assignment takes the best person who can take work now; an agent may pick anyone shown.
When nobody can, the topic's coordinator gets it — a question is never left without an owner.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Topic, User, UserRole
from knowledge.people import active_experts, is_active_expert
from knowledge.search import SearchService
from routing.availability import Availability, availability_of
from routing.customers import earlier_question_ids
from routing.errors import InvalidQuestion, RoutingError
from routing.expertise import Expertise, PastAnswer, expertise_scores
from routing.models import DeclaredExpertise, Question
from routing.questions import assign_to_expert, topic_by_slug
from routing.sla import BusinessHours, Promise, due_at_for, promise_for

HISTORY_DAYS = 365  # older answers weigh less than 2^-26 at a 14-day half-life
NOT_WORKING_NOW = 0.7  # works before the promise falls due, but not at this moment
NO_TIME_BEFORE_DUE = 0.3
LOAD_PENALTY = 0.3  # a full inbox costs this share of the score


class NobodyToRouteTo(RoutingError):
    pass


@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    score: float
    expertise: float
    available: bool  # may get it automatically now
    reasons: tuple[str, ...]

    def as_payload(self) -> dict:
        return {"user_id": self.user_id, "name": self.name, "score": round(self.score, 4),
                "expertise": round(self.expertise, 4), "available": self.available, "reasons": list(self.reasons)}


def rank_experts(session: Session, now: datetime, search: SearchService | None, text: str, topic: Topic | None,
                 *, due_at: datetime, limit: int = 10, exclude: frozenset[int] = frozenset(),
                 customer_questions: frozenset[int] = frozenset()) -> list[Candidate]:
    """The experts for a question, best first; `customer_questions` are the asker's earlier questions."""
    experts = {u.id: u for u in active_experts(session, except_ids=exclude)}
    if not experts:
        return []
    past = _past_answers(session, now, search, text, list(experts), customer_questions)
    scores = expertise_scores(now, past, question_topics=_topic_keys(topic), declared=_declared(session, topic, experts),
                              candidates=experts)
    availability = availability_of(session, list(experts), now, due_at)
    ranked = [_candidate(experts[u], scores[u], availability[u]) for u in experts]
    ranked.sort(key=lambda c: (-c.available, -c.score, c.name))
    return ranked[:limit]


def preview_candidates(session: Session, now: datetime, text: str, topic_slug: str | None, *,
                       search: SearchService | None, hours: BusinessHours) -> list[Candidate]:
    """The ranking a question with this text would get now, without taking it in."""
    topic = topic_by_slug(session, topic_slug)
    promise = promise_for(session, topic)
    return rank_experts(session, now, search, text, topic, due_at=due_at_for(now, promise, hours))


def _candidate(user: User, expertise: Expertise, availability: Availability) -> Candidate:
    if not availability.can_take_now:
        factor = 0.0
    elif availability.working_now:
        factor = 1.0
    elif availability.works_before:
        factor = NOT_WORKING_NOW
    else:
        factor = NO_TIME_BEFORE_DUE
    load = availability.open_questions / max(availability.capacity, 1)
    score = expertise.score * factor * (1.0 - LOAD_PENALTY * min(load, 1.0))
    return Candidate(user_id=user.id, name=user.name, score=score, expertise=expertise.score,
                     available=availability.can_take_now and availability.works_before,
                     reasons=tuple(expertise.reasons + availability.reasons()))


def _past_answers(session: Session, now: datetime, search: SearchService | None, text: str,
                  expert_ids: list[int], customer_questions: frozenset[int]) -> list[PastAnswer]:
    similar = {}
    if search is not None:
        similar = {i: score for kind, i, score in search.similar_documents(text, kinds=("question",), k=200)}
    rows = session.execute(
        select(Question.id, Question.answered_by_id, Question.answered_at, Topic.slug)
        .outerjoin(Topic, Question.topic_id == Topic.id)
        .where(Question.answered_by_id.in_(expert_ids), Question.answered_at.is_not(None),
               Question.answered_at >= now - timedelta(days=HISTORY_DAYS), Question.status.in_(("answered", "closed")))
    ).all()
    return [PastAnswer(user_id=user_id, answered_at=answered_at, similarity=similar.get(qid, 0.0),
                       topics=frozenset([slug]) if slug else frozenset(), same_customer=qid in customer_questions)
            for qid, user_id, answered_at, slug in rows]


def _topic_keys(topic: Topic | None) -> frozenset[str]:
    return frozenset([topic.slug]) if topic else frozenset()


def _declared(session: Session, topic: Topic | None, experts: dict[int, User]) -> dict[int, tuple[int, str]]:
    """Declared level for the topic, or for the nearest parent topic someone declared."""
    if topic is None:
        return {}
    chain = []
    node = topic
    while node is not None:
        chain.append(node)
        node = node.parent
    rows = session.scalars(select(DeclaredExpertise).where(
        DeclaredExpertise.topic_id.in_([t.id for t in chain]), DeclaredExpertise.user_id.in_(list(experts))))
    depth = {t.id: i for i, t in enumerate(chain)}
    best: dict[int, DeclaredExpertise] = {}
    for row in rows:
        if row.user_id not in best or depth[row.topic_id] < depth[best[row.user_id].topic_id]:
            best[row.user_id] = row
    return {u: (row.level, row.topic.name) for u, row in best.items()}


def route_question(session: Session, now: datetime, question: Question, *, search: SearchService | None,
                   hours: BusinessHours, actor_id: int | None, chosen_user_id: int | None = None,
                   exclude: frozenset[int] = frozenset(), reason: str = "") -> tuple[Question, list[Candidate]]:
    """Give the question an owner and a promise; the `routed` event keeps every candidate and score."""
    promise = promise_for(session, question.topic, question.priority)
    due_at = question.due_at or due_at_for(now, promise, hours)
    candidates = rank_experts(session, now, search, question.text, question.topic, due_at=due_at, exclude=exclude,
                              customer_questions=earlier_question_ids(session, question))
    if chosen_user_id is not None and not is_active_expert(session.get(User, chosen_user_id)):
        raise InvalidQuestion("Pick one of the experts shown.")
    owner_id, why = _choose(candidates, promise, chosen_user_id)
    if owner_id is None:
        owner_id, why = _any_admin(session), "no expert at all: to an administrator"
    if owner_id is None:
        raise NobodyToRouteTo("There is no expert, coordinator or administrator to give this question to.")
    assign_to_expert(session, now, question, owner_id, due_at=due_at, actor_id=actor_id,
                     candidates=[c.as_payload() for c in candidates], reason=reason or why)
    return question, candidates


def _any_admin(session: Session) -> int | None:
    return session.scalar(select(User.id).join(UserRole).where(UserRole.role == "admin", User.active.is_(True))
                          .order_by(User.id).limit(1))


def _choose(candidates: list[Candidate], promise: Promise, chosen_user_id: int | None) -> tuple[int | None, str]:
    if chosen_user_id is not None:
        return chosen_user_id, "picked by the agent"
    for candidate in candidates:
        if candidate.available:
            return candidate.user_id, "best available match"
    if promise.coordinator_id is not None:
        return promise.coordinator_id, "no expert available: to the topic coordinator"
    if candidates:
        return candidates[0].user_id, "no expert available: to the best match, with an alarm"
    return None, ""
