"""The intake rules on their own: `check_new_question` with a plain SQLAlchemy session, no Flask.

Every channel (API, the agent's form, the customer's form, mail) sends a `NewQuestion` through these
rules; the HTTP tests (test_routing.py, test_question_forms.py) prove how the web layer shows them.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from routing.errors import InvalidQuestion
from routing.models import Event, Question
from routing.questions import (MAX_QUESTION_TEXT, Customer, NewQuestion, check_new_question, take_in_question,
                               topic_by_slug)
from tests.domain_fixtures import no_flask_app, plain_session  # noqa: F401  (fixtures)
from tests.factories import T0, make_topic


def _problem(session, new: NewQuestion) -> InvalidQuestion:
    with pytest.raises(InvalidQuestion) as refused:
        check_new_question(session, new)
    return refused.value


@pytest.mark.parametrize("new, field, message", [
    (NewQuestion(text="", channel="web"), "text", "Please describe the question."),
    (NewQuestion(text=" \t\x01\x02\n", channel="web"), "text", "Please describe the question."),
    (NewQuestion(text="x" * 10_001, channel="web"), "text", "A question has at most 10,000 characters."),
    (NewQuestion(text="Hello?", channel="pigeon"), "channel",
     "Unknown channel 'pigeon'; use one of phone, desk, web, email, api."),
    (NewQuestion(text="Hello?", channel="web", priority="yesterday"), "priority", "Unknown priority 'yesterday'."),
    (NewQuestion(text="Hello?", channel="web", topic_slug="space-travel"), "topic", "Unknown topic 'space-travel'."),
    (NewQuestion(text="Hello?", channel="web", customer=Customer(name="n" * 121)), "customer.name",
     "A name has at most 120 characters."),
    (NewQuestion(text="Hello?", channel="web", customer=Customer(email="nope")), "customer.email",
     "customer.email is not an e-mail address."),
    (NewQuestion(text="Hello?", channel="web", customer=Customer(email="a" * 250 + "@b.nl")), "customer.email",
     "customer.email is not an e-mail address."),
    (NewQuestion(text="Hello?", channel="web", customer=Customer(phone="1" * 41)), "customer.phone",
     "A phone number has at most 40 characters."),
])
def test_each_broken_rule_names_its_field_in_words_a_customer_can_read(plain_session, new, field, message):
    error = _problem(plain_session, new)
    assert (error.field, str(error)) == (field, message)
    assert error.problems == {field: message}


def test_every_problem_is_found_at_once_and_the_first_is_the_errors_own(plain_session):
    error = _problem(plain_session, NewQuestion(
        text="  ", channel="pigeon", priority="soon", topic_slug="space-travel",
        customer=Customer(name="n" * 121, email="nope", phone="1" * 41)))
    assert list(error.problems) == ["text", "channel", "priority", "topic", "customer.name", "customer.email",
                                    "customer.phone"]
    assert (error.field, str(error)) == ("text", "Please describe the question.")


def test_a_good_question_comes_back_cleaned_as_it_is_stored_with_its_topic(plain_session):
    waste = make_topic(plain_session, "waste", "Waste")
    checked = check_new_question(plain_session, NewQuestion(
        text="  My bin\x00 was not emptied.\n", channel="phone", topic_slug="waste", priority="high",
        customer=Customer(name=" Mevr. Jansen ", email=" Jansen@Example.ORG ", phone="  ")))
    assert checked.text == "My bin  was not emptied."
    assert (checked.channel, checked.priority, checked.topic.id) == ("phone", "high", waste.id)
    assert checked.customer == Customer(name="Mevr. Jansen", email="jansen@example.org", phone=None)


def test_the_text_counts_as_stored_and_the_contact_details_as_given(plain_session):
    """What the API has always taken (a padded 10,000-character text, an address with just an "@", a name
    of exactly 120 characters) passes; one character more does not."""
    new = NewQuestion(text="\n" + "x" * MAX_QUESTION_TEXT + "  ", channel="api",
                      customer=Customer(name="n" * 120, email="a@b", phone="1" * 40))
    assert len(check_new_question(plain_session, new).text) == MAX_QUESTION_TEXT
    error = _problem(plain_session, NewQuestion(text="x", channel="api", customer=Customer(name=" " + "n" * 120)))
    assert error.field == "customer.name"


def test_intake_refuses_with_the_same_problems_and_stores_nothing(plain_session):
    new = NewQuestion(text="", channel="email", customer=Customer(email="not an address"))
    with pytest.raises(InvalidQuestion) as refused:
        take_in_question(plain_session, T0, new)
    assert refused.value.problems == _problem(plain_session, new).problems
    plain_session.rollback()
    assert plain_session.scalar(select(func.count()).select_from(Question)) == 0
    assert plain_session.scalar(select(func.count()).select_from(Event)) == 0


def test_a_topic_is_found_by_its_slug_in_one_place(plain_session):
    parking = make_topic(plain_session, "parking", "Parking")
    assert topic_by_slug(plain_session, None) is None
    assert topic_by_slug(plain_session, "") is None
    assert topic_by_slug(plain_session, "parking").id == parking.id
    with pytest.raises(InvalidQuestion, match="Unknown topic 'space-travel'.") as refused:
        topic_by_slug(plain_session, "space-travel")
    assert refused.value.field == "topic"


def test_a_rule_about_no_one_field_has_no_field_problems():
    assert InvalidQuestion("An answer cannot be empty.").problems == {}
    assert InvalidQuestion("Pick one.", field="user_id").problems == {"user_id": "Pick one."}
