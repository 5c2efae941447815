"""Proof under attack: cookies that scripts and other sites cannot use, unguessable tokens kept only as
hashes, and error pages that never show how the app is built."""
from __future__ import annotations

import base64
import hmac
from unittest import mock

import pytest
from sqlalchemy import select

from app import create_app
from app.auth.session import issue_api_token
from knowledge.models import User
from routing.models import Question
from tests.conftest import csrf_token_from
from tests.factories import make_question


@pytest.fixture
def production_app(database_url, tmp_path, app):
    """The app as configured for production (the `app` fixture empties the tables afterwards)."""
    production = create_app({
        "VRAAGBAAK_ENV": "production", "SECRET_KEY": "p" * 64, "SQLALCHEMY_DATABASE_URI": database_url,
        "INDEX_DIR": str(tmp_path / "production-index"), "SEARCH_EMBEDDERS": {"en": "hashing", "nl": "hashing"},
        "BACKGROUND_JOBS": False, "SEARCH_WARM_UP": False,
    })
    yield production
    from app.extensions import db

    with production.app_context():
        db.engine.dispose()


def _cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_in_production_the_session_and_remember_cookies_are_secure_http_only_and_same_site(production_app, people):
    client = production_app.test_client()
    site = "https://vraagbaak.example.org"
    page = client.get("/login", base_url=site)
    form = {"email": people["agent"].email, "password": "correct horse battery", "remember": "y",
            "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    # Over HTTPS a post must also come from one of our own pages, even with the token.
    elsewhere = client.post("/login", base_url=site, data=form, headers={"Referer": "https://evil.example/"})
    assert elsewhere.status_code == 400
    response = client.post("/login", base_url=site, data=form, headers={"Referer": f"{site}/login"})
    assert response.status_code == 302
    cookies = _cookies(response)
    assert set(cookies) >= {"session", "remember_token"}
    for name, cookie in cookies.items():
        assert "; Secure" in cookie, name
        assert "; HttpOnly" in cookie, name
        assert "; SameSite=Lax" in cookie, name


def test_outside_production_the_session_cookie_is_still_http_only_and_same_site(client, auth, people):
    cookie = _cookies(auth.login(people["agent"].email))["session"]
    assert "; HttpOnly" in cookie and "; SameSite=Lax" in cookie


def test_tracking_tokens_are_unguessable_and_kept_only_as_their_hash(session, people):
    tokens = [make_question(session, f"Question {n}")[1] for n in range(3)]
    for token in tokens:
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    assert len(set(tokens)) == 3
    rows = session.execute(select(Question.__table__)).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert not any(token in stored for token in tokens)


def test_a_tracking_token_is_compared_in_constant_time_and_a_wrong_one_looks_like_no_question(client, session,
                                                                                              people):
    question, token = make_question(session)
    almost = token[:-1] + ("A" if token[-1] != "A" else "B")
    with mock.patch("routing.questions.hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        right = client.get(f"/api/v1/questions/{question.reference}?token={token}")
        wrong = client.get(f"/api/v1/questions/{question.reference}?token={almost}")
        unknown = client.get(f"/api/v1/questions/VB-2026-999999?token={token}")
    assert right.status_code == 200
    assert compare.call_count == 3  # also for an unknown reference: no shortcut to time
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json() == unknown.get_json()
    assert client.get(f"/track/{question.reference}?token={almost}").status_code == 404


def test_api_tokens_are_unguessable_and_kept_only_as_their_hash(session, people):
    user = session.get(User, people["agent"].id)
    token = issue_api_token(user)
    session.commit()
    assert len(base64.urlsafe_b64decode(token.removeprefix("vb_") + "==")) * 8 >= 128
    row = session.execute(select(User.__table__).where(User.id == user.id)).one()
    assert not any(token in str(value) for value in row)


@pytest.mark.parametrize("path", ["/boom", "/api/v1/boom"])
def test_an_unexpected_error_shows_no_stack_trace(app, path, caplog):
    def boom():
        raise RuntimeError("secret detail: db password is hunter2")

    app.add_url_rule(path, f"boom{path.replace('/', '_')}", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as served, not as under a debugger
    response = app.test_client().get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    for leak in ("Traceback", "RuntimeError", "hunter2", "File \"", ".py"):
        assert leak not in body
    if path.startswith("/api/"):
        assert response.get_json()["error"] == "internal_error"
    else:
        assert "<html" in body.lower()
    assert "hunter2" in caplog.text  # the operator finds it in the log
