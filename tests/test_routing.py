"""Routing scenarios through the real app: every question gets an owner, a promise and a visible route."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.background import tick
from routing.availability import add_absence, set_expert_status
from knowledge.models import User
from routing.models import Event, Notification, Question, RoutingPolicy
from tests.conftest import csrf_token_from
from tests.factories import make_expert, make_question, make_topic, make_user


@pytest.fixture
def organisation(session):
    """Parking and waste, two experts each way round, and a coordinator for parking."""
    parking = make_topic(session, "parking", "Parking")
    make_topic(session, "waste", "Waste")
    people = {
        "petra": make_expert(session, "Petra Parkeer", knows={"parking": 3}),
        "willem": make_expert(session, "Willem Afval", knows={"waste": 3}),
        "pim": make_expert(session, "Pim Parkeer", knows={"parking": 1}),
        "coordinator": make_expert(session, "Cor Coördinator", knows={}),
        "agent": make_user(session, "agent", email="agent@example.org", name="Anna Agent"),
    }
    session.add(RoutingPolicy(topic_id=parking.id, accept_within_minutes=60, answer_within_hours=16,
                              escalate_before_minutes=120, coordinator_id=people["coordinator"].id))
    session.commit()
    return people


def _take_in_by_phone(client, auth, text="Can I get a parking permit for my visitor?", topic="parking", email=""):
    auth.login("agent@example.org")
    response = auth.post("/frontoffice/questions/new", {
        "text": text, "channel": "phone", "priority": "normal", "topic": topic, "name": "Mevr. Jansen",
        "email": email, "phone": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    tracking_url = re.search(r"(http://localhost/track/VB-\d{4}-\d{6}\?token=[\w-]+)", page).group(1)
    auth.logout()
    return page, tracking_url.replace("http://localhost", "")


def _question(session) -> Question:
    session.expire_all()
    return session.scalars(select(Question).order_by(Question.id.desc())).first()


def test_a_phone_question_is_routed_answered_and_the_customer_sees_the_answer(client, auth, session, organisation,
                                                                              clock):
    page, tracking = _take_in_by_phone(client, auth, email="jansen@example.org")
    question = _question(session)
    assert question.owner_id == organisation["petra"].id  # the parking specialist, available now
    assert "Petra Parkeer" in page and "specialist in Parking" in page
    # Monday 10:30 in Amsterdam + 16 business hours (08:30–17:00): 6.5 + 8.5 + 1 = Wednesday 09:30 local.
    assert question.due_at == datetime(2026, 3, 4, 8, 30, tzinfo=timezone.utc)
    routed = next(e for e in question.events if e.kind == "routed")
    assert {c["name"] for c in routed.payload["candidates"]} >= {"Petra Parkeer", "Pim Parkeer", "Willem Afval"}

    clock.now += timedelta(minutes=20)
    auth.login("petra@example.org")
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert question.reference in inbox
    assert auth.post(f"/inbox/questions/{question.reference}/accept").status_code == 303
    assert auth.post(f"/inbox/questions/{question.reference}/answer",
                     {"answer": "Yes: buy **visitor hours** in the parking app.", "worth_keeping": "y"}).status_code == 303
    auth.logout()

    customer_page = client.get(tracking).get_data(as_text=True)
    assert "Your question has been answered." in customer_page
    assert "<strong>visitor hours</strong>" in customer_page
    assert "Petra" not in customer_page  # the route in plain words, without staff names
    assert "Passed to Team Parking" in customer_page
    kinds = [e.kind for e in _question(session).events]
    assert kinds[:4] == ["received", "routed", "accepted", "answered"]
    mails = session.scalars(select(Notification.kind, ).order_by(Notification.id)).all()
    assert mails == ["received", "assigned", "answered"]


def test_the_tracking_page_is_404_for_a_wrong_or_missing_token_exactly_like_an_unknown_reference(
        client, auth, session, organisation):
    _, tracking = _take_in_by_phone(client, auth)
    reference = _question(session).reference
    client.get("/")  # shows (and so clears) the "signed out" message
    unknown = client.get("/track/VB-2026-999999?token=abc")
    for url in (f"/track/{reference}", f"/track/{reference}?token=wrong", f"/track/{reference}?token="):
        response = client.get(url)
        assert response.status_code == 404
        assert response.get_data() == unknown.get_data()
    api = client.get(f"/api/v1/questions/{reference}", headers={"X-Tracking-Token": "wrong"})
    assert api.status_code == 404
    token = tracking.split("token=")[1]
    ok = client.get(f"/api/v1/questions/{reference}", headers={"X-Tracking-Token": token}).get_json()
    assert ok["status"] == "routed" and ok["with"] == "Team Parking"


def test_an_absent_expert_s_open_questions_are_re_routed_with_events(app, client, auth, session, organisation, clock):
    _take_in_by_phone(client, auth)
    question = _question(session)
    assert question.owner_id == organisation["petra"].id
    add_absence(session, organisation["petra"].id, starts_at=clock.now + timedelta(minutes=5),
                ends_at=clock.now + timedelta(days=3), reason="sick")
    session.commit()
    clock.now += timedelta(minutes=10)

    report = tick(app)
    assert report.rerouted_absent == [question.reference]
    question = _question(session)
    assert question.owner_id == organisation["pim"].id
    last = question.events[-1]
    assert last.kind == "routed" and "Petra Parkeer is not available" in last.payload["reason"]
    assert tick(app).rerouted_absent == []  # once, not every minute


def test_an_expert_marked_away_hands_on_the_questions_they_had_already_accepted(app, client, auth, session,
                                                                                organisation):
    _take_in_by_phone(client, auth)
    question = _question(session)
    auth.login("petra@example.org")
    auth.post(f"/inbox/questions/{question.reference}/accept")
    assert _question(session).status == "accepted"
    set_expert_status(session, organisation["petra"].id, presence="away")  # off to the dentist, unanswered
    session.commit()

    report = tick(app)
    assert report.rerouted_absent == [question.reference] and report.failed == []
    question = _question(session)
    assert question.status == "routed" and question.owner_id == organisation["pim"].id
    assert question.events[-1].payload["reason"] == "Petra Parkeer is not available: handed on"


def test_a_question_nobody_can_take_stays_put_and_does_not_stop_the_round(app, session, clock):
    anna = make_expert(session, "Anna Alleen")  # the only expert, and there is no administrator
    first, _ = make_question(session, "Is the market on Saturday?", owner=anna, now=clock.now)
    second, _ = make_question(session, "Can I park at the market?", owner=anna, now=clock.now)
    set_expert_status(session, anna.id, presence="away")
    session.commit()

    report = tick(app)  # each question is tried; neither failure stops the round
    assert report.failed == [first.reference, second.reference]
    session.expire_all()
    assert [(q.status, q.owner_id) for q in (first, second)] == [("routed", anna.id)] * 2


def test_a_question_not_accepted_in_time_goes_to_the_next_expert(app, client, auth, session, organisation, clock):
    _take_in_by_phone(client, auth)
    clock.now += timedelta(minutes=59)
    assert tick(app).rerouted_not_accepted == []
    clock.now += timedelta(minutes=2)
    report = tick(app)
    question = _question(session)
    assert report.rerouted_not_accepted == [question.reference]
    assert question.owner_id == organisation["pim"].id
    assert question.events[-1].payload["reason"] == "not accepted within 60 minutes: handed on"


def test_approaching_the_promise_alarms_the_coordinator_once(app, client, auth, session, organisation, clock):
    _take_in_by_phone(client, auth)
    auth.login("petra@example.org")
    auth.post(f"/inbox/questions/{_question(session).reference}/accept")
    question = _question(session)
    clock.now = question.due_at - timedelta(minutes=121)
    assert tick(app).alarmed == []
    clock.now += timedelta(minutes=2)
    assert tick(app).alarmed == [question.reference]
    assert tick(app).alarmed == []
    escalated = [e for e in _question(session).events if e.kind == "escalated"]
    assert len(escalated) == 1 and escalated[0].payload["to_user_id"] == organisation["coordinator"].id
    to = session.scalars(select(Notification.to_email).where(Notification.kind == "escalated")).all()
    assert sorted(to) == ["cor@example.org", "petra@example.org"]


def test_a_re_route_keeps_the_promise_and_does_not_alarm_the_coordinator_twice(app, client, auth, session,
                                                                                 organisation, clock):
    _take_in_by_phone(client, auth)
    question = _question(session)
    due = question.due_at
    clock.now = due - timedelta(minutes=119)  # long past the hour to accept, and the promise is near
    assert tick(app).rerouted_not_accepted == [question.reference]
    assert tick(app).alarmed == [question.reference]
    clock.now += timedelta(minutes=61)  # the next expert does not accept either
    assert tick(app).rerouted_not_accepted == [question.reference]
    assert tick(app).alarmed == []
    question = _question(session)
    assert question.due_at == due
    assert len([e for e in question.events if e.kind == "escalated"]) == 1


def test_a_customer_reply_to_an_info_request_resumes_the_clock(client, auth, session, organisation, clock):
    _, tracking = _take_in_by_phone(client, auth, email="jansen@example.org")
    question = _question(session)
    due = question.due_at
    auth.login("petra@example.org")
    auth.post(f"/inbox/questions/{question.reference}/accept")
    auth.post(f"/inbox/questions/{question.reference}/ask", {"message": "What is your licence plate?"})
    auth.logout()
    assert _question(session).status == "waiting_for_customer"

    clock.now += timedelta(hours=3)
    page = client.get(tracking).get_data(as_text=True)
    assert "What is your licence plate?" in page
    token = csrf_token_from(page)
    client.post(tracking.split("?")[0], data={"csrf_token": token, "token": tracking.split("token=")[1],
                                             "action": "reply", "message": "XX-123-Y"})
    question = _question(session)
    assert question.status == "accepted"
    assert question.due_at == due + timedelta(hours=3)
    assert [e.kind for e in question.events][-3:] == ["info_requested", "customer_viewed", "customer_replied"]


def test_the_agent_can_give_the_question_to_another_candidate(client, auth, session, organisation):
    _take_in_by_phone(client, auth)
    question = _question(session)
    auth.login("agent@example.org")
    response = auth.post(f"/frontoffice/questions/{question.reference}/reassign", {"user_id": organisation["pim"].id})
    assert response.status_code == 303
    question = _question(session)
    assert question.owner_id == organisation["pim"].id
    assert question.events[-1].payload["reason"] == f"picked by the agent: {organisation['pim'].name}"


def test_nobody_available_goes_to_the_coordinator(client, auth, session, organisation, clock):
    for name in ("petra", "pim", "willem"):
        set_expert_status(session, organisation[name].id, presence="away")
    session.commit()
    _take_in_by_phone(client, auth)
    question = _question(session)
    assert question.owner_id == organisation["coordinator"].id


@pytest.mark.parametrize("body, status, error", [
    ({"text": "", "channel": "web"}, 422, "invalid_question"),
    ({"text": "x" * 20_000, "channel": "web"}, 422, "invalid_question"),
    ({"text": "Hello?", "channel": "pigeon"}, 401, "unauthorized"),
    ({"text": "Hello?", "channel": "phone"}, 401, "unauthorized"),
    ({"text": 5, "channel": "web"}, 400, "invalid_field"),
    ({"text": "Hi", "channel": "web", "customer": "me"}, 400, "invalid_field"),
    ({"text": "Hi", "channel": "web", "customer": {"email": "nope"}}, 400, "invalid_field"),
    ({"text": "Hi", "channel": "web", "topic": "space-travel"}, 422, "invalid_question"),
    ("not an object", 400, "invalid_json"),
])
def test_bad_api_intake_gets_a_clear_4xx_and_stores_nothing(client, session, organisation, body, status, error):
    response = client.post("/api/v1/questions", json=body)
    assert response.status_code == status
    assert response.get_json()["error"] == error
    assert session.scalar(select(func.count()).select_from(Question)) == 0
    assert session.scalar(select(func.count()).select_from(Event)) == 0


def test_api_intake_with_a_staff_token_and_the_public_web_channel(client, runner, session, organisation):
    token = runner.invoke(args=["users", "token", "--email", "agent@example.org"]).output.strip()
    assert client.post("/api/v1/questions", json={"text": "Bin not emptied", "channel": "email"},
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.post("/api/v1/questions", json={
        "text": "Bin not emptied on the Kerkstraat", "channel": "email", "topic": "waste",
        "customer": {"name": "Piet", "email": "piet@example.org"}}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"VB-2026-\d{6}", body["reference"]) and body["status"] == "routed"
    assert _question(session).owner_id == organisation["willem"].id

    web = client.post("/api/v1/questions", json={"text": "Where do I park my camper?", "channel": "web"})
    assert web.status_code == 201
    assert client.get(web.get_json()["tracking_url"].replace("http://localhost", "")).status_code == 200


def test_routing_preview_ranks_experts_with_reasons(client, runner, session, organisation):
    token = runner.invoke(args=["users", "token", "--email", "agent@example.org"]).output.strip()
    response = client.post("/api/v1/routing/preview", json={"text": "visitor permit", "topic": "parking"},
                           headers={"Authorization": f"Bearer {token}"})
    candidates = response.get_json()["candidates"]
    assert [c["name"] for c in candidates[:2]] == ["Petra Parkeer", "Pim Parkeer"]
    assert candidates[0]["available"] is True
    assert "specialist in Parking" in candidates[0]["reasons"]
    assert any(r.startswith("available until") for r in candidates[0]["reasons"])
    assert client.post("/api/v1/routing/preview", json={"text": "x"}).status_code == 401


def test_a_customer_who_finds_nothing_asks_and_follows_the_question(client, session, organisation):
    page = client.get("/?q=camper+parking+on+the+dyke").get_data(as_text=True)
    assert "/ask?q=camper+parking+on+the+dyke" in page
    form = client.get("/ask?q=camper+parking+on+the+dyke").get_data(as_text=True)
    assert "camper parking on the dyke</textarea>" in form
    response = client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": "Can I park my camper on the dyke?",
                                         "topic": "parking", "name": "Kees", "email": "kees@example.org"})
    assert response.status_code == 200
    confirmation = response.get_data(as_text=True)
    tracking = re.search(r'href="http://localhost(/track/VB-\d{4}-\d{6}\?token=[\w-]+)"', confirmation).group(1)
    assert "Your question is with Team Parking." in client.get(tracking).get_data(as_text=True)
    question = _question(session)
    assert (question.channel, question.owner_id) == ("web", organisation["petra"].id)


def test_the_ask_form_refuses_an_empty_question_and_stores_nothing(client, session, organisation):
    form = client.get("/ask").get_data(as_text=True)
    response = client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": "  "})
    assert response.status_code == 400
    assert "Please describe the question." in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_imported_history_teaches_the_expertise_map(client, runner, session, tmp_path, organisation):
    lines = [
        {"question_id": 1, "created": "2026-02-20T10:00:00Z", "title": "Can I rent out my parking spot?",
         "text": "I own a garage box.", "tags": ["parking-rental"],
         "answers": [{"user_id": 77, "created": "2026-02-20T12:00:00Z", "accepted": True, "text": "Yes, privately."},
                     {"user_id": 78, "created": "2026-02-20T11:00:00Z", "accepted": False, "text": "No idea"}]},
        {"question_id": 2, "created": "2026-02-25T09:00:00Z", "title": "Renting my parking place to a neighbour",
         "tags": ["parking-rental"],
         "answers": [{"user_id": 77, "created": "2026-02-25T10:00:00Z", "accepted": True, "text": "That is allowed."}]},
        {"question_id": 3, "created": "not a date", "title": "Broken", "answers": [{"user_id": 1, "text": "x"}]},
        {"question_id": 4, "created": "2026-02-25T09:00:00Z", "title": "No answers", "answers": []},
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["routing", "import-history", str(path)])
    # every answer counts: the one not accepted makes its author (78) an expert too
    assert "Imported 2 answered questions and 2 new experts; skipped 2 invalid lines." in result.output
    assert "Kept 3 answers as evidence" in result.output
    assert "line 3: " in result.output and "line 4: " in result.output
    assert 'Skipped 1: "answers" must be a non-empty list (line 4)' in result.output

    imported = session.scalar(select(User).where(User.email == "history-77@imported.invalid"))
    assert imported.roles == {"expert"} and imported.password_hash is None
    token = runner.invoke(args=["users", "token", "--email", "agent@example.org"]).output.strip()
    candidates = client.post("/api/v1/routing/preview", json={"text": "rent out my parking spot"},
                             headers={"Authorization": f"Bearer {token}"}).get_json()["candidates"]
    mine = next(c for c in candidates if c["user_id"] == imported.id)
    assert "2 answers in all, latest 4 days ago" in mine["reasons"]  # 25 Feb 10:00 → 2 Mar 09:30
    assert mine["score"] > 0 and mine["available"] is False  # knows it, but has no working hours set


def test_a_nul_character_in_a_submitted_question_is_refused_and_nothing_is_stored(client, session, organisation):
    assert client.post("/api/v1/questions", json={"text": "Hi\u0000there", "channel": "web"}).status_code == 400
    form = client.get("/ask").get_data(as_text=True)
    response = client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": "Hi\x00there"})
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Question)) == 0
