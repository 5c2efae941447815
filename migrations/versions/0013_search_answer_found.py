"""whether a search found a direct answer (`search_log.answer_found`), for the knowledge-gap report

NULL for searches logged before the search could tell (they count as neither).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 23:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_found', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('search_log', schema=None) as batch_op:
        batch_op.drop_column('answer_found')
