"""Two people (or two processes) acting on the same question at the same moment: exactly one wins.

Runs on whatever database the suite uses; on PostgreSQL these are two real connections with
interleaved transactions.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.background import tick
from app.extensions import db
from knowledge.models import Article
from routing.editorial import flag_articles_due_for_review
from routing.escalation import run_escalations
from routing.events import record_event
from routing.models import Event, Question
from routing.questions import NewQuestion, accept_question, answer_question, assign_to_expert, forward_question
from routing.questions import take_in_question
from routing.sla import DEFAULT_BUSINESS_HOURS, BusinessHours
from tests.factories import T0, make_article, make_expert


@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


@pytest.fixture
def routed_question(session):
    anna = make_expert(session, "Anna Expert")
    bert = make_expert(session, "Bert Expert")
    question, _ = take_in_question(session, T0, NewQuestion(text="Is my street gritted tonight?", channel="phone"))
    assign_to_expert(session, T0, question, anna.id, due_at=T0 + timedelta(days=1), actor_id=None)
    accept_question(session, T0, question, expert_id=anna.id)
    session.commit()
    return question.id, anna, bert


def test_answering_and_forwarding_at_once_exactly_one_wins(engine, routed_question):
    question_id, anna, bert = routed_question
    with Session(engine) as first, Session(engine) as second:
        # Both screens show the question as it is now...
        mine = first.get(Question, question_id)
        theirs = second.get(Question, question_id)
        # ...one answers, the other forwards the same version a moment later.
        answer_question(first, T0 + timedelta(minutes=5), mine, expert_id=anna.id, body="Yes, from 18:00.")
        first.commit()
        with pytest.raises(StaleDataError):
            forward_question(second, T0 + timedelta(minutes=5), theirs, from_id=anna.id, to_id=bert.id,
                             reason="Bert plans the gritting")
            second.commit()
        second.rollback()

    with Session(engine) as check:
        question = check.get(Question, question_id)
        assert question.status == "answered" and question.owner_id == anna.id
        kinds = check.scalars(select(Event.kind).where(Event.question_id == question_id).order_by(Event.id)).all()
        assert kinds == ["received", "routed", "accepted", "answered"]


def test_two_schedulers_running_at_once_fire_each_alarm_exactly_once(engine, session):
    anna = make_expert(session, "Anna Expert")
    for n in range(20):
        question, _ = take_in_question(session, T0, NewQuestion(text=f"Question {n}", channel="phone"))
        assign_to_expert(session, T0, question, anna.id, due_at=T0 + timedelta(hours=3), actor_id=None)
        accept_question(session, T0, question, expert_id=anna.id)
    session.commit()
    hours = BusinessHours(DEFAULT_BUSINESS_HOURS)
    late = T0 + timedelta(hours=2)  # inside the two-hour alarm window of every question
    start = threading.Barrier(2)
    reports = []

    def scheduler():
        with Session(engine) as own:
            start.wait()
            reports.append(run_escalations(own, late, search=None, hours=hours))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(len(r.alarmed) for r in reports) == 20
    with Session(engine) as check:
        per_question = check.execute(select(Event.question_id, func.count()).where(Event.kind == "escalated")
                                     .group_by(Event.question_id)).all()
    assert len(per_question) == 20 and all(count == 1 for _, count in per_question)


def test_two_processes_flagging_the_same_overdue_article_flag_it_once_and_both_finish_their_round(app, engine,
                                                                                                   session, clock):
    article = make_article(session, "When is the market?", now=clock.now - timedelta(days=400))
    article.review_by = clock.now.date() - timedelta(days=1)
    session.commit()
    raced = []

    def other_process_flags_it_first(flushing, flush_context, instances):
        """Between this round reading the overdue article and writing its flag, another process flags it."""
        if raced or not any(isinstance(o, Article) and o.flagged_at for o in flushing.dirty):
            return
        raced.append(True)
        with Session(engine) as other:
            flag_articles_due_for_review(other, clock.now)
            other.commit()

    event.listen(Session, "before_flush", other_process_flags_it_first)
    try:
        tick(app)  # the losing round goes on to the mail instead of failing
    finally:
        event.remove(Session, "before_flush", other_process_flags_it_first)
    assert raced
    flagged = session.scalars(select(Event).where(Event.kind == "flagged", Event.article_id == article.id)).all()
    assert len(flagged) == 1


def test_two_transactions_adding_steps_to_one_question_keep_its_facts_whole(engine, routed_question):
    """bench/load.py on PostgreSQL: the outbox recorded a mail sent while the expert accepted the same
    question; both recomputed its facts (delete, then insert) and the later insert hit the earlier one's
    rows (UniqueViolation on step_waits: a 500, and a failed background round)."""
    from routing.events import rebuild_question_facts
    from routing.models import QuestionFacts, StepWait

    question_id, anna, _ = routed_question
    later = T0 + timedelta(minutes=5)
    with Session(engine) as first:
        question = first.get(Question, question_id)
        request_customer_info_step(first, later, question, anna.id)
        first.flush()  # its facts rewritten, not yet committed
        failures = []

        def second_transaction():
            try:
                with Session(engine) as second:
                    record_event(second, later, "mail_sent", question=second.get(Question, question_id),
                                 message_id="<vb.1@example.org>", to_email="jan@example.org", subject="Re: …")
                    second.commit()
            except Exception as error:  # noqa: BLE001 - the failure is the finding
                failures.append(repr(error))

        other = threading.Thread(target=second_transaction)
        other.start()
        other.join(2)  # it waits for the first to commit (PostgreSQL: the question's row; SQLite: the database)
        first.commit()
        other.join(60)
    assert failures == []
    with Session(engine) as check:
        live = ({(w.after, w.before, w.seconds) for w in check.scalars(select(StepWait))},
                check.get(QuestionFacts, question_id).status)
        rebuild_question_facts(check, [question_id])
        check.flush()
        rebuilt = ({(w.after, w.before, w.seconds) for w in check.scalars(select(StepWait))},
                   check.get(QuestionFacts, question_id).status)
        check.rollback()
    assert live == rebuilt


def test_a_mail_recorded_while_the_question_changes_waits_its_turn_and_never_deadlocks(engine, routed_question):
    """bench/load.py on PostgreSQL: the outbox inserted its mail_sent event (a foreign key to the question:
    a key-share lock) while a request had updated the question; each then locked the question to rewrite its
    facts, and each waited for the other (DeadlockDetected, a failed round, the mail sent twice)."""
    from sqlalchemy import update

    question_id, _, _ = routed_question
    later = T0 + timedelta(minutes=5)
    with Session(engine) as request:
        # the request has changed the question (its row locked for update), and is not done yet
        request.execute(update(Question).where(Question.id == question_id).values(priority="high"))
        failures = []

        def outbox():
            try:
                with Session(engine) as sender:
                    record_event(sender, later, "mail_sent", question=sender.get(Question, question_id),
                                 message_id="<vb.2@example.org>", to_email="jan@example.org", subject="Re: …")
                    sender.commit()
            except Exception as error:  # noqa: BLE001 - the failure is the finding
                failures.append(repr(error))

        other = threading.Thread(target=outbox)
        other.start()
        other.join(2)  # its event is in; it waits to rewrite the facts until the request commits
        request.get(Question, question_id).priority = "urgent"  # its own change rewrites the facts too
        request.commit()
        other.join(60)
    assert failures == []
    with Session(engine) as check:
        kinds = check.scalars(select(Event.kind).where(Event.question_id == question_id)).all()
        assert "mail_sent" in kinds and check.get(Question, question_id).priority == "urgent"


def request_customer_info_step(session, now, question, expert_id):
    from routing.questions import request_customer_info

    request_customer_info(session, now, question, expert_id=expert_id, message="Which street is it?")
