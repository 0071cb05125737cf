"""applicant messages (e-mail and SMS notifications to applicants): ``applicant_message``

A message to an applicant (the receipt, a letter issued to them, what the office awaits from them),
created once per letter or delivery and channel (``dedupe_key`` unique) and sent at most once
(``claimed_at`` committed before sending, ``sent_at`` after). ``recipient`` is masked; the full
address is read from the applicant at sending time.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applicant_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["letter_id"], ["letter.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    with op.batch_alter_table("applicant_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applicant_message_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_applicant_message_pending", ["claimed_at", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applicant_message", schema=None) as batch_op:
        batch_op.drop_index("ix_applicant_message_pending")
        batch_op.drop_index(batch_op.f("ix_applicant_message_case_id"))
    op.drop_table("applicant_message")
