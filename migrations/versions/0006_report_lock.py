"""report lock: finalized annual reports (append-only); an index on the requests' last change

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("subtree", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("previous_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("finalized_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("finalized_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "year", "subtree", "version", name="uq_report_lock_version"),
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.create_index("ix_request_updated_at", ["updated_at"], unique=False)
    create_append_only_triggers()


def create_append_only_triggers() -> None:
    """A finalization is a record: the database refuses UPDATE and DELETE (a revision is a new row)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER report_lock_no_{verb.lower()} BEFORE {verb} ON report_lock "
                "BEGIN SELECT RAISE(ABORT, 'report_lock is append-only: "
                f"{verb} refused (finalize again to revise)'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION report_lock_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'report_lock is append-only: % refused (finalize again to "
            "revise)', TG_OP; END $$"
        )
        op.execute(
            "CREATE TRIGGER report_lock_no_update_delete BEFORE UPDATE OR DELETE ON report_lock "
            "FOR EACH ROW EXECUTE FUNCTION report_lock_append_only()"
        )
        op.execute(
            "CREATE TRIGGER report_lock_no_truncate BEFORE TRUNCATE ON report_lock "
            "FOR EACH STATEMENT EXECUTE FUNCTION report_lock_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS report_lock_no_update")
        op.execute("DROP TRIGGER IF EXISTS report_lock_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS report_lock_no_update_delete ON report_lock")
        op.execute("DROP TRIGGER IF EXISTS report_lock_no_truncate ON report_lock")
        op.execute("DROP FUNCTION IF EXISTS report_lock_append_only()")
    op.drop_table("report_lock")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_updated_at")
