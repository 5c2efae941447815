"""analytics: per-question facts, waits between steps and ownership stretches, derived from the events

The dashboards aggregate these instead of walking every event per page view. They are derived data:
routing.events keeps them in step with each flush that adds events, and the upgrade fills them from the
events already recorded, with its own copy of `rebuild_question_facts` as it was then (below), so this
upgrade never changes when routing.events does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 00:20:00

"""
import json
import math
from collections import defaultdict
from datetime import datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The tables as this revision leaves them (only the columns read or written here). Times are naive UTC,
# as they are stored.
questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('created_at', sa.DateTime),
                     sa.column('channel', sa.String), sa.column('topic_id', sa.Integer),
                     sa.column('status', sa.String), sa.column('due_at', sa.DateTime),
                     sa.column('answered_at', sa.DateTime))
events = sa.table('events', sa.column('id', sa.Integer), sa.column('question_id', sa.Integer),
                  sa.column('kind', sa.String), sa.column('at', sa.DateTime), sa.column('actor_id', sa.Integer),
                  sa.column('payload', sa.JSON))
question_facts = sa.table(
    'question_facts', sa.column('question_id', sa.Integer), sa.column('received_at', sa.DateTime),
    sa.column('channel', sa.String), sa.column('topic_id', sa.Integer), sa.column('status', sa.String),
    sa.column('due_at', sa.DateTime), sa.column('answered_at', sa.DateTime),
    sa.column('first_response_at', sa.DateTime), sa.column('first_answer_at', sa.DateTime),
    sa.column('routed', sa.Integer), sa.column('forwarded', sa.Integer), sa.column('escalated', sa.Integer),
    sa.column('answered_from_kb', sa.Boolean), sa.column('route', sa.Text), sa.column('handoffs', sa.Integer))
step_waits = sa.table(
    'step_waits', sa.column('event_id', sa.Integer), sa.column('question_id', sa.Integer),
    sa.column('received_at', sa.DateTime), sa.column('channel', sa.String), sa.column('topic_id', sa.Integer),
    sa.column('after', sa.String), sa.column('before', sa.String), sa.column('seconds', sa.Integer))
ownerships = sa.table('ownerships', sa.column('question_id', sa.Integer), sa.column('owner_id', sa.Integer),
                      sa.column('since', sa.DateTime), sa.column('until', sa.DateTime))


def upgrade():
    op.create_table('question_facts',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('first_response_at', sa.DateTime(), nullable=True),
    sa.Column('first_answer_at', sa.DateTime(), nullable=True),
    sa.Column('routed', sa.Integer(), nullable=False),
    sa.Column('forwarded', sa.Integer(), nullable=False),
    sa.Column('escalated', sa.Integer(), nullable=False),
    sa.Column('answered_from_kb', sa.Boolean(), nullable=False),
    sa.Column('route', sa.Text(), nullable=True),
    sa.Column('handoffs', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_facts_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', name=op.f('pk_question_facts'))
    )
    with op.batch_alter_table('question_facts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_facts_received_at'), ['received_at'], unique=False)

    op.create_table('step_waits',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('after', sa.String(length=24), nullable=False),
    sa.Column('before', sa.String(length=24), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_step_waits_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_step_waits_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_step_waits'))
    )
    with op.batch_alter_table('step_waits', schema=None) as batch_op:
        batch_op.create_index('ix_step_waits_pair_seconds', ['after', 'before', 'seconds', 'received_at', 'topic_id', 'channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_step_waits_question_id'), ['question_id'], unique=False)

    op.create_table('ownerships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_ownerships_owner_id_users')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_ownerships_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ownerships'))
    )
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownerships_question_id'), ['question_id'], unique=False)

    # The events recorded so far are the truth: derive the facts from them.
    _derive_facts(op.get_bind())


# --- A copy of routing.events.rebuild_question_facts (and what it calls) as it was when this migration
# was written, on the Core tables above.

RESPONSE_KINDS = ("accepted", "answered", "answered_from_kb", "info_requested")
ANSWER_KINDS = ("answered", "answered_from_kb")
OWNER_KINDS = ("routed", "forwarded")
STEP_KINDS = ("received", "answered_from_kb", "routed", "accepted", "forwarded", "escalated", "info_requested",
              "customer_replied", "answered", "closed", "reopened")
FACT_KINDS = tuple(dict.fromkeys(STEP_KINDS + RESPONSE_KINDS))
_BATCH = 500  # questions per IN (...) list: well under SQLite's bound parameter limit
_EPOCH = datetime(1970, 1, 1)


def _derive_facts(connection) -> None:
    ids = list(connection.scalars(sa.select(questions.c.id).order_by(questions.c.id)))
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start:start + _BATCH]
        rows = {row.id: row for row in connection.execute(
            sa.select(questions.c.id, questions.c.created_at, questions.c.channel, questions.c.topic_id,
                      questions.c.status, questions.c.due_at, questions.c.answered_at)
            .where(questions.c.id.in_(chunk)))}
        by_question = defaultdict(list)
        for row in connection.execute(
                sa.select(events.c.id, events.c.question_id, events.c.kind, events.c.at, events.c.actor_id,
                          events.c.payload)
                .where(events.c.question_id.in_(chunk), events.c.kind.in_(FACT_KINDS))
                .order_by(events.c.question_id, events.c.at, events.c.id)):
            by_question[row.question_id].append(row)
        facts, waits, spans = [], [], []
        for question_id in chunk:
            fact, question_waits, question_spans = _replay(rows[question_id], by_question.get(question_id, []))
            facts.append(fact)
            waits.extend(question_waits)
            spans.extend(question_spans)
        for table, values in ((question_facts, facts), (step_waits, waits), (ownerships, spans)):
            if values:
                connection.execute(table.insert(), values)


def _seconds(moment: datetime) -> int:
    """Whole seconds since 1970 of a naive UTC time, rounded half up as the databases' ROUND does."""
    return math.floor((moment - _EPOCH).total_seconds() + 0.5)


def _replay(question, question_events: list) -> tuple[dict, list[dict], list[dict]]:
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

    for ev in question_events:
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


def downgrade():
    with op.batch_alter_table('ownerships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ownerships_question_id'))

    op.drop_table('ownerships')
    with op.batch_alter_table('step_waits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_waits_question_id'))
        batch_op.drop_index('ix_step_waits_pair_seconds')

    op.drop_table('step_waits')
    with op.batch_alter_table('question_facts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_facts_received_at'))

    op.drop_table('question_facts')
