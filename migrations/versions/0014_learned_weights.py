"""learned routing weights: the signal weights fitted on the organisation's history, with their report

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 23:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'learned_weights',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('learned_at', sa.DateTime(), nullable=False),
        sa.Column('questions', sa.Integer(), nullable=False),
        sa.Column('weights', sa.JSON(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_learned_weights')),
    )


def downgrade():
    op.drop_table('learned_weights')
