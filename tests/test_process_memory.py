"""Every step of a question writes an event, and events can never be changed or removed."""
from datetime import timedelta

import pytest

from routing.events import AppendOnlyViolation, record_event
from routing.models import Event, Question
from routing.questions import (
    Customer,
    NewQuestion,
    accept_question,
    answer_question,
    assign_to_expert,
    find_by_reference_and_token,
    hash_token,
    record_customer_reply,
    request_customer_info,
    take_in_question,
)
from routing.errors import InvalidQuestion, WrongState
from tests.factories import T0, make_topic, make_user


def _phone_question(session, text="When is the bulky waste collected on the Kerkstraat?", **kw):
    question, token = take_in_question(session, T0, NewQuestion(
        text=text, channel="phone", customer=Customer(name="Mevr. De Vries", phone="06-00000000"), **kw))
    session.commit()
    return question, token


def test_a_question_gets_a_readable_reference_and_a_secret_token_stored_only_as_a_hash(session):
    question, token = _phone_question(session)
    assert question.reference == f"VB-2026-{question.id:06d}"
    assert len(token) >= 32  # 24 random bytes, url-safe
    assert question.tracking_token_hash == hash_token(token)
    assert token not in question.tracking_token_hash
    assert find_by_reference_and_token(session, question.reference, token) is question
    assert find_by_reference_and_token(session, question.reference, token + "x") is None
    assert find_by_reference_and_token(session, "VB-2026-999999", token) is None


def test_the_route_of_a_question_is_recorded_step_by_step(session):
    expert = make_user(session, "expert")
    question, _ = _phone_question(session)
    assign_to_expert(session, T0 + timedelta(minutes=5), question, expert.id, due_at=T0 + timedelta(days=2),
                     actor_id=None, candidates=[{"user_id": expert.id, "score": 0.9}])
    accept_question(session, T0 + timedelta(minutes=30), question, expert_id=expert.id)
    request_customer_info(session, T0 + timedelta(hours=1), question, expert_id=expert.id, message="Which number?")
    record_customer_reply(session, T0 + timedelta(hours=5), question, message="Kerkstraat 12")
    answer_question(session, T0 + timedelta(hours=6), question, expert_id=expert.id, body="On **Tuesday**.")
    session.commit()

    kinds = [e.kind for e in question.events]
    assert kinds == ["received", "routed", "accepted", "info_requested", "customer_replied", "answered"]
    assert question.events[1].payload["candidates"] == [{"user_id": expert.id, "score": 0.9}]
    # The four hours spent waiting for the customer do not count against the promise.
    assert question.due_at == T0 + timedelta(days=2, hours=4)
    assert question.answer_html == "<p>On <strong>Tuesday</strong>.</p>"


def test_recorded_events_cannot_be_changed(session):
    question, _ = _phone_question(session)
    event = question.events[0]
    event.payload = {"channel": "desk"}
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    assert session.get(Event, event.id).payload == {"channel": "phone"}


def test_recorded_events_cannot_be_deleted(session):
    question, _ = _phone_question(session)
    session.delete(question.events[0])
    with pytest.raises(AppendOnlyViolation):
        session.flush()


def test_an_unknown_event_kind_is_refused(session):
    question, _ = _phone_question(session)
    with pytest.raises(ValueError):
        record_event(session, T0, "teleported", question=question)


@pytest.mark.parametrize("new, message", [
    (NewQuestion(text="   ", channel="phone"), "describe the question"),
    (NewQuestion(text="x" * 20_000, channel="phone"), "at most 10,000 characters"),
    (NewQuestion(text="Hello?", channel="carrier-pigeon"), "Unknown channel"),
    (NewQuestion(text="Hello?", channel="web", priority="yesterday"), "Unknown priority"),
    (NewQuestion(text="Hello?", channel="web", topic_slug="no-such-topic"), "Unknown topic"),
])
def test_bad_intake_is_refused_and_stores_nothing(session, new, message):
    with pytest.raises(InvalidQuestion, match=message):
        take_in_question(session, T0, new)
    session.rollback()
    assert session.query(Question).count() == 0
    assert session.query(Event).count() == 0


def test_a_step_in_the_wrong_state_is_refused(session):
    make_topic(session, "waste")
    expert = make_user(session, "expert")
    other = make_user(session, "expert")
    question, _ = _phone_question(session, topic_slug="waste")
    with pytest.raises(WrongState):
        answer_question(session, T0, question, expert_id=expert.id, body="Too early")
    assign_to_expert(session, T0, question, expert.id, due_at=T0 + timedelta(days=1), actor_id=None)
    with pytest.raises(WrongState, match="assigned to someone else"):
        accept_question(session, T0, question, expert_id=other.id)
