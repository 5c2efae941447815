"""pending revisions (a merge proposes, an editor publishes), privacy flags on drafts, the agent's internal note,
readers' "no" handled by an editor

A merge into an article no longer changes its text: it adds a revision in state "pending" that an editor
publishes ("accepted") or rejects. Existing revisions were all applied. A captured draft keeps what it may
still hold of a customer in `privacy_flags`. A question keeps the customer's words in `text` and the agent's
staff-only note in `internal_note`.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), server_default='applied', nullable=False))
        batch_op.add_column(sa.Column('merged_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_article_revisions_merged_from_id_articles'), 'articles',
                                    ['merged_from_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            op.f('ck_article_revisions_known_state'), "state IN ('applied', 'pending', 'accepted', 'rejected')")
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_flags', sa.Text(), nullable=True))
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal_note', sa.Text(), nullable=True))
    with op.batch_alter_table('article_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('article_feedback', schema=None) as batch_op:
        batch_op.drop_column('handled_at')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('internal_note')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('privacy_flags')
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_article_revisions_known_state'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_article_revisions_merged_from_id_articles'), type_='foreignkey')
        batch_op.drop_column('merged_from_id')
        batch_op.drop_column('state')
