"""`upgrade head` on an empty database yields exactly the models' schema, on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, Boolean, DateTime, Integer, String, column, create_engine, inspect, select, table, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from knowledge.base import Base
from routing.models import Ownership, QuestionFacts, StepWait


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new database of the same kind as the suite's, dropped afterwards."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"vraagbaak_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migration_app(empty_database_url):
    app = create_app({"VRAAGBAAK_ENV": "testing", "SECRET_KEY": "tests-only",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        yield app
        db.engine.dispose()


def _differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_head_on_an_empty_database_gives_exactly_the_models_schema(migration_app):
    upgrade()
    assert _differences() == []


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_it(migration_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _differences() == []


def test_the_facts_upgrade_derives_them_from_the_events_already_recorded(migration_app):
    """0007 fills the new tables from the events of questions asked before it (its own copy of the
    derivation, so this stays true whatever routing.events becomes)."""
    upgrade(revision="0006")
    t0 = datetime(2026, 3, 2, 9, 0)  # naive UTC, as stored
    at = {"received": t0, "routed": t0 + timedelta(seconds=60), "forwarded": t0 + timedelta(seconds=120),
          "answered": t0 + timedelta(seconds=300)}
    users = table("users", column("id", Integer), column("email", String), column("name", String),
                  column("locale", String), column("active", Boolean), column("created_at", DateTime))
    questions = table("questions", *(column(name) for name in (
        "id", "reference", "tracking_token_hash", "channel", "text", "language", "priority", "status",
        "worth_keeping", "version")), column("created_at", DateTime), column("updated_at", DateTime))
    events = table("events", column("question_id", Integer), column("at", DateTime), column("actor_id", Integer),
                   column("kind", String), column("payload", JSON))
    with db.engine.begin() as conn:
        conn.execute(users.insert(), [{"id": n, "email": f"expert{n}@example.org", "name": f"Expert {n}",
                                       "locale": "nl", "active": True, "created_at": t0} for n in (1, 2)])
        conn.execute(questions.insert(), [
            {"id": n, "reference": f"VB-2026-{n:06d}", "tracking_token_hash": "0" * 64, "channel": "phone",
             "text": "My green bin was not emptied.", "language": "en", "priority": "normal", "status": status,
             "worth_keeping": False, "version": 1, "created_at": t0, "updated_at": t0}
            for n, status in ((1, "answered"), (2, "new"))])
        conn.execute(events.insert(), [
            {"question_id": 1, "at": at["received"], "actor_id": None, "kind": "received", "payload": {}},
            {"question_id": 1, "at": at["routed"], "actor_id": None, "kind": "routed", "payload": {"to_user_id": 1}},
            {"question_id": 1, "at": at["forwarded"], "actor_id": 1, "kind": "forwarded", "payload": {"to_user_id": 2}},
            {"question_id": 1, "at": at["answered"], "actor_id": 2, "kind": "answered", "payload": {}},
            {"question_id": 2, "at": at["received"], "actor_id": None, "kind": "received", "payload": {}},
        ])
    upgrade(revision="0007")

    def utc(moment):
        return moment.replace(tzinfo=timezone.utc)

    with db.engine.connect() as conn:
        facts = {row.question_id: row for row in conn.execute(select(QuestionFacts.__table__))}
        waits = conn.execute(select(StepWait.after, StepWait.before, StepWait.seconds).order_by(StepWait.event_id))
        spans = conn.execute(select(Ownership.owner_id, Ownership.since, Ownership.until).order_by(Ownership.id))
        assert (facts[1].status, facts[1].received_at, facts[1].first_response_at, facts[1].first_answer_at) == (
            "answered", utc(t0), utc(at["answered"]), utc(at["answered"]))
        assert (facts[1].routed, facts[1].forwarded, facts[1].escalated, facts[1].route, facts[1].handoffs) == (
            1, 1, 0, "[1, 2]", 1)
        assert (facts[2].status, facts[2].first_response_at, facts[2].routed, facts[2].route) == ("new", None, 0, None)
        assert [tuple(w) for w in waits] == [("received", "routed", 60), ("routed", "forwarded", 60),
                                             ("forwarded", "answered", 180)]
        assert [tuple(s) for s in spans] == [(1, utc(at["routed"]), utc(at["forwarded"])),
                                             (2, utc(at["forwarded"]), utc(at["answered"]))]


def test_every_revision_id_fits_alembic_s_version_column():
    """PostgreSQL keeps the current revision in alembic_version.version_num, VARCHAR(32): a longer id
    passes on SQLite and fails the upgrade on PostgreSQL."""
    import re
    from pathlib import Path

    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    ids = {path.name: re.search(r"^revision = ['\"](.+?)['\"]", path.read_text(), re.M).group(1)
           for path in versions.glob("*.py")}
    assert ids and all(len(revision) <= 32 for revision in ids.values()), ids
