"""The one place that writes process memory, the guard that keeps it append-only, and the facts
derived from it.

Analytics must not walk 500,000 events per page, so each flush that adds question events (or changes a
question) recomputes those questions' derived rows (QuestionFacts, StepWait, Ownership) from their
events and the question row, in the same transaction (on an engine registered with
routing.session_hooks.register): the facts can never say something the events do not, and a question
has only a handful of events, so recomputing beats patching. `rebuild_question_facts` does the
same for every question (after a bulk import, or to prove the live rows right). Nothing here updates
or deletes an event.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from knowledge.messages import with_said
from routing.models import EVENT_KINDS, Event, Ownership, Question, QuestionFacts, StepWait

RESPONSE_KINDS = ("accepted", "answered", "answered_from_kb", "info_requested")
ANSWER_KINDS = ("answered", "answered_from_kb")
OWNER_KINDS = ("routed", "forwarded")
# Process steps: views, searches, ratings and captures are not (see routing.analytics).
STEP_KINDS = ("received", "answered_from_kb", "routed", "accepted", "forwarded", "escalated", "info_requested",
              "customer_replied", "answered", "closed", "reopened")
FACT_KINDS = tuple(dict.fromkeys(STEP_KINDS + RESPONSE_KINDS))
DERIVED = (StepWait, Ownership, QuestionFacts)
_BATCH = 500  # questions per IN (...) list: well under SQLite's bound parameter limit


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to change or delete a recorded event."""


def record_event(session: Session, now: datetime, kind: str, *, question: Question | None = None,
                 article_id: int | None = None, actor_id: int | None = None, **payload) -> Event:
    """Append one step to the process memory; `payload` holds what the step needs to be replayed."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    if question is None and article_id is None:
        raise ValueError("an event belongs to a question or an article")
    ev = Event(question=question, article_id=article_id, at=now, actor_id=actor_id, kind=kind, payload=with_said(payload))
    session.add(ev)
    return ev


def _refuse_event_changes(session: Session, flush_context, instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, Event) and session.is_modified(obj):
            raise AppendOnlyViolation("events are append-only; record a new event instead")
    for obj in session.deleted:
        if isinstance(obj, Event):
            raise AppendOnlyViolation("events are never deleted")


def _keep_facts_in_step(session: Session, flush_context) -> None:
    touched = {obj.question_id for obj in session.new
               if isinstance(obj, Event) and obj.question_id is not None and obj.kind in FACT_KINDS}
    # The facts copy the question's cohort and promise: a changed question is recomputed even without an event.
    touched |= {obj.id for obj in (*session.new, *session.dirty)
                if isinstance(obj, Question) and obj.id is not None and obj not in session.deleted}
    if touched:
        _recompute(session, sorted(touched))


# Installed on an engine's sessions by routing.session_hooks.register, never at import.
SESSION_LISTENERS = {"before_flush": _refuse_event_changes, "after_flush": _keep_facts_in_step}


def rebuild_question_facts(session: Session, question_ids: Iterable[int] | None = None) -> int:
    """Recompute the derived rows of the given questions (all when None) from their events; returns
    how many questions were recomputed. The caller commits."""
    session.flush()
    if question_ids is None:
        conn = session.connection()
        for model in DERIVED:
            conn.execute(delete(model))
        ids = list(session.scalars(select(Question.id).order_by(Question.id)))
    else:
        ids = sorted(set(question_ids))
    for start in range(0, len(ids), 5000):
        _recompute(session, ids[start:start + 5000], cleared=question_ids is None)
    return len(ids)


def _recompute(session: Session, ids: list[int], *, cleared: bool = False) -> None:
    conn = session.connection()  # Core on the flush's connection: no ORM flush inside a flush
    events, questions = defaultdict(list), {}
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        if not cleared:
            # One transaction at a time rewrites a question's facts: two at once (the outbox recording a mail
            # while the expert accepts) each deleted the rows they saw, and the later insert hit the earlier
            # one's (PostgreSQL). Lock the questions' rows, in id order; the wait ends at the other's commit,
            # whose events this one then reads. (SQLite has one writer at a time; it renders no lock.)
            # FOR NO KEY UPDATE, the lock an UPDATE of the question takes, not FOR UPDATE: an event or mail row
            # inserted earlier in this transaction holds the question's key-share lock (its foreign key), and
            # FOR UPDATE conflicts with another transaction's key share. Two transactions that had each
            # inserted or updated before locking then waited for each other (deadlock: the outbox recording
            # a mail while an expert acted on the question, bench/load.py on PostgreSQL).
            conn.execute(select(Question.id).where(Question.id.in_(chunk)).order_by(Question.id)
                         .with_for_update(key_share=True))
            for model in DERIVED:
                conn.execute(delete(model).where(model.question_id.in_(chunk)))
        for row in conn.execute(select(Question.id, Question.created_at, Question.channel, Question.topic_id,
                                       Question.status, Question.due_at, Question.answered_at)
                                .where(Question.id.in_(chunk))):
            questions[row.id] = row
        rows = conn.execute(
            select(Event.id, Event.question_id, Event.kind, Event.at, Event.actor_id, Event.payload)
            .where(Event.question_id.in_(chunk), Event.kind.in_(FACT_KINDS))
            .order_by(Event.question_id, Event.at, Event.id))
        for row in rows:
            events[row.question_id].append(row)
    facts, waits, spans = [], [], []
    for question_id in ids:
        if question_id not in questions:  # deleted in this flush
            continue
        fact, question_waits, question_spans = _replay(questions[question_id], events.get(question_id, []))
        facts.append(fact)
        waits.extend(question_waits)
        spans.extend(question_spans)
    for model, rows in ((QuestionFacts, facts), (StepWait, waits), (Ownership, spans)):
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(model), rows[start:start + 10_000])


def _seconds(moment: datetime) -> int:
    """Whole seconds since 1970, rounded half up as the databases' ROUND does."""
    return math.floor(moment.timestamp() + 0.5)


