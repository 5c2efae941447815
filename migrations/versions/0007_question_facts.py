"""analytics: per-question facts, waits between steps and ownership stretches, derived from the events

The dashboards aggregate these instead of walking every event per page view. They are derived data:
routing.events keeps them in step with each flush that adds events, and the upgrade fills them from the
events already recorded (`rebuild_question_facts`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 00:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


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
    from routing.events import rebuild_question_facts
    session = Session(bind=op.get_bind())
    rebuild_question_facts(session)
    session.flush()


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
