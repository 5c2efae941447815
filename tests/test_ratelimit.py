"""Public endpoints answer a flood with a clear 429; staff and other clients are not affected."""
import uuid

import pytest

from tests.conftest import csrf_token_from


@pytest.fixture
def limited(app):
    app.config.update(RATE_LIMIT_ENABLED=True, RATE_LIMITS={"search": (3, 60), "ask": (2, 600), "track": (2, 60)})
    return app


def test_public_search_is_limited_per_client_with_a_clear_429(limited, client):
    for _ in range(3):
        assert client.get("/api/v1/search?q=bin").status_code == 200
    response = client.get("/api/v1/search?q=bin")
    assert response.status_code == 429
    assert response.get_json()["error"] == "rate_limited"
    assert response.headers["Retry-After"] == "60"
    other = client.get("/api/v1/search?q=bin", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_asking_and_tracking_are_limited_too(limited, client):
    for _ in range(2):
        client.get("/track/VB-2026-000001?token=x")
    page = client.get("/track/VB-2026-000001?token=x")
    assert page.status_code == 429 and "Too many requests" in page.get_data(as_text=True)
    form = client.get("/ask").get_data(as_text=True)
    client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": ""})
    assert client.post("/ask", data={"csrf_token": csrf_token_from(form), "text": ""}).status_code == 429


def test_signed_in_staff_are_not_limited(limited, client, auth, people):
    auth.login(people["agent"].email)
    for _ in range(6):
        assert client.get("/api/v1/search?q=bin").status_code == 200


def test_counts_can_live_in_redis_across_processes(app):
    from app.ratelimit import RedisCounter

    counter = RedisCounter("redis://127.0.0.1:6379/15")
    key = f"test:{uuid.uuid4().hex}"
    assert [counter.hit(key, 60) for _ in range(3)] == [1, 2, 3]
