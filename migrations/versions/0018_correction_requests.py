"""correction requests: the request's kind (disclosure, or a correction under Art. 41)

``request.kind`` says what a request asks for: ``disclosure`` (every existing request) or
``correction`` (Regulation Art. 41: the correction of government information about the applicant
that is recorded inaccurately). Set at registration and never changed.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="disclosure",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_column("kind")
