"""Routing: rank the experts for a question and hand it to one, with the reasons on record.

rank = expertise (routing.expertise, with the weights learned from the history: routing.learning) × availability (routing.availability) × room left.
A question without a topic gets the one inferred from its text (routing.topics) for declared expertise.
Automatic assignment takes the best person who can take work now; an agent may pick anyone shown.
When nobody can — or when nobody has any evidence for this question, so that a ranking would only be
name order — the topic's coordinator gets it, and the reasons say so. A question is never left without
an owner.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.messages import Message, joined, stored
from knowledge.models import Topic, User, UserRole
from knowledge.people import active_experts, is_active_expert
from knowledge.search import SearchService
from routing.availability import Availability, availability_of
from routing.customers import earlier_question_ids, questions_of_customer_before
from routing.errors import InvalidQuestion, RoutingError
from routing.expertise import NO_ANSWERS_YET, SIMILAR_QUESTIONS, Expertise, PastAnswer, expertise_scores
from routing.learning import current_weights
from routing.models import AnswerEvidence, DeclaredExpertise, Question
from routing.questions import assign_to_expert, topic_by_slug
from routing.sla import BusinessHours, Promise, due_at_for, promise_for
from routing.topics import TopicGuess, infer_topic, question_topic_slugs

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
    summary: str = ""  # the person and the few reasons that chose them, for the route's record
    has_evidence: bool = True  # answered something before, or declared expertise in the topic

    def as_payload(self) -> dict:
        return {"user_id": self.user_id, "name": self.name, "score": round(self.score, 4),
                "expertise": round(self.expertise, 4), "available": self.available,
                "reasons": [str(r) for r in self.reasons],  # English, for integrations reading the events
                "reasons_said": [stored(r) for r in self.reasons]}  # the same, to be said in the reader's language


NO_EVIDENCE = {True: Message("no evidence for anyone on this question yet: the topic's coordinator comes first, "
                              "the rest by name"),
               False: Message("no evidence for anyone on this question yet and no coordinator: in order of name")}


def rank_experts(session: Session, now: datetime, search: SearchService | None, text: str, topic: Topic | None,
                 *, due_at: datetime, limit: int | None = 10, exclude: frozenset[int] = frozenset(),
                 customer_questions: frozenset[int] = frozenset(), coordinator_id: int | None = None,
                 inferred: TopicGuess | None = None) -> list[Candidate]:
    """The experts for a question, best first; `customer_questions` are the asker's earlier questions.

    Without a topic, `inferred` (or else the topic inferred here from the text) stands in for it."""
    experts = {u.id: u for u in active_experts(session, except_ids=exclude)}
    if not experts:
        return []
    if topic is None:
        inferred = inferred or infer_topic(session, search, text)
        topic = inferred.topic
    past = _past_answers(session, now, search, text, list(experts), customer_questions)
    scores = expertise_scores(now, past, question_topics=_topic_keys(topic), declared=_declared(session, topic, experts),
                              candidates=experts, weights=current_weights(session))
    availability = availability_of(session, list(experts), now, due_at)
    no_evidence = not any(e.has_evidence for e in scores.values())
    said = NO_EVIDENCE[coordinator_id is not None] if no_evidence else None
    ranked = [_candidate(experts[u], scores[u], availability[u], inferred if topic is not None else None, said)
              for u in experts]
    first = coordinator_id if no_evidence else None
    # Someone with evidence comes before someone without, whatever the weights make of it; then by score.
    ranked.sort(key=lambda c: (-c.available, c.user_id != first, not c.has_evidence, -c.score, c.name))
    return ranked if limit is None else ranked[:limit]


@dataclass(frozen=True)
class Preview:
    """Who would get a question with this text at `at`, and which topic it was taken to be."""

    candidates: list[Candidate]
    total: int  # candidates there were before the limit
    topic: Topic | None
    inferred: TopicGuess | None  # None when the caller gave the topic
    route: str  # what the routed event would say


def preview_candidates(session: Session, now: datetime, text: str, topic_slug: str | None, *,
                       search: SearchService | None, hours: BusinessHours, limit: int | None = 10,
                       customer_email: str | None = None, customer_phone: str | None = None) -> Preview:
    """The ranking a question with this text would get at `now`, without taking it in. With the customer's
    e-mail address or phone number it is the ranking intake would give their question: who answered them
    before counts, as in `route_question`."""
    topic = topic_by_slug(session, topic_slug)
    inferred = infer_topic(session, search, text, before=now) if topic is None else None
    promise = promise_for(session, topic or (inferred.topic if inferred else None))
    ranked = rank_experts(session, now, search, text, topic, due_at=due_at_for(now, promise, hours), limit=None,
                          coordinator_id=promise.coordinator_id, inferred=inferred,
                          customer_questions=questions_of_customer_before(session, customer_email, customer_phone,
                                                                           now))
    owner_id, why = _choose(ranked, promise, None, _names(session, ranked, promise))
    return Preview(candidates=ranked if limit is None else ranked[:limit], total=len(ranked), topic=topic,
                   inferred=inferred, route=why)


def _names(session: Session, candidates: list[Candidate], promise: Promise) -> dict[int, str]:
    names = {c.user_id: c.name for c in candidates}
    if promise.coordinator_id is not None and promise.coordinator_id not in names:
        coordinator = session.get(User, promise.coordinator_id)
        names[promise.coordinator_id] = coordinator.name if coordinator else f"user {promise.coordinator_id}"
    return names


def _candidate(user: User, expertise: Expertise, availability: Availability, inferred: TopicGuess | None,
               no_evidence: str | None) -> Candidate:
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
    about = [Message("topic inferred from the text: %(topic)s (%(confidence)s)", topic=inferred.topic.path,
                     confidence=f"{inferred.confidence:.2f}")] if inferred else []
    evidence = [no_evidence] if no_evidence else [r for r in expertise.reasons if r != NO_ANSWERS_YET]
    told = availability.reasons()
    return Candidate(user_id=user.id, name=user.name, score=score, expertise=expertise.score,
                     available=availability.can_take_now and availability.works_before,
                     reasons=tuple(about + expertise.reasons + ([no_evidence] if no_evidence else []) + told),
                     summary=Message("%(name)s: %(reasons)s", name=user.name, reasons=joined(evidence[:2] + told[:1])),
                     has_evidence=expertise.has_evidence)


def _past_answers(session: Session, now: datetime, search: SearchService | None, text: str,
                  expert_ids: list[int], customer_questions: frozenset[int]) -> list[PastAnswer]:
    similar = {}
    if search is not None:
        similar = {i: score for kind, i, score in search.similar_documents(text, kinds=("question",),
                                                                           k=SIMILAR_QUESTIONS)}
    # Every answer counts, however old (recency is relative to the evidence: routing.expertise), and
    # every answerer of a question: the one on the question and those kept as AnswerEvidence.
    answered = (Question.answered_at.is_not(None), Question.status.in_(("answered", "closed")))
    rows = session.execute(
        select(Question.id, Question.answered_by_id, Question.answered_at)
        .where(Question.answered_by_id.in_(expert_ids), *answered)
        .union_all(select(AnswerEvidence.question_id, AnswerEvidence.user_id, AnswerEvidence.answered_at)
                   .join(Question, Question.id == AnswerEvidence.question_id)
                   .where(AnswerEvidence.user_id.in_(expert_ids), *answered))
    ).all()
    topics = question_topic_slugs(session)
    return [PastAnswer(user_id=user_id, answered_at=answered_at, similarity=similar.get(qid, 0.0),
                       topics=topics.get(qid, frozenset()), same_customer=qid in customer_questions)
            for qid, user_id, answered_at in rows]


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
    inferred = infer_topic(session, search, question.text) if question.topic is None else None
    promise = promise_for(session, question.topic or (inferred.topic if inferred else None), question.priority)
    due_at = question.due_at or due_at_for(now, promise, hours)
    candidates = rank_experts(session, now, search, question.text, question.topic, due_at=due_at, exclude=exclude,
                              customer_questions=earlier_question_ids(session, question),
                              coordinator_id=promise.coordinator_id, inferred=inferred)
    if chosen_user_id is not None and not is_active_expert(session.get(User, chosen_user_id)):
        raise InvalidQuestion("Pick one of the experts shown.")
    owner_id, why = _choose(candidates, promise, chosen_user_id, _names(session, candidates, promise))
    if owner_id is None:
        owner_id, why = _any_admin(session), Message("no expert at all: to an administrator")
    if owner_id is None:
        raise NobodyToRouteTo("There is no expert, coordinator or administrator to give this question to.")
    assign_to_expert(session, now, question, owner_id, due_at=due_at, actor_id=actor_id,
                     candidates=[c.as_payload() for c in candidates], reason=reason or why)
    return question, candidates


def _any_admin(session: Session) -> int | None:
    return session.scalar(select(User.id).join(UserRole).where(UserRole.role == "admin", User.active.is_(True))
                          .order_by(User.id).limit(1))


def _choose(candidates: list[Candidate], promise: Promise, chosen_user_id: int | None,
            names: dict[int, str]) -> tuple[int | None, str]:
    """The owner and the route's words, which always name the person chosen."""
    if chosen_user_id is not None:
        return chosen_user_id, Message("picked by the agent: %(name)s",
                                       name=names.get(chosen_user_id, f"user {chosen_user_id}"))
    no_evidence = bool(candidates) and not any(c.has_evidence for c in candidates)
    if no_evidence and promise.coordinator_id is not None:
        return promise.coordinator_id, Message("routed to %(name)s, the topic's coordinator: no evidence for anyone "
                                               "on this question yet", name=names[promise.coordinator_id])
    for candidate in candidates:
        if candidate.available:
            if no_evidence:
                return candidate.user_id, Message("routed to %(name)s: no evidence for anyone on this question and "
                                                  "no coordinator, so the first available by name", name=candidate.name)
            return candidate.user_id, Message("routed to %(summary)s", summary=candidate.summary)
    if promise.coordinator_id is not None:
        return promise.coordinator_id, Message("routed to %(name)s, the topic's coordinator: no expert available",
                                               name=names[promise.coordinator_id])
    if candidates:
        return candidates[0].user_id, Message("routed to %(summary)s: no expert available, with an alarm",
                                              summary=candidates[0].summary)
    return None, ""
