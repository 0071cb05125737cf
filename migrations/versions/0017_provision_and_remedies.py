"""provision and remedies: the agency's kind (department or people's government) for the review body
and the court

``agency.kind`` (``law.AgencyKind``): department, government (county level or above) or township. A
department's review body is derived from the agency tree as its own people's government, a
government's as the government at the next level up (Review Law 2023 Art. 24); the court's level
follows the kind (Litigation Law Art. 14/15). Existing agencies become departments; their
``review_body`` setting, where set, still overrides the derivation. The form of provision actually
used (Regulation Art. 40) lives in the drafted reply (JSON), so it needs no column.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="department",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("kind")
