"""checkpoints: the signed checkpoint log of the evidence chains' heads

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("previous", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("tsa_token", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("sha256"),
    )
    create_append_only_triggers()


def create_append_only_triggers() -> None:
    """A checkpoint is a record: the database refuses UPDATE and DELETE (and TRUNCATE)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER checkpoint_no_{verb.lower()} BEFORE {verb} ON checkpoint "
                f"BEGIN SELECT RAISE(ABORT, 'checkpoint is append-only: {verb} refused'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION checkpoint_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'checkpoint is append-only: % refused', TG_OP; END $$"
        )
        op.execute(
            "CREATE TRIGGER checkpoint_no_update_delete BEFORE UPDATE OR DELETE ON checkpoint "
            "FOR EACH ROW EXECUTE FUNCTION checkpoint_append_only()"
        )
        op.execute(
            "CREATE TRIGGER checkpoint_no_truncate BEFORE TRUNCATE ON checkpoint "
            "FOR EACH STATEMENT EXECUTE FUNCTION checkpoint_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS checkpoint_no_update")
        op.execute("DROP TRIGGER IF EXISTS checkpoint_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS checkpoint_no_update_delete ON checkpoint")
        op.execute("DROP TRIGGER IF EXISTS checkpoint_no_truncate ON checkpoint")
        op.execute("DROP FUNCTION IF EXISTS checkpoint_append_only()")
    op.drop_table("checkpoint")
