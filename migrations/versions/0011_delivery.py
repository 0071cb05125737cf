"""delivery: notice deliveries (送达) and the periods that run from them; lapse proposals

A notice that starts a period for its recipient (supplement notice, consultation letters, fee
notice) gets a recorded delivery (``notice_delivery``); the period's end (``consultation.window_end``,
``fee_assessment.pay_by``, ``request.supplement_due``) is unknown until then, so those columns become
nullable. The request records the supplement period its notice set and the lapse the sweep proposes
(the clerk confirms, or keeps waiting until a date).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("proof", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["letter_id"], ["letter.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("letter_id"),
    )
    with op.batch_alter_table("notice_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_delivery_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplement_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("lapse_proposed", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.add_column(sa.Column("lapse_proposed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("lapse_waiting", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.add_column(sa.Column("lapse_wait_until", sa.Date(), nullable=True))
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.alter_column("window_end", existing_type=sa.Date(), nullable=True)
    with op.batch_alter_table("fee_assessment", schema=None) as batch_op:
        batch_op.alter_column("pay_by", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("fee_assessment", schema=None) as batch_op:
        batch_op.alter_column("pay_by", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.alter_column("window_end", existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("lapse_wait_until")
        batch_op.drop_column("lapse_waiting")
        batch_op.drop_column("lapse_proposed_on")
        batch_op.drop_column("lapse_proposed")
        batch_op.drop_column("supplement_days")
    with op.batch_alter_table("notice_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_delivery_case_id"))
    op.drop_table("notice_delivery")
