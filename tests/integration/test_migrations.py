"""The Alembic migrations create exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import caseflow.models  # noqa: F401 - registers the tables


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_schema_has_the_evidence_table_and_its_chain_columns(engine: Engine) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("evidence_event")}
    assert {"case_id", "seq", "prev_hash", "hash", "payload", "moment", "actor", "role", "action"} <= columns
    uniques = inspect(engine).get_unique_constraints("evidence_event")
    assert any(set(u["column_names"]) == {"case_id", "seq"} for u in uniques)
