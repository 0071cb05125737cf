"""receipt confirmation and remedies at any time: what a review or litigation record challenges

Revision ID: 0013
Revises: 0012

Review and litigation may be recorded in any state after registration (a failure to reply in time,
逾期不答复, is challenged while the request is open), so each record says what it challenges:
``remedy_record.subject`` is ``decision`` (the reply or notice; every record made before this
revision) or ``no_reply``. The receipt-date rules of Art. 31 need no column (the reason for a late
confirmation is a fact of the register event and is printed on the receipt letter).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("remedy_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "subject",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="decision",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("remedy_record", schema=None) as batch_op:
        batch_op.drop_column("subject")
