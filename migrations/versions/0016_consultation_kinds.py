"""consultation kinds: co-producers apart from other agencies; letters; the Art. 32 decision notice

Before this revision ``consultation.party_kind`` "agency" meant a co-producing agency (Art. 34: its
silence was taken as consent); those rows become "co_producer", and "agency" now means another
agency that did not co-produce the information (its silence is no opinion). Each consultation is
linked to its letter (``letter_id``: several may be open at once); the old rows are linked to their
letters in issue order, per request and kind. The Art. 32 decision notice to a third party that
objected (``decision_letter_id``, the working days the office waits, the last day of that wait).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letter_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_letter_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_wait_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_wait_end", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_consultation_letter_id"), ["letter_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consultation_decision_letter_id"), ["decision_letter_id"], unique=False
        )
    bind = op.get_bind()
    consultation = sa.table(
        "consultation",
        sa.column("id", sa.Integer()),
        sa.column("case_id", sa.Integer()),
        sa.column("party_kind", sa.String()),
        sa.column("letter_id", sa.Integer()),
    )
    letter = sa.table(
        "letter",
        sa.column("id", sa.Integer()),
        sa.column("case_id", sa.Integer()),
        sa.column("doc_type", sa.String()),
    )
    # Link each old consultation to its letter: the n-th consultation of a kind on a request was
    # consulted by the n-th letter of that kind's type (the old rows were created with their letter).
    links: list[tuple[int, int]] = []
    for kind in ("third_party", "agency"):
        rows = bind.execute(
            sa.select(consultation.c.id, consultation.c.case_id)
            .where(consultation.c.party_kind == kind)
            .order_by(consultation.c.case_id, consultation.c.id)
        ).all()
        letters = bind.execute(
            sa.select(letter.c.id, letter.c.case_id)
            .where(letter.c.doc_type == f"consultation_{kind}")
            .order_by(letter.c.case_id, letter.c.id)
        ).all()
        by_case: dict[int, list[int]] = {}
        for letter_id, case_id in letters:
            by_case.setdefault(case_id, []).append(letter_id)
        taken: dict[int, int] = {}
        for row_id, case_id in rows:
            n = taken.get(case_id, 0)
            own = by_case.get(case_id, [])
            if n < len(own):
                links.append((row_id, own[n]))
            taken[case_id] = n + 1
    for row_id, letter_id in links:
        bind.execute(sa.update(consultation).where(consultation.c.id == row_id).values(letter_id=letter_id))
    bind.execute(
        sa.update(consultation).where(consultation.c.party_kind == "agency").values(party_kind="co_producer")
    )


def downgrade() -> None:
    bind = op.get_bind()
    consultation = sa.table("consultation", sa.column("party_kind", sa.String()))
    # The old schema knew one kind of agency (a co-producer): another agency's rows become it too.
    bind.execute(
        sa.update(consultation).where(consultation.c.party_kind == "co_producer").values(party_kind="agency")
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_decision_letter_id"))
        batch_op.drop_index(batch_op.f("ix_consultation_letter_id"))
        batch_op.drop_column("decision_wait_end")
        batch_op.drop_column("decision_wait_days")
        batch_op.drop_column("decision_letter_id")
        batch_op.drop_column("letter_id")
