"""/api/v1 as one package: one JSON error body everywhere, and shared query arguments read in one place."""
from __future__ import annotations

import pytest

from app.auth.session import issue_api_token
from tests.factories import make_user


@pytest.fixture
def admin_token(session):
    token = issue_api_token(make_user(session, "admin"))
    session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("limit", ["0", "ten", "", "-3", "1" * 5000])
def test_the_same_limit_mistake_gets_the_same_400_on_every_endpoint(client, admin_token, limit):
    search = client.get("/api/v1/search", query_string={"q": "bin", "limit": limit})
    events = client.get("/api/v1/events", query_string={"limit": limit}, headers=admin_token)
    assert search.get_json() == {"error": "bad_limit", "message": "limit must be a whole number from 1 to 50."}
    assert events.get_json() == {"error": "bad_limit", "message": "limit must be a whole number from 1 to 10,000."}
    assert search.status_code == events.status_code == 400


def test_limit_above_the_endpoints_most_is_refused_and_at_it_accepted(client, admin_token):
    assert client.get("/api/v1/search?q=bin&limit=50").status_code == 200
    assert client.get("/api/v1/search?q=bin&limit=51").status_code == 400
    assert client.get("/api/v1/events?limit=10000", headers=admin_token).status_code == 200
    assert client.get("/api/v1/events?limit=10001", headers=admin_token).status_code == 400


@pytest.mark.parametrize("query, error", [
    ("since=yesterday", "bad_since"),
    ("since=0001-01-01T00:00:00%2B05:00", "bad_since"),  # before the first moment once in UTC
    ("after=x", "bad_after"),
    ("after=-1", "bad_after"),
    (f"after={2**63}", "bad_after"),
])
def test_a_bad_cursor_or_moment_is_a_clear_400(client, admin_token, query, error):
    response = client.get(f"/api/v1/events?{query}", headers=admin_token)
    assert response.status_code == 400 and response.get_json()["error"] == error


def test_since_without_a_zone_is_utc_and_travels_in_the_next_link(client, admin_token):
    page = client.get("/api/v1/events?since=2026-03-01T10:00:00&limit=1", headers=admin_token).get_json()
    assert page["events"] == [] and page["next"] is None
    assert client.get("/api/v1/events?since=", headers=admin_token).status_code == 200


def test_every_json_error_has_the_same_body(app, client, session):
    agent = {"Authorization": f"Bearer {issue_api_token(make_user(session, 'agent'))}"}
    session.commit()
    answers = {
        "not found": client.get("/api/v1/nothing-here"),
        "wrong method": client.get("/api/v1/questions"),
        "not signed in": client.get("/api/v1/events"),
        "not allowed": client.get("/api/v1/events", headers=agent),
        "bad argument": client.get("/api/v1/search?q=bin&limit=0"),
        "bad body": client.post("/api/v1/questions", json=[]),
        "nul in the address": client.get("/api/v1/search?q=bin&channel=%00"),
    }
    app.config.update(RATE_LIMIT_ENABLED=True, RATE_LIMITS={"search": (0, 60), "ask": (9, 60), "track": (9, 60)})
    answers["too many"] = client.get("/api/v1/search?q=bin")
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {"not found": 404, "wrong method": 405, "not signed in": 401, "not allowed": 403,
                        "bad argument": 400, "bad body": 400, "nul in the address": 400, "too many": 429}
    for name, response in answers.items():
        assert response.mimetype == "application/json", name
        assert sorted(response.get_json()) == ["error", "message"], name
