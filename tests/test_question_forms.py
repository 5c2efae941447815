"""The two question forms show the domain's intake problems beside their fields, all at once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from routing.models import Question
from tests.conftest import csrf_token_from
from tests.factories import make_expert, make_topic, make_user


def _errors(page: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', page)


@pytest.fixture
def topics(session):
    make_topic(session, "waste", "Waste")
    make_expert(session, "Willem Afval", knows={"waste": 3})


def test_the_ask_form_shows_the_question_and_the_address_problem_together(client, session, topics):
    form = client.get("/ask").get_data(as_text=True)
    response = client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": " ", "email": "nope",
                                         "name": "n" * 121})
    assert response.status_code == 400
    assert _errors(response.get_data(as_text=True)) == [
        "Please describe the question.", "A name has at most 120 characters.", "Invalid email address."]
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_the_ask_form_tells_the_browser_the_domains_limits(client, topics):
    form = client.get("/ask").get_data(as_text=True)
    # The question's text area has no maxlength: a browser would cut a long paste without a word (#14);
    # the server refuses it with a message instead (test_a_question_over_10000_characters_is_refused_never_cut).
    assert '<textarea id="text" name="text" required' in form
    assert '<input id="name" maxlength="120" name="name" type="text"' in form
    assert '<input id="email" maxlength="254" name="email" type="email"' in form


def test_the_agents_form_puts_each_problem_beside_its_field(client, auth, session, topics):
    make_user(session, "agent", email="agent@example.org")
    auth.login("agent@example.org")
    response = auth.post("/frontoffice/questions/new", {
        "text": "Bulky waste pick-up?", "channel": "phone", "priority": "normal", "topic": "waste",
        "name": "", "email": "", "phone": "1" * 41})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'id="phone"[^>]*>\s*<p class="error" role="alert">A phone number has at most 40 characters.',
                     page)
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_blank_contact_details_count_as_not_given(client, session, topics):
    form = client.get("/ask").get_data(as_text=True)
    response = client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": "Can I get a second bin?",
                                         "topic": "waste", "name": " " * 300, "email": "   "})
    assert response.status_code == 200
    question = session.scalars(select(Question)).one()
    assert (question.customer_name, question.customer_email) == (None, None)


def test_a_question_over_10000_characters_is_refused_never_cut(client, auth, session, topics):
    """Every form and the API: 20,000 characters get a message and change nothing."""
    long_text = "Lange vraag over grofvuil. " * 800
    assert len(long_text) > 20_000
    form = client.get("/ask").get_data(as_text=True)
    asked = client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": long_text})
    assert asked.status_code == 400 and "A question has at most 10,000 characters." in asked.get_data(as_text=True)
    api = client.post("/api/v1/questions", json={"text": long_text, "channel": "web"})
    assert api.status_code == 422 and api.get_json()["message"] == "A question has at most 10,000 characters."
    make_user(session, "agent", email="agent@example.org")
    auth.login("agent@example.org")
    for fields in ({"text": long_text, "note": ""}, {"text": "Grofvuil?", "note": long_text}):
        taken = auth.post("/frontoffice/questions/new", {**fields, "channel": "phone", "priority": "normal",
                                                          "topic": "waste", "name": "", "email": "", "phone": ""})
        assert taken.status_code == 400
        assert "has at most 10,000 characters." in taken.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_an_imported_history_question_over_10000_characters_is_refused_with_its_line(session):
    import json

    from routing.history import import_history
    record = {"question_id": 1, "created": "2026-01-05T10:00:00Z", "title": "Long", "text": "x" * 20_000,
              "tags": ["waste"], "answers": [{"user_id": 7, "created": "2026-01-05T12:00:00Z", "text": "Ok."}]}
    report = import_history(session, [json.dumps(record)])
    assert report.imported == 0 and "at most 10,000 characters" in report.errors[0][1]
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_an_expert_answer_reason_or_question_too_long_is_refused_not_cut(client, auth, session, topics):
    from tests.factories import make_question
    expert = make_user(session, "expert", email="e@example.org", name="Eva Expert")
    question, _ = make_question(session, owner=expert)
    auth.login("e@example.org")
    for action, fields, words in (("answer", {"answer": "x" * 100_001}, "An answer has at most 100,000"),
                                  ("ask", {"message": "x" * 5001}, "A question to the customer has at most 5,000")):
        done = auth.post(f"/inbox/questions/{question.reference}/{action}", fields)
        assert words in client.get(done.location).get_data(as_text=True)
    session.expire_all()
    assert (session.get(Question, question.id).status, session.get(Question, question.id).answer) == ("routed", None)
