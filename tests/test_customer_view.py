"""Two texts per question: the customer's words reach the customer, the agent's internal note never does;
the tracking page names the team, says when we wait for the customer, and lets them reply once to the answer."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from routing.models import Event, Question, RoutingPolicy
from tests.factories import make_expert, make_topic, make_user

MARKER = "NOTITIE-INTERN-7731"
CUSTOMER_WORDS = "Ik wil bezwaar maken tegen mijn WOZ-waarde, hoe doe ik dat?"


@pytest.fixture
def team(session):
    taxes = make_topic(session, "belastingen", "Belastingen")
    people = {"bea": make_expert(session, "Bea Belasting", knows={"belastingen": 3}),
              "agent": make_user(session, "agent", email="agent@example.org", name="Anna Agent")}
    session.add(RoutingPolicy(topic_id=taxes.id, accept_within_minutes=60, answer_within_hours=16,
                              escalate_before_minutes=120))
    session.commit()
    return people


def _take_in(client, auth, note=f"Mevrouw heeft al eerder een bezwaar ingediend. {MARKER}"):
    auth.login("agent@example.org")
    response = auth.post("/frontoffice/questions/new", {
        "text": CUSTOMER_WORDS, "note": note, "channel": "phone", "priority": "normal",
        "topic": "belastingen", "name": "Mevr. Jansen", "email": "", "phone": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    tracking = re.search(r"http://localhost(/track/VB-\d{4}-\d{6}\?token=[\w-]+)", page).group(1)
    auth.logout()
    return tracking


def _bea_does(auth, question, *steps):
    """Bea, the expert, signs in and takes these (action, fields) steps on the question."""
    auth.login("bea@example.org")
    for action, fields in steps:
        auth.post(f"/inbox/questions/{question.reference}/{action}", fields)
    auth.logout()


ANSWER = (("accept", {}), ("answer", {"answer": "Maak bezwaar via Mijn Loket."}))


def _question(session) -> Question:
    session.expire_all()
    return session.scalars(select(Question).order_by(Question.id.desc())).first()


def test_the_internal_note_reaches_staff_and_never_the_customer(client, auth, session, team):
    tracking = _take_in(client, auth)
    question = _question(session)
    assert (question.text, question.language) == (CUSTOMER_WORDS, "nl")
    assert MARKER in question.internal_note

    page = client.get(tracking).get_data(as_text=True)
    assert CUSTOMER_WORDS in page and MARKER not in page and "eerder een bezwaar" not in page
    reference, token = tracking.split("/track/")[1].split("?token=")
    api = client.get(f"/api/v1/questions/{reference}", headers={"X-Tracking-Token": token})
    assert api.get_json()["text"] == CUSTOMER_WORDS and MARKER not in api.get_data(as_text=True)

    # Staff see both texts on the question page.
    auth.login("agent@example.org")
    staff = client.get(f"/frontoffice/questions/{reference}").get_data(as_text=True)
    assert CUSTOMER_WORDS in staff and MARKER in staff


def test_the_api_takes_an_internal_note_from_staff_only_and_refuses_one_that_is_too_long(client, auth, session, team):
    anonymous = client.post("/api/v1/questions", json={"text": "Vraag", "channel": "web", "internal_note": "x"})
    assert anonymous.status_code == 401
    auth.login("agent@example.org")
    too_long = client.post("/api/v1/questions", headers={"X-CSRFToken": auth.csrf_token},
                           json={"text": "Vraag over de WOZ", "channel": "phone", "internal_note": "x" * 10_001})
    assert too_long.status_code == 422 and "internal note has at most 10,000" in too_long.get_json()["message"]
    assert session.scalar(select(Question)) is None


def test_the_tracking_page_names_the_team_and_says_it_waits_without_a_promise(client, auth, session, team):
    tracking = _take_in(client, auth)
    page = client.get(tracking).get_data(as_text=True)
    assert "Uw vraag ligt bij Team Belastingen." in page and "Doorgegeven aan Team Belastingen" in page
    assert "specialist" not in page
    assert "We hebben een antwoord beloofd vóór" in page

    _bea_does(auth, _question(session), ("accept", {}), ("ask", {"message": "Wat is uw WOZ-beschikking nummer?"}))
    paused = client.get(tracking).get_data(as_text=True)
    assert "We wachten op uw antwoord." in paused
    assert "We hebben een antwoord beloofd vóór" not in paused and "staat stil" in paused


def test_after_the_answer_the_customer_replies_once_and_the_question_goes_back_to_the_same_expert(
        app, client, auth, session, team, clock):
    tracking = _take_in(client, auth)
    _bea_does(auth, _question(session), *ANSWER)
    page = client.get(tracking).get_data(as_text=True)
    assert "Nog een vraag over dit antwoord?" in page and "Hebt u hier iets aan?" in page
    token = tracking.split("token=")[1]

    too_long = auth.post(tracking, {"token": token, "action": "follow-up", "message": "x" * 10_001})
    assert "A reply has at most 10,000 characters." in client.get(too_long.location).get_data(as_text=True)
    assert _question(session).status == "answered"

    clock.now += timedelta(days=3)
    done = auth.post(tracking, {"token": token, "action": "follow-up",
                                       "message": "Moet ik ook de taxatie meesturen?"})
    assert "Team Belastingen gaat verder met uw vraag" in client.get(done.location).get_data(as_text=True)
    question = _question(session)
    assert (question.status, question.owner_id) == ("reopened", team["bea"].id)
    assert question.due_at > clock.now
    kinds = session.scalars(select(Event.kind).where(Event.question_id == question.id,
                                                     Event.kind != "customer_viewed").order_by(Event.id)).all()
    assert kinds[-2:] == ["customer_replied", "reopened"]
    assert "Nog een vraag over dit antwoord?" not in client.get(tracking).get_data(as_text=True)


def test_no_reply_to_an_answer_after_the_reopen_period(app, client, auth, session, team, clock):
    app.config["REOPEN_DAYS"] = 2
    tracking = _take_in(client, auth)
    _bea_does(auth, _question(session), *ANSWER)
    clock.now += timedelta(days=3)
    assert "Nog een vraag over dit antwoord?" not in client.get(tracking).get_data(as_text=True)
    token = tracking.split("token=")[1]
    late = auth.post(tracking, {"token": token, "action": "follow-up", "message": "Nog iets"})
    assert "more than 2 days old" in client.get(late.location).get_data(as_text=True)
    assert _question(session).status == "answered"


def test_when_the_customer_calls_back_after_the_answer_the_agent_sees_the_answer_and_the_thread(
        client, auth, session, team):
    _take_in(client, auth)
    question = _question(session)
    _bea_does(auth, question, ("accept", {}), ("ask", {"message": "Welk jaar gaat het om?"}))
    assert _question(session).status == "waiting_for_customer"
    auth.login("agent@example.org")
    waiting = client.get(f"/frontoffice/questions/{question.reference}").get_data(as_text=True)
    assert "waiting for the customer, the clock is paused" in waiting and "Welk jaar gaat het om?" in waiting
    auth.logout()

    from routing.questions import answer_question, record_customer_reply
    question = session.get(Question, question.id)
    record_customer_reply(session, question.updated_at + timedelta(hours=1), question, message="Over 2026.")
    answer_question(session, question.updated_at + timedelta(hours=2), question, expert_id=team["bea"].id,
                    body="Maak bezwaar via **Mijn Loket**.")
    session.commit()

    auth.login("agent@example.org")
    page = client.get(f"/frontoffice/questions/{question.reference}").get_data(as_text=True)
    assert "Tell the customer: reference" not in page and "answer by" not in page
    assert "Answered by <strong>Bea Belasting</strong>" in page and "<strong>Mijn Loket</strong>" in page
    for words in ("Welk jaar gaat het om?", "Over 2026.", "routed", "answered"):
        assert words in page
    home = client.get("/frontoffice/").get_data(as_text=True)
    assert f'href="/frontoffice/questions/{question.reference}">{question.reference}</a>' in home


def test_the_demo_keeps_the_customers_words_apart_from_the_agents_notes(runner, session):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    taken_by_agents = session.scalars(select(Question).where(Question.channel.in_(("phone", "desk")))).all()
    assert taken_by_agents and all(q.internal_note for q in taken_by_agents)
    third_person = re.compile(r"^(Customer|Caller|Mr\.|Mrs\.|WOZ value of)\b")
    assert not [q.text for q in taken_by_agents if third_person.match(q.text)]
