"""records released with a reply, and their redactions: ``release_record``

A reply that provides information (Art. 36(2), 37) hands records over; a partial reply's records
have the withheld parts boxed out and burnt in (``caseflow.release``).

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("original_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pdf_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("boxes", sa.JSON(), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("boxes_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("released_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("released_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("redacted_pages", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["original_sha256"], ["document.sha256"]),
        sa.ForeignKeyConstraint(["pdf_sha256"], ["document.sha256"]),
        sa.ForeignKeyConstraint(["released_sha256"], ["document.sha256"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_release_record_case_id", "release_record", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_release_record_case_id", table_name="release_record")
    op.drop_table("release_record")
