"""articles keep the key of the export they were imported from (external_id), so a re-import updates them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 23:20:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_articles_external_id'), ['external_id'])


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_articles_external_id'), type_='unique')
        batch_op.drop_column('external_id')
