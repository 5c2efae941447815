"""Fixtures for tests of the domain floors without the web layer: a module that imports them runs its tests
on a plain SQLAlchemy session, and any Flask app made meanwhile fails the test."""
from __future__ import annotations

import flask
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

import knowledge.models  # noqa: F401  (registers the tables)
import routing.models  # noqa: F401
from knowledge.base import Base


@pytest.fixture(autouse=True)
def no_flask_app(monkeypatch):
    """The domain needs no web layer: making a Flask app here fails the test."""

    def refuse(self, *args, **kwargs):
        raise AssertionError("the domain code under test created a Flask app")

    monkeypatch.setattr(flask.Flask, "__init__", refuse)
    yield
    assert not flask.has_app_context()


@pytest.fixture
def plain_session(tmp_path):
    """A session on an SQLite file of its own: what a mail worker or a script would use, no app around it."""
    engine = create_engine(f"sqlite:///{tmp_path / 'domain.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()
