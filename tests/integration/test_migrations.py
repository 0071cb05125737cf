"""The Alembic migrations create exactly the tables the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import caseflow.models  # noqa: F401 - registers the tables
from caseflow import search_index

LIST_INDEXES = ("ix_request_list", "ix_request_list_agency", "ix_request_list_handler")


def _not_search_index(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """The text search's FTS5 tables (and their shadow tables) and expression indexes have no model;
    the lists' indexes have a descending column, which Alembic cannot compare (the model names them)."""
    if type_ == "table" and name and name.startswith(search_index.SQLITE_TABLES):
        return False
    return not (type_ == "index" and (name in search_index.PG_INDEXES or name in LIST_INDEXES))


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _not_search_index})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_schema_has_the_evidence_table_and_its_chain_columns(engine: Engine) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("evidence_event")}
    assert {"case_id", "seq", "prev_hash", "hash", "payload", "moment", "actor", "role", "action"} <= columns
    uniques = inspect(engine).get_unique_constraints("evidence_event")
    assert any(set(u["column_names"]) == {"case_id", "seq"} for u in uniques)
