"""answer evidence: every answerer of an imported question counts, and every tag is a topic

`answer_evidence` holds the answers besides the one on the question itself; `question_topics` a
question's further topics beside `questions.topic_id`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'answer_evidence',
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=False),
        sa.Column('accepted', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('question_id', 'user_id'),
    )
    with op.batch_alter_table('answer_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_evidence_user_id'), ['user_id'], unique=False)
    op.create_table(
        'question_topics',
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('question_id', 'topic_id'),
    )


def downgrade():
    op.drop_table('question_topics')
    with op.batch_alter_table('answer_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_evidence_user_id'))
    op.drop_table('answer_evidence')
