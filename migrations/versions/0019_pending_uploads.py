"""pending uploads of a form: files chosen on the intake form that survive 计算期限 and a refused save

``pending_upload`` holds one row per file kept for a form that has not been saved yet: the user it
belongs to, the form's file field (``slot``), the SHA-256 of its bytes in the document store, its
name, media type and size, and when it was uploaded. A registration turns the rows into the
request's documents and deletes them; the ``pending`` job deletes abandoned ones (and their bytes
when nothing else names the hash).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pending_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_upload_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_upload_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_pending_upload_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_upload_created_at"))
        batch_op.drop_index(batch_op.f("ix_pending_upload_sha256"))
        batch_op.drop_index(batch_op.f("ix_pending_upload_user_id"))
    op.drop_table("pending_upload")
