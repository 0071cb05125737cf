"""list order columns and indexes, and the text search index

The lists' order (open work by deadline, then stopped clocks, then concluded requests, most recent
first) as generated columns the database keeps on every write (``list_rank`` 0 open with a running
deadline / 1 open with a stopped clock / 2 concluded; ``list_due``, ``list_done``, ``list_tie``), and
indexes in that order, so that a page is a seek (keyset pagination). The text search's indexes
(``caseflow.search_index``): SQLite FTS5 trigram tables kept by triggers, PostgreSQL ``pg_trgm`` GIN.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

from typing import Any

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_OPEN = (
    "state IN ('received', 'supplement-required', 'consultation', 'fee-pending', 'extended', "
    "'legal-review', 'ready-to-issue')"
)
COLUMNS = {
    "list_rank": (
        "INTEGER",
        f"CASE WHEN {_OPEN} THEN CASE WHEN reply_due IS NULL THEN 1 ELSE 0 END ELSE 2 END",
    ),
    "list_due": ("DATE", f"CASE WHEN {_OPEN} THEN coalesce(reply_due, receipt_date) END"),
    "list_done": (
        "DATE",
        f"CASE WHEN {_OPEN} THEN NULL ELSE coalesce(answered_on, closed_on, receipt_date) END",
    ),
    "list_tie": ("INTEGER", f"CASE WHEN {_OPEN} THEN id ELSE -id END"),
}
INDEXES = {
    "ix_request_list_agency": "(agency_id, list_rank, list_due, list_done DESC, list_tie)",
    "ix_request_list_handler": "(handler_id, list_rank, list_due, list_done DESC, list_tie)",
    "ix_request_list": "(list_rank, list_due, list_done DESC, list_tie)",
    # The dashboard's counts of open requests, grouped in the index's order without reading the
    # table (open requests only: a query names the same condition, literally, to use it).
    "ix_request_open_board": (
        f"(agency_id, state, handler_id, reply_due, paused, lapse_proposed) WHERE {_OPEN}"
    ),
}

# The search index as this revision creates it (a copy of ``caseflow.search_index`` at the time: a
# migration does not change when the application's code does).
_SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE request_text USING fts5(tracking_no, description, content='request', "
    "content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE request_text_vocab USING fts5vocab(request_text, row)",
    "CREATE VIRTUAL TABLE applicant_text USING fts5(name, content='applicant', content_rowid='id', "
    "tokenize='trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE applicant_text_vocab USING fts5vocab(applicant_text, row)",
    # In step with every write of the searched columns (the "delete" command needs the old text).
    "CREATE TRIGGER request_text_ai AFTER INSERT ON request BEGIN "
    "INSERT INTO request_text(rowid, tracking_no, description) VALUES "
    "(new.id, lower(new.tracking_no) || char(1, 1), lower(new.description) || char(1, 1)); END",
    "CREATE TRIGGER request_text_ad AFTER DELETE ON request BEGIN "
    "INSERT INTO request_text(request_text, rowid, tracking_no, description) VALUES "
    "('delete', old.id, lower(old.tracking_no) || char(1, 1), lower(old.description) || char(1, 1)); END",
    "CREATE TRIGGER request_text_au AFTER UPDATE OF tracking_no, description ON request BEGIN "
    "INSERT INTO request_text(request_text, rowid, tracking_no, description) VALUES "
    "('delete', old.id, lower(old.tracking_no) || char(1, 1), lower(old.description) || char(1, 1)); "
    "INSERT INTO request_text(rowid, tracking_no, description) VALUES "
    "(new.id, lower(new.tracking_no) || char(1, 1), lower(new.description) || char(1, 1)); END",
    "CREATE TRIGGER applicant_text_ai AFTER INSERT ON applicant BEGIN "
    "INSERT INTO applicant_text(rowid, name) VALUES (new.id, lower(new.name) || char(1, 1)); END",
    "CREATE TRIGGER applicant_text_ad AFTER DELETE ON applicant BEGIN "
    "INSERT INTO applicant_text(applicant_text, rowid, name) VALUES "
    "('delete', old.id, lower(old.name) || char(1, 1)); END",
    "CREATE TRIGGER applicant_text_au AFTER UPDATE OF name ON applicant BEGIN "
    "INSERT INTO applicant_text(applicant_text, rowid, name) VALUES "
    "('delete', old.id, lower(old.name) || char(1, 1)); "
    "INSERT INTO applicant_text(rowid, name) VALUES (new.id, lower(new.name) || char(1, 1)); END",
    # What is already there.
    "INSERT INTO request_text(rowid, tracking_no, description) "
    "SELECT id, lower(tracking_no) || char(1, 1), lower(description) || char(1, 1) FROM request",
    "INSERT INTO applicant_text(rowid, name) SELECT id, lower(name) || char(1, 1) FROM applicant",
)

_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS request_text_ai",
    "DROP TRIGGER IF EXISTS request_text_ad",
    "DROP TRIGGER IF EXISTS request_text_au",
    "DROP TRIGGER IF EXISTS applicant_text_ai",
    "DROP TRIGGER IF EXISTS applicant_text_ad",
    "DROP TRIGGER IF EXISTS applicant_text_au",
    "DROP TABLE IF EXISTS request_text_vocab",
    "DROP TABLE IF EXISTS applicant_text_vocab",
    "DROP TABLE IF EXISTS request_text",
    "DROP TABLE IF EXISTS applicant_text",
)

_PG_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Every distinct character and pair of characters of a text (immutable: indexable).
    "CREATE OR REPLACE FUNCTION caseflow_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT coalesce(array_agg(DISTINCT g), '{}') FROM ("
    "SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i UNION ALL "
    "SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i) AS s $$",
    "CREATE INDEX IF NOT EXISTS ix_request_description_trgm ON request USING gin (description gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_request_tracking_no_trgm ON request USING gin (tracking_no gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_applicant_name_trgm ON applicant USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_request_description_grams ON request "
    "USING gin (caseflow_grams(description))",
    "CREATE INDEX IF NOT EXISTS ix_request_tracking_no_grams ON request "
    "USING gin (caseflow_grams(tracking_no))",
    "CREATE INDEX IF NOT EXISTS ix_applicant_name_grams ON applicant USING gin (caseflow_grams(name))",
)

_PG_DROP = (
    "DROP INDEX IF EXISTS ix_request_description_trgm",
    "DROP INDEX IF EXISTS ix_request_tracking_no_trgm",
    "DROP INDEX IF EXISTS ix_applicant_name_trgm",
    "DROP INDEX IF EXISTS ix_request_description_grams",
    "DROP INDEX IF EXISTS ix_request_tracking_no_grams",
    "DROP INDEX IF EXISTS ix_applicant_name_grams",
    "DROP FUNCTION IF EXISTS caseflow_grams(text)",
)


def _search_index(bind: Any, statements: dict[str, tuple[str, ...]]) -> None:
    for statement in statements[bind.dialect.name if bind.dialect.name == "sqlite" else "postgresql"]:
        bind.exec_driver_sql(statement)


def upgrade() -> None:
    bind = op.get_bind()
    kind = "VIRTUAL" if bind.dialect.name == "sqlite" else "STORED"
    for name, (sql_type, expression) in COLUMNS.items():
        op.execute(
            f"ALTER TABLE request ADD COLUMN {name} {sql_type} GENERATED ALWAYS AS ({expression}) {kind}"
        )
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON request {columns}")
    _search_index(bind, {"sqlite": _SQLITE_CREATE, "postgresql": _PG_CREATE})


def downgrade() -> None:
    _search_index(op.get_bind(), {"sqlite": _SQLITE_DROP, "postgresql": _PG_DROP})
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
    for name in reversed(list(COLUMNS)):
        op.execute(f"ALTER TABLE request DROP COLUMN {name}")
