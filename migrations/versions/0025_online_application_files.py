"""online application files: the uploads of an online application (issue 18 / A)

``online_application_file`` links an online application to the files uploaded with it (the ID
document scan, ``id_scan``, and attachments), their bytes in the document store by SHA-256.
``portal_pending_upload`` keeps the files chosen on the public form across a refused post, bound to
the SHA-256 of the form's random token; the ``pending`` job discards them after two hours.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "online_application_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["online_application.id"]),
        sa.ForeignKeyConstraint(["sha256"], ["document.sha256"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("online_application_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_online_application_file_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_online_application_file_sha256"), ["sha256"], unique=False)
    op.create_table(
        "portal_pending_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("portal_pending_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_pending_upload_token_hash"), ["token_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_pending_upload_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_pending_upload_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_pending_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_pending_upload_created_at"))
        batch_op.drop_index(batch_op.f("ix_portal_pending_upload_sha256"))
        batch_op.drop_index(batch_op.f("ix_portal_pending_upload_token_hash"))
    op.drop_table("portal_pending_upload")
    with op.batch_alter_table("online_application_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_online_application_file_sha256"))
        batch_op.drop_index(batch_op.f("ix_online_application_file_application_id"))
    op.drop_table("online_application_file")
