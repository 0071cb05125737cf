"""art35 reasons: the step "request the applicant's reasons" (Art. 35)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "art35_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("notice_date", sa.Date(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("reasons_on", sa.Date(), nullable=True),
        sa.Column("recorded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("art35_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_art35_step_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("art35_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_art35_step_case_id"))
    op.drop_table("art35_step")
