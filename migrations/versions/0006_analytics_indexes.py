"""analytics: events by question in time order (covering kind)

Process analytics walk each question's events in time order (waits between steps, first response,
handoffs); this index lets both databases read them without touching the wide event rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 23:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_question_at_kind', ['question_id', 'at', 'kind'], unique=False)


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_question_at_kind')
