"""What a flush writes besides its own objects (the index change log, the analytics facts) and the
append-only guard on events come from one visible call, `routing.session_hooks.register(engine)`,
never from importing a module: a plain session on an engine nobody registered writes only what it was given."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from knowledge import session_hooks as knowledge_session_hooks
from knowledge.base import Base
from knowledge.models import IndexChange
from routing import session_hooks
from routing.events import AppendOnlyViolation
from routing.models import Event, Ownership, Question, QuestionFacts, StepWait
from tests.factories import make_article, make_question, make_user

DERIVED = {"index_changes": IndexChange, "question_facts": QuestionFacts, "step_waits": StepWait,
           "ownerships": Ownership}


@pytest.fixture
def engine(tmp_path):
    """A database of its own, not the app's: nothing has registered anything on this engine."""
    engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _article_and_answered_question(session: Session) -> Question:
    """An article written and edited, and a question taken in, routed, accepted and answered."""
    article = make_article(session)
    article.title = "How do I order a second bin?"
    session.commit()
    question, _ = make_question(session, owner=make_user(session, "expert"), answer="Order it online.")
    return question


def _rows(session: Session) -> dict[str, int]:
    return {name: session.scalar(select(func.count()).select_from(model)) for name, model in DERIVED.items()}


def test_a_plain_session_on_an_engine_without_the_hooks_writes_only_what_it_was_given(engine, tmp_path):
    registered = create_engine(f"sqlite:///{tmp_path / 'registered.db'}")
    session_hooks.register(registered)  # another engine of this process has them, as the app's would
    with Session(engine) as session:
        question = _article_and_answered_question(session)
        assert [e.kind for e in question.events] == ["received", "routed", "accepted", "answered"]
        assert _rows(session) == {"index_changes": 0, "question_facts": 0, "step_waits": 0, "ownerships": 0}
    registered.dispose()


def test_with_the_hooks_registered_the_same_session_logs_the_changes_and_derives_the_facts(engine):
    session_hooks.register(engine)
    with Session(engine) as session:
        question = _article_and_answered_question(session)
        keys = [c.doc_key for c in session.scalars(select(IndexChange).order_by(IndexChange.id))]
        assert set(keys) == {"article:1", f"question:{question.id}"}
        assert keys.count("article:1") == 2  # written, then its title edited
        facts = session.get(QuestionFacts, question.id)
        assert (facts.status, facts.routed, facts.first_answer_at) == ("answered", 1, question.answered_at)
        assert _rows(session)["step_waits"] == 3  # received → routed → accepted → answered
        assert _rows(session)["ownerships"] == 1

        question.events[0].kind = "closed"
        with pytest.raises(AppendOnlyViolation):
            session.flush()


def test_the_knowledge_floor_registers_its_change_log_alone(engine):
    knowledge_session_hooks.register(engine)
    with Session(engine) as session:
        _article_and_answered_question(session)
        assert "article:1" in set(session.scalars(select(IndexChange.doc_key)))
        assert _rows(session)["question_facts"] == 0  # routing's facts are routing's registration


def test_registering_again_attaches_nothing_twice(engine, tmp_path):
    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")  # as the tests' many apps each register theirs
    for target in (engine, other, engine):
        session_hooks.register(target)
    with Session(engine) as session:
        make_article(session)
        assert list(session.scalars(select(IndexChange.doc_key))) == ["article:1"]
    other.dispose()


def test_the_app_factory_registers_them_for_db_session_and_plain_sessions_on_its_engine(app, session):
    make_article(session, "Bins during the holidays")  # `session` is a plain Session(db.engine)
    with app.app_context():
        make_article(db.session, "Bulky waste")
    assert list(session.scalars(select(IndexChange.doc_key).order_by(IndexChange.id))) == ["article:1", "article:2"]


def test_importing_every_module_registers_no_listener(tmp_path):
    """In a fresh process (this one has registered engines already): import all of app, knowledge and
    routing, then change an article and a question on an engine nobody registered."""
    script = textwrap.dedent(f"""
        import importlib, pkgutil
        for package in ("knowledge", "routing", "app"):
            for found in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
                importlib.import_module(found.name)
        from sqlalchemy import create_engine, func, select
        from sqlalchemy.orm import Session
        from knowledge.base import Base
        from tests.test_session_hooks import DERIVED, _article_and_answered_question
        engine = create_engine("sqlite:///{tmp_path / 'fresh.db'}")
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            _article_and_answered_question(session)
            print(sorted(name for name, model in DERIVED.items()
                         if session.scalar(select(func.count()).select_from(model))))
    """)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": root})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
