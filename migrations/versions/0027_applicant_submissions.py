"""applicant submissions on the request page: ``applicant_submission``

An applicant's online supplement (补正) or withdrawal, sent from their request page, waits here until
a clerk records it through the engine (the request's ``receive_supplement`` or ``withdraw``, dated the
day it arrived) or declines it with a note. Its files are stored in ``document`` (content-addressed).

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applicant_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_address", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("applicant_submission", schema=None) as batch_op:
        batch_op.create_index("ix_applicant_submission_case", ["case_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applicant_submission", schema=None) as batch_op:
        batch_op.drop_index("ix_applicant_submission_case")
    op.drop_table("applicant_submission")
