"""fee rules: the number of applications (件) a request counts as where the agency split it

Fee Measures Art. 4 (一事一申请): a request with several items may be split into several
applications; ``fee_assessment.items_split`` records how many, and the applicant's monthly ordinal
of every later request counts them. Existing assessments count as one.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fee_assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("items_split", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("fee_assessment", schema=None) as batch_op:
        batch_op.drop_column("items_split")
