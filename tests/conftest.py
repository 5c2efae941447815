"""Fixtures: a real database (SQLite file, or PostgreSQL when DATABASE_URL says so), the app, clients.

The schema is created once per run from the models (the migrations have their own test) and every
test starts from empty tables.
"""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app import create_app
from app.config import normalise_database_url
from app.extensions import db
from knowledge.base import Base
import knowledge.models  # noqa: F401  (registers the tables)
import routing.models  # noqa: F401

pytest_plugins = ["tests.factories"]

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    url = normalise_database_url(url) if url else f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Each run starts from an empty schema, whatever an earlier run or `make run` left.
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def clock():
    """A clock the test can move: `clock.now` is what the app reads as the current time."""

    class Clock:
        now = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # a Monday morning

        def __call__(self) -> datetime:
            return self.now

    return Clock()


@pytest.fixture
def app(database_url, tmp_path, clock):
    """The app as served: each test-client request gets its own app context and database session."""
    app = create_app({
        "VRAAGBAAK_ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "tests-only",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INDEX_DIR": str(tmp_path / "index"),
        "CLOCK": clock,
        # The small deterministic embedder and in-request index catch-up keep unit tests fast and exact;
        # tests marked `model` use the real models.
        "SEARCH_EMBEDDERS": {"en": "hashing", "nl": "hashing"},
        "SEARCH_SYNC": "before_search",
        # Tests read the source language unless they ask for Dutch (Accept-Language, a staff locale).
        "DEFAULT_LOCALE": "en",
    })
    yield app
    service = app.extensions.get("search")
    if service is not None:
        service.close()  # its follower (background mode) must not write into the next test's database
    with app.app_context():
        _empty_all_tables(db.engine)
        db.engine.dispose()


def _empty_all_tables(engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def session(app):
    """The test's own database session, separate from the app's, like a second process would be."""
    with app.app_context():
        engine = db.engine
    with Session(engine) as session:
        yield session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    """Signs the test client in and out the way a person does: through the form, with its CSRF token."""

    def __init__(self, client):
        self._client = client
        self.csrf_token = None

    def login(self, email: str, password: str = PASSWORD):
        page = self._client.get("/login")
        self.csrf_token = csrf_token_from(page.get_data(as_text=True))
        return self._client.post("/login", data={"email": email, "password": password,
                                                 "csrf_token": self.csrf_token})

    def post(self, url: str, data: dict | None = None, **kwargs):
        """A form post with this session's CSRF token, as the browser would send it."""
        if self.csrf_token is None:
            # The sign-in form carries a token for anonymous visitors, the sign-out button for others.
            page = self._client.get("/login", follow_redirects=True)
            if 'name="csrf_token"' not in page.get_data(as_text=True):
                page = self._client.get("/")
            self.csrf_token = csrf_token_from(page.get_data(as_text=True))
        return self._client.post(url, data={**(data or {}), "csrf_token": self.csrf_token}, **kwargs)

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
