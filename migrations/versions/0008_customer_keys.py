"""customers: questions of one customer find each other (e-mail in lower case, phone key)

routing.customers recognises a customer by e-mail address (any case) or by the last nine digits of a
phone number. E-mail is stored in lower case from now on; existing rows are brought in line here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 06:00:00

"""
import re

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('customer_email', sa.String),
                     sa.column('customer_phone', sa.String), sa.column('customer_phone_key', sa.String))


def _phone_key(phone):
    # A copy of routing.customers.phone_key as it was when this migration was written.
    digits = re.sub(r"\D", "", phone or "")
    return digits[-9:] if len(digits) >= 6 else None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_phone_key', sa.String(length=9), nullable=True))
        batch_op.create_index('ix_questions_customer_email', ['customer_email'], unique=False)
        batch_op.create_index('ix_questions_customer_phone_key', ['customer_phone_key'], unique=False)
    connection = op.get_bind()
    connection.execute(questions.update().where(questions.c.customer_email.is_not(None))
                       .values(customer_email=sa.func.lower(sa.func.trim(questions.c.customer_email))))
    rows = connection.execute(sa.select(questions.c.id, questions.c.customer_phone)
                              .where(questions.c.customer_phone.is_not(None))).all()
    for question_id, phone in rows:
        connection.execute(questions.update().where(questions.c.id == question_id)
                           .values(customer_phone_key=_phone_key(phone)))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_customer_phone_key')
        batch_op.drop_index('ix_questions_customer_email')
        batch_op.drop_column('customer_phone_key')
