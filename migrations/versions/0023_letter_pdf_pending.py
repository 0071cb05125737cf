"""letters whose PDF is rendered after commit: ``letter.pdf_pending``

A letter is issued as HTML in its transition; its PDF/A is rendered after the commit from exactly
the stored HTML and recorded by a ``letter_pdf`` event (``caseflow.replies.pdf_after``). Until then
the letter row is marked ``pdf_pending``; a partial index serves the renderer's scan for such rows
(only the few pending ones are in it). Letters issued before hold their PDF already: false.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pdf_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index(
        "ix_letter_pdf_pending",
        "letter",
        ["pdf_pending"],
        unique=False,
        sqlite_where=sa.text("pdf_pending"),
        postgresql_where=sa.text("pdf_pending"),
    )


def downgrade() -> None:
    op.drop_index("ix_letter_pdf_pending", table_name="letter")
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_column("pdf_pending")
