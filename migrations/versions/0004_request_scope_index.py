"""A covering index for scoped lists and the dashboard

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_agency_state")
        batch_op.create_index(
            "ix_request_scope", ["agency_id", "state", "reply_due", "handler_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index("ix_request_scope")
        batch_op.create_index("ix_request_agency_state", ["agency_id", "state"], unique=False)
