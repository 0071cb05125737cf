"""online applications returned with a notice: ``online_application.return_notice_sha256``

Returning an online application as not an application (Art. 39(1)) issues a return notice
(退回告知书) to the applicant: its HTML is stored content-addressed in ``document`` and the row
names it by its SHA-256 (so the orphan sweep keeps it), for the applicant to download.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("online_application") as batch:
        batch.add_column(
            sa.Column("return_notice_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("online_application") as batch:
        batch.drop_column("return_notice_sha256")
