"""A returning customer: staff see their other questions, and routing knows who helped them before."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from app.extensions import db
from routing.customers import email_key, other_questions_of_customer, phone_key
from routing.expertise import CUSTOMER_WEIGHT, PastAnswer, expertise_scores
from routing.models import Question
from tests.factories import T0, make_expert, make_question, make_topic, make_user
from tests.test_migrations import empty_database_url, migration_app  # noqa: F401  (fixtures)


@pytest.mark.parametrize("given, expected", [
    ("06-1234 5678", "612345678"),
    ("+31 6 12345678", "612345678"),
    ("0031 (0)6 1234 5678", "612345678"),
    ("14 020", None),  # too short to tell people apart
    ("", None),
    (None, None),
])
def test_phone_numbers_written_differently_give_one_key(given, expected):
    assert phone_key(given) == expected


def test_email_addresses_are_compared_without_regard_to_case():
    assert email_key("  Jansen@Example.ORG ") == "jansen@example.org"
    assert email_key("   ") is None


def test_other_questions_are_found_by_email_or_phone_and_never_another_customer(session):
    make_topic(session, "parking", "Parking")
    by_mail, _ = make_question(session, "Where do I pay a parking fine?", customer_email="Jansen@Example.org")
    by_phone, _ = make_question(session, "Visitor permit?", customer_phone="+31 6 12345678",
                                now=T0 + timedelta(hours=1))
    stranger, _ = make_question(session, "A stranger's question", customer_email="other@example.org",
                                customer_phone="06 99999999", now=T0 + timedelta(hours=2))
    anonymous, _ = make_question(session, "Nobody gave details", now=T0 + timedelta(hours=3))
    now, _ = make_question(session, "And my parking permit?", customer_email="jansen@example.org",
                           customer_phone="06-1234 5678", now=T0 + timedelta(hours=4))

    assert [q.id for q in other_questions_of_customer(session, now)] == [by_phone.id, by_mail.id]  # newest first
    assert [q.id for q in other_questions_of_customer(session, by_mail)] == [now.id]
    assert other_questions_of_customer(session, stranger) == []
    assert other_questions_of_customer(session, anonymous) == []  # no details: no guess


def test_having_answered_this_customer_before_is_a_little_evidence_with_its_reason():
    now = T0 + timedelta(days=3)
    past = [PastAnswer(user_id=1, answered_at=T0, similarity=0.2),
            PastAnswer(user_id=2, answered_at=T0, similarity=0.2, same_customer=True)]
    table = expertise_scores(now, past, candidates=[1, 2])
    assert table[2].score - table[1].score == pytest.approx(CUSTOMER_WEIGHT * 0.6931, rel=1e-3)
    assert "answered this customer before, 3 days ago" in table[2].reasons
    assert not any("customer" in reason for reason in table[1].reasons)
    twice = expertise_scores(now, past + [PastAnswer(user_id=2, answered_at=T0 + timedelta(days=2), similarity=0.1,
                                                     same_customer=True)], candidates=[1, 2])
    assert "answered this customer 2 times, latest yesterday" in twice[2].reasons


def test_a_returning_customer_s_question_shows_their_history_and_routing_says_who_helped_them(
        client, auth, session, clock):
    make_topic(session, "parking", "Parking")
    make_expert(session, "Petra Parkeer", knows={"parking": 3})
    pim = make_expert(session, "Pim Parkeer", knows={"parking": 3})
    make_user(session, "agent", email="agent@example.org", name="Anna Agent")
    earlier, _ = make_question(session, "My visitor permit does not work in zone B.", owner=pim, topic="parking",
                               answer="Zone B needs its own permit.", customer_phone="06-1234 5678",
                               now=clock.now - timedelta(days=2))

    auth.login("agent@example.org")
    response = auth.post("/frontoffice/questions/new", {
        "text": "Can my visitor park in zone C?", "channel": "phone", "priority": "normal", "topic": "parking",
        "name": "Mevr. Jansen", "email": "", "phone": "+31 6 12345678"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Other questions from this customer" in page and earlier.reference in page
    assert "answered by Pim Parkeer" in page

    session.expire_all()
    question = session.scalars(select(Question).order_by(Question.id.desc())).first()
    candidates = {c["name"]: c for c in next(e for e in question.events if e.kind == "routed").payload["candidates"]}
    assert "answered this customer before, 2 days ago" in candidates["Pim Parkeer"]["reasons"]
    assert not any("customer" in r for r in candidates["Petra Parkeer"]["reasons"])
    assert candidates["Pim Parkeer"]["expertise"] > candidates["Petra Parkeer"]["expertise"]
    auth.logout()

    auth.login(f"{question.owner.email}")
    inbox_page = client.get(f"/inbox/questions/{question.reference}").get_data(as_text=True)
    assert earlier.reference in inbox_page and "My visitor permit does not work in zone B." in inbox_page


def test_the_routing_preview_for_a_known_customer_ranks_as_their_question_would_be(client, session, clock):
    """An integration asking "who would get this caller's question" gets the ranking intake would give it:
    who answered this customer before counts; a question they asked after `at` does not; without the
    customer it does not count at all."""
    from app.auth.session import issue_api_token

    make_topic(session, "parking", "Parking")
    make_expert(session, "Petra Parkeer", knows={"parking": 3})
    pim = make_expert(session, "Pim Parkeer", knows={"parking": 3})
    agent = make_user(session, "agent", email="agent@example.org", name="Anna Agent")
    make_question(session, "My visitor permit does not work in zone B.", owner=pim, topic="parking",
                  answer="Zone B needs its own permit.", customer_email="Jansen@Example.org",
                  customer_phone="06-1234 5678", now=clock.now - timedelta(days=2))
    headers = {"Authorization": f"Bearer {issue_api_token(agent)}"}
    session.commit()
    ask = {"text": "Can my visitor park in zone C?", "topic": "parking", "limit": 5}

    def preview(**more):
        response = client.post("/api/v1/routing/preview", headers=headers, json={**ask, **more})
        assert response.status_code == 200, response.get_data(as_text=True)
        return {c["name"]: c for c in response.get_json()["candidates"]}

    anonymous = preview()
    for customer in ({"email": "jansen@example.org"}, {"phone": "+31 6 12345678"}):
        known = preview(customer=customer)
        assert "answered this customer before, 2 days ago" in known["Pim Parkeer"]["reasons"], customer
        assert known["Pim Parkeer"]["score"] > anonymous["Pim Parkeer"]["score"]
        assert known["Petra Parkeer"]["score"] == anonymous["Petra Parkeer"]["score"]
    before_they_asked = preview(customer={"email": "jansen@example.org"},
                                at=(clock.now - timedelta(days=3)).isoformat())
    for ranking in (before_they_asked, anonymous):
        assert not any("customer" in r for c in ranking.values() for r in c["reasons"])
    for wrong in ("jansen@example.org", {"email": 12}):
        response = client.post("/api/v1/routing/preview", headers=headers, json={**ask, "customer": wrong})
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_field"


def test_the_migration_lowercases_stored_addresses_and_keys_stored_phone_numbers(migration_app):  # noqa: F811
    upgrade(revision="0007")
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO questions (id, reference, tracking_token_hash, channel, customer_email, customer_phone, "
            "text, language, priority, status, created_at, updated_at, worth_keeping, version) VALUES "
            "(1, 'VB-2026-000001', 'x', 'phone', ' Jansen@Example.ORG', '06-1234 5678', 'q', 'en', 'normal', 'new', "
            ":t, :t, false, 1), "
            "(2, 'VB-2026-000002', 'y', 'desk', NULL, '112', 'q', 'en', 'normal', 'new', :t, :t, false, 1)"),
            {"t": T0})
    upgrade()
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT customer_email, customer_phone, customer_phone_key FROM questions "
                                 "ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("jansen@example.org", "06-1234 5678", "612345678"), (None, "112", None)]


def test_an_agent_finds_a_calling_customer_s_questions_by_reference_e_mail_or_phone(client, auth, session):
    make_topic(session, "parking", "Parking")
    pim = make_expert(session, "Pim Parkeer", knows={"parking": 3})
    make_user(session, "agent", email="agent@example.org", name="Anna Agent")
    answered, _ = make_question(session, "My visitor permit does not work in zone B.", owner=pim, topic="parking",
                                answer="Zone B needs its own permit.", customer_email="Jansen@Example.org",
                                customer_phone="06-1234 5678")
    waiting, _ = make_question(session, "When is my permit renewed?", owner=pim, topic="parking",
                               customer_phone="+31 6 12345678", now=T0 + timedelta(days=1))
    stranger, _ = make_question(session, "A stranger's question", customer_email="other@example.org",
                                now=T0 + timedelta(days=2))
    auth.login("agent@example.org")
    assert 'action="/frontoffice/caller"' in client.get("/frontoffice/").get_data(as_text=True)

    def found(contact):
        response = client.get("/frontoffice/caller", query_string={"contact": contact})
        page = response.get_data(as_text=True)
        return response.status_code, [ref for ref in (answered.reference, waiting.reference, stranger.reference)
                                      if ref in page], page

    status, refs, page = found("0612345678")
    assert status == 200 and refs == [answered.reference, waiting.reference]
    assert page.index(waiting.reference) < page.index(answered.reference)  # newest first
    assert "Pim Parkeer" in page  # who has it, or answered it
    assert found("JANSEN@example.org")[1] == [answered.reference]
    assert found(waiting.reference.lower())[1] == [answered.reference, waiting.reference]  # and the others
    assert found("nobody@example.org")[:2] == (200, [])
    assert "No questions found" in found("VB-2026-999999")[2]
    status, refs, page = found("zone B")
    assert status == 400 and refs == [] and "a phone number" in page
