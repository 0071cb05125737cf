"""rate limits shared across processes: ``rate_limit``

Calls of the public portal (submissions, look-ups, failed look-ups) counted per fixed window, per
client address, for everyone (key ``*``) and per looked-up number, in one table every server
process shares (``caseflow.ratelimit``).

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit",
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", "window_start"),
    )


def downgrade() -> None:
    op.drop_table("rate_limit")