def _replay(question, events: list) -> tuple[dict, list[dict], list[dict]]:
    """One question's facts, waits between steps and ownership stretches, from its events in time order."""
    question_id = question.id
    cohort = {"received_at": question.created_at, "channel": question.channel, "topic_id": question.topic_id}
    fact = {"question_id": question_id, **cohort, "status": question.status, "due_at": question.due_at,
            "answered_at": question.answered_at, "first_response_at": None, "first_answer_at": None, "routed": 0,
            "forwarded": 0, "escalated": 0, "answered_from_kb": False, "route": None, "handoffs": None}
    route, waits, spans = [], [], []
    previous = None
    owner, opened, answerer, since = None, True, None, None

    def owned(until):
        if opened and owner is not None and since is not None:
            spans.append({"question_id": question_id, "owner_id": owner, "since": since, "until": until})

    for ev in events:
        kind, at = ev.kind, ev.at
        if kind in RESPONSE_KINDS and fact["first_response_at"] is None:
            fact["first_response_at"] = at
        if kind in ANSWER_KINDS and fact["first_answer_at"] is None:
            fact["first_answer_at"] = at
        if kind in ("routed", "forwarded", "escalated"):
            fact[kind] += 1
        if kind == "answered_from_kb":
            fact["answered_from_kb"] = True
        if kind in STEP_KINDS:
            if previous is not None:
                waits.append({"event_id": ev.id, "question_id": question_id, **cohort, "after": previous[0],
                              "before": kind, "seconds": _seconds(at) - previous[1]})
            previous = (kind, _seconds(at))
        # ownership, replayed as expert load counts it
        if since is None:
            since = at
        if kind in OWNER_KINDS:
            to_user_id = (ev.payload or {}).get("to_user_id")
            route.append(to_user_id)
            owned(at)
            owner, since = to_user_id, at
        elif kind in ANSWER_KINDS + ("closed",):
            owned(at)
            opened = False
            answerer = ev.actor_id if kind == "answered" else answerer
        elif kind == "reopened" and not opened:
            opened, owner, since = True, answerer or owner, at
    owned(None)
    if route:
        fact["route"] = json.dumps(route)
        fact["handoffs"] = len(route) - 1
    return fact, waits, spans
