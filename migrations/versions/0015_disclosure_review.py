"""disclosure review (保密审查, Art. 17): whether the handler's confirmation suffices for disclosed.public

Every disclosed.* and partial draft passes a recorded review before it is issued (the review lives in
the draft and the evidence chain). ``agency.handler_confirms_published`` is the office's setting that
the handler's own confirmation suffices for information already published (予以公开（已主动公开）);
existing agencies keep the review by the reviewer role.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("handler_confirms_published", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("agency", schema=None) as batch_op:
        batch_op.drop_column("handler_confirms_published")
