"""Taking a question in, from any channel, and giving it an owner and a promise in the same step.

Phone, desk, e-mail, web form and API all arrive here: where a question comes in must not change
how it is handled. Intake and routing commit together, so no question exists without an owner.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from knowledge.models import Article
from knowledge.search import SearchService
from routing.events import record_event
from routing.models import Question
from routing.questions import NewQuestion, answer_from_knowledge_base, take_in_question
from routing.routing import Candidate, route_question
from routing.sla import BusinessHours


def take_in_and_route(session: Session, now: datetime, new: NewQuestion, *, search: SearchService | None,
                      hours: BusinessHours, taken_in_by_id: int | None = None,
                      chosen_user_id: int | None = None,
                      inferred_topic_slug: str | None = None) -> tuple[Question, str, list[Candidate]]:
    """Returns the routed question, its tracking token (shown only now) and the candidates considered.

    `inferred_topic_slug` is the topic the form showed as inferred from the text; when the agent chose
    another one, that correction is evidence too (a `topic_corrected` event with both)."""
    question, token = take_in_question(session, now, new, taken_in_by_id=taken_in_by_id)
    chosen = question.topic.slug if question.topic else None
    if inferred_topic_slug and chosen != inferred_topic_slug:
        record_event(session, now, "topic_corrected", question=question, actor_id=taken_in_by_id,
                     inferred=inferred_topic_slug, chosen=chosen)
    question, candidates = route_question(session, now, question, search=search, hours=hours,
                                          actor_id=taken_in_by_id, chosen_user_id=chosen_user_id)
    return question, token, candidates


def answer_with_article(session: Session, now: datetime, new: NewQuestion, article: Article, *,
                        agent_id: int) -> Question:
    """First-contact resolution: the agent found the answer during the call; recorded like any question."""
    question, _token = take_in_question(session, now, new, taken_in_by_id=agent_id)
    return answer_from_knowledge_base(session, now, question, article, actor_id=agent_id)
