"""The customer's side in the customer's language: the tracking page speaks the question's language unless the
visitor chose another with the NL/EN switch; the API says its messages in the caller's language (Accept-Language,
else the organisation's) and keeps its machine-readable codes; numbers are written the reader's way."""
from __future__ import annotations

from routing.questions import Customer, NewQuestion, take_in_question
from tests.factories import T0, make_topic

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}


def _tracking(session, text: str) -> str:
    make_topic(session, "afval", "Afval")
    question, token = take_in_question(session, T0, NewQuestion(text=text, channel="web", topic_slug="afval",
                                                                customer=Customer(name="Jan")))
    session.commit()
    return f"/track/{question.reference}?token={token}"


def test_the_tracking_page_speaks_the_questions_language_until_the_visitor_switches(client, auth, session):
    tracking = _tracking(session, "Wanneer wordt het oud papier bij ons in de straat opgehaald?")
    page = client.get(tracking, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="nl">' in page and "Wat er gebeurde" in page and "We hebben uw vraag ontvangen" in page

    auth.post("/taal", data={"locale": "en", "next": tracking})
    page = client.get(tracking).get_data(as_text=True)
    assert '<html lang="en">' in page and "What happened" in page and "We received your question" in page


def test_the_api_says_its_messages_in_the_callers_language_and_keeps_its_codes(app, client, session):
    body = client.get("/api/v1/search", headers=DUTCH).get_json()
    assert body == {"error": "missing_query", "message": "Geef de zoekwoorden in ?q=."}
    assert client.get("/api/v1/search").get_json()["message"] == "Give the words to search for in ?q=."

    app.config.update(DEFAULT_LOCALE="nl", BABEL_DEFAULT_LOCALE="nl")
    body = client.get("/api/v1/questions/VB-2026-000999?token=x").get_json()
    assert body == {"error": "not_found", "message": "Geen vraag met dit kenmerk en deze token."}
    refused = client.post("/api/v1/questions", json={"text": "x" * 10_001, "channel": "web"}).get_json()
    assert refused == {"error": "invalid_question", "message": "Een vraag heeft hoogstens 10.000 tekens."}
    refused = client.post("/api/v1/questions", json={"text": "x" * 10_001, "channel": "web"},
                          headers={"Accept-Language": "en"}).get_json()
    assert refused["message"] == "A question has at most 10,000 characters."


def test_the_api_status_of_a_question_is_said_in_the_callers_language(client, session):
    tracking = _tracking(session, "Wanneer wordt het oud papier bij ons in de straat opgehaald?")
    reference, token = tracking.removeprefix("/track/").split("?token=")
    status = client.get(f"/api/v1/questions/{reference}", headers={**DUTCH, "X-Tracking-Token": token}).get_json()
    assert status["status"] == "new" and status["status_text"] == "We hebben uw vraag ontvangen."
    assert status["with"] == "Team Afval" and status["timeline"][0]["text"] == "We hebben uw vraag ontvangen"


def test_a_page_that_does_not_exist_says_so_in_dutch(client):
    page = client.get("/bestaat-niet", headers=DUTCH).get_data(as_text=True)
    assert "Niet gevonden" in page and "Deze pagina bestaat niet." in page and "Back to the start" not in page
