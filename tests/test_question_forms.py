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
    assert '<textarea id="text" maxlength="10000" name="text" required' in form
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
