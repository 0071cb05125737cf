"""online applications awaiting confirmation: ``online_application``

An application submitted on the public portal (网上申请) is not a registered request: it waits in
its agency's inbox until a clerk confirms it (Art. 31(3): the receipt date is the day of the
confirmation) or returns it as not an application. The Art. 29 content is kept as submitted (the ID
number sealed), with its SHA-256, the client's address and the access code's hash.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "online_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_no", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("access_code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("id_number_enc", sa.Text(), nullable=False),
        sa.Column("id_number_masked", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("client_address", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("return_reasons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("online_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_online_application_submission_no"), ["submission_no"], unique=True
        )
        batch_op.create_index(
            "ix_online_application_inbox", ["agency_id", "status", "submitted_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("online_application", schema=None) as batch_op:
        batch_op.drop_index("ix_online_application_inbox")
        batch_op.drop_index(batch_op.f("ix_online_application_submission_no"))
    op.drop_table("online_application")
