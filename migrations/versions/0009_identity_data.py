"""identity data: ID numbers encrypted at rest with a keyed commitment

Revision ID: 0009
Revises: 0008

``applicant.id_number`` (in clear, indexed) becomes ``id_number_enc`` (AES-256-GCM under the
identity key outside the database), ``id_number_hmac`` (the keyed commitment, indexed, for
look-ups) and ``id_number_masked``. Existing rows are sealed with the installation's identity key
(``caseflow.identity``: created on first use, so migrate with the settings the application runs
with); a database without applicants does not touch the key. Evidence payloads are not changed
(they are hash-chained): old register events keep the number and are masked on output.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 1000


def _rows(columns: list[str]) -> sa.TableClause:
    return sa.table("applicant", sa.column("id", sa.Integer()), *(sa.column(c, sa.String()) for c in columns))


def upgrade() -> None:
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("id_number_enc", sqlmodel.sql.sqltypes.AutoString(length=600), nullable=True)
        )
        batch_op.add_column(
            sa.Column("id_number_hmac", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )
        batch_op.add_column(
            sa.Column("id_number_masked", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )

    conn = op.get_bind()
    old = _rows(["id_type", "id_number"])
    new = _rows(["id_number_enc", "id_number_hmac", "id_number_masked"])
    last = 0
    while True:
        rows = conn.execute(
            sa.select(old.c.id, old.c.id_type, old.c.id_number)
            .where(old.c.id > last)
            .order_by(old.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        from caseflow import identity

        keys = identity.load_keys()
        values = []
        for row_id, id_type, number in rows:
            sealed = identity.seal(id_type, number, keys)
            values.append({"b_id": row_id, "enc": sealed.enc, "hmac": sealed.hmac, "masked": sealed.masked})
        conn.execute(
            new.update()
            .where(new.c.id == sa.bindparam("b_id"))
            .values(
                id_number_enc=sa.bindparam("enc"),
                id_number_hmac=sa.bindparam("hmac"),
                id_number_masked=sa.bindparam("masked"),
            ),
            values,
        )
        last = rows[-1][0]

    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.alter_column(
            "id_number_enc", existing_type=sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False
        )
        batch_op.alter_column(
            "id_number_hmac", existing_type=sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False
        )
        batch_op.alter_column(
            "id_number_masked", existing_type=sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False
        )
        batch_op.drop_index(batch_op.f("ix_applicant_id_number"))
        batch_op.drop_column("id_number")
        batch_op.create_index(batch_op.f("ix_applicant_id_number_hmac"), ["id_number_hmac"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("id_number", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
        )
    conn = op.get_bind()
    sealed = _rows(["id_number_enc"])
    clear = _rows(["id_number"])
    rows = conn.execute(sa.select(sealed.c.id, sealed.c.id_number_enc)).all()
    if rows:
        from caseflow import identity

        keys = identity.load_keys(create=False)
        conn.execute(
            clear.update().where(clear.c.id == sa.bindparam("b_id")).values(id_number=sa.bindparam("number")),
            [{"b_id": row_id, "number": identity.decrypt(enc, keys)} for row_id, enc in rows],
        )
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.alter_column(
            "id_number", existing_type=sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False
        )
        batch_op.drop_index(batch_op.f("ix_applicant_id_number_hmac"))
        batch_op.drop_column("id_number_masked")
        batch_op.drop_column("id_number_hmac")
        batch_op.drop_column("id_number_enc")
        batch_op.create_index(batch_op.f("ix_applicant_id_number"), ["id_number"], unique=False)
