"""The text search's indexes: what ``q`` on the lists finds, served by an index instead of a scan.

The lists' search finds a request whose tracking number or description contains ``q``, or whose
applicant's name does (``LIKE '%q%'``). The indexes find the same rows:

- SQLite: FTS5 tables with the trigram tokenizer over ``lower()`` of each searched text followed by
  two U+0001 characters (``request_text`` over the request's tracking number and description,
  ``applicant_text`` over the applicant's name), kept in step by triggers on every insert, update
  and delete (bulk and demo inserts included). SQLite's ``LIKE`` folds ASCII letters only, as
  ``lower()`` does, so a case-sensitive trigram phrase over the lowered text matches exactly what
  ``LIKE`` does. A query of three characters or more is a phrase; a shorter one is a prefix of the
  trigrams that start with it (the two U+0001 make every occurrence one, even at the end of a
  text), looked up in the index's vocabulary (``fts5vocab``) and asked as their union.
- PostgreSQL: ``pg_trgm`` GIN indexes serve ``LIKE`` of three characters or more; shorter queries
  use GIN indexes over each text's distinct characters and character pairs (``caseflow_grams``),
  with the ``LIKE`` kept as the exact condition.

A query with ``%``, ``_``, ``\\`` or a control character keeps the old scan (its meaning is
``LIKE``'s). ``caseflow search-index rebuild`` drops and recreates the whole of it from the tables.

A query that matches a large part of the list is better not served by the index (finding every match
to sort them costs as much as the matches): ``prepare`` also gives the same test on one row
(``LIKE`` itself, the applicant's name through the index when few names match), for walking the
lists' index in order and stopping at a page (``caseflow.case_list``), and, on SQLite, an estimate
of the matches from the index's vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Text,
    and_,
    cast,
    column,
    false,
    func,
    or_,
    text,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.sql.elements import TextClause
from sqlmodel import col

from caseflow.models import Applicant, Case

#: Two characters after every indexed text: every occurrence of a 1-2 character query starts a trigram.
TAIL = "\x01\x01"

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
#: Tables the search index adds (no model describes them: the schema comparison leaves them out).
SQLITE_TABLES = ("request_text", "applicant_text")

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
#: Indexes the search adds on PostgreSQL (expression indexes no model describes).
PG_INDEXES = tuple(s.split()[4] for s in _PG_DROP[:6])


def create(conn: Connection) -> None:
    """Create the search index and fill it from the tables."""
    for statement in _SQLITE_CREATE if conn.dialect.name == "sqlite" else _PG_CREATE:
        conn.exec_driver_sql(statement)


def drop(conn: Connection) -> None:
    for statement in _SQLITE_DROP if conn.dialect.name == "sqlite" else _PG_DROP:
        conn.exec_driver_sql(statement)


def rebuild(conn: Connection) -> None:
    """Drop and recreate the index from the tables (repairs a dropped, damaged or stale one)."""
    drop(conn)
    create(conn)


def served(q: str) -> bool:
    """Whether the index answers ``q`` (otherwise ``LIKE``'s own meaning of ``%`` and ``_`` stands)."""
    return bool(q) and not any(c in "%_\\" or ord(c) < 0x20 for c in q)


def _ascii_lower(q: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in q)


#: Names matching a query beyond this many: the row test looks up each row's applicant instead.
APPLICANT_IDS_MAX = 1000


def _grams(column: Any, q: str) -> ColumnElement[bool]:
    """PostgreSQL: ``column``'s characters and pairs include ``q`` (1-2 characters: what the
    ``caseflow_grams`` GIN indexes serve; implied by ``LIKE '%q%'``)."""
    found: ColumnElement[bool] = func.caseflow_grams(column).op("@>")(cast(array([q]), ARRAY(Text)))
    return found


def applicant_ids(conn: Any, q: str) -> list[int] | None:
    """The applicants whose name contains ``q``, found by the index; None when there are more than
    ``APPLICANT_IDS_MAX``."""
    like = "%" + q + "%"
    if conn.dialect.name == "sqlite":
        match = _match(conn, "applicant_text", q)
        if match is None:
            return []
        stmt: Any = text("SELECT rowid FROM applicant_text WHERE applicant_text MATCH :m LIMIT :n")
        ids = list(conn.execute(stmt, {"m": match, "n": APPLICANT_IDS_MAX + 1}).scalars())
    else:
        name = col(Applicant.name)
        where = [name.like(like)] + ([_grams(name, q)] if len(q) < 3 else [])
        stmt = sa_select(col(Applicant.id)).where(*where).limit(APPLICANT_IDS_MAX + 1)
        ids = list(conn.execute(stmt).scalars())
    return None if len(ids) > APPLICANT_IDS_MAX else [int(i) for i in ids]


def _match(conn: Any, table: str, q: str) -> str | None:
    """SQLite: the FTS5 query on ``table`` (``request_text`` or ``applicant_text``) for texts
    containing ``q``: its phrase, or every trigram starting with a shorter query (looked up in the
    index's vocabulary, a seek on the term); None when no text has one."""
    folded = _ascii_lower(q)
    if len(folded) >= 3:
        return '"' + folded.replace('"', '""') + '"'
    terms = conn.execute(
        text(f"SELECT term FROM {table}_vocab WHERE term >= :lo AND term < :hi"),
        {"lo": folded, "hi": folded + "\U0010ffff"},
    ).scalars()
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms if t.startswith(folded)) or None


@dataclass(frozen=True)
class TextSearch:
    """One query ``q`` of the lists' search (``served(q)`` must hold), three ways."""

    #: the matching requests, found by the index
    matches: ColumnElement[bool]
    #: the same test on each row (``LIKE``; the applicant's name by the index when few match)
    test: ColumnElement[bool]
    #: SQLite: the requests matching, counted up to ``few + 1`` (the index stops there); None when
    #: unknown (PostgreSQL; many applicants' names match)
    estimate: int | None


def prepare(conn: Any, q: str, few: int = 0) -> TextSearch:
    """The conditions for ``q`` (on PostgreSQL the session's plans are then made for the actual
    pattern: a generic plan does not know whether it matches a tenth of the rows or none)."""
    like = "%" + q + "%"
    ids = applicant_ids(conn, q)
    # Many names: each row's own (a scalar subquery, never a hash of every applicant's name).
    name = sa_select(col(Applicant.name)).where(col(Applicant.id) == col(Case.applicant_id))
    by_name: ColumnElement[bool] = (
        name.scalar_subquery().like(like)
        if ids is None
        else col(Case.applicant_id).in_(ids)
        if ids
        else false()
    )
    texts = (col(Case.tracking_no), col(Case.description))
    test = or_(*(c.like(like) for c in texts), by_name)
    if conn.dialect.name == "sqlite":
        m_req, m_app = _match(conn, "request_text", q), _match(conn, "applicant_text", q)
        found = _ids_clause(m_req, m_app)
        matches = false() if found is None else col(Case.id).in_(found.columns(column("id", Integer)))
        estimate = None if ids is None else len(ids)
        if m_req is not None and estimate is not None:
            probe = (
                "SELECT count(*) FROM (SELECT rowid FROM request_text WHERE request_text MATCH :m LIMIT :n)"
            )
            estimate += int(conn.execute(text(probe), {"m": m_req, "n": few + 1}).scalar_one())
        return TextSearch(matches, test, estimate)
    conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
    # One OR over the table: the planner either ORs the GIN indexes' bitmaps (few matches) or walks
    # the lists' index and tests each row (many); short queries add the characters' index.
    arms = [and_(c.like(like), _grams(c, q)) if len(q) < 3 else c.like(like) for c in texts]
    return TextSearch(or_(*arms, by_name), test, None)


def matching_ids(conn: Any, q: str) -> TextClause | None:
    """SQLite: SQL selecting the ids of the requests whose tracking number, description or
    applicant's name contains ``q`` (``served(q)`` must hold); None when the index knows none."""
    return _ids_clause(_match(conn, "request_text", q), _match(conn, "applicant_text", q))


def _ids_clause(m_req: str | None, m_app: str | None) -> TextClause | None:
    parts = []
    if m_req:
        parts.append("SELECT rowid FROM request_text WHERE request_text MATCH :mr")
    if m_app:
        parts.append(
            "SELECT r.id FROM request AS r WHERE r.applicant_id IN "
            "(SELECT rowid FROM applicant_text WHERE applicant_text MATCH :ma)"
        )
    if not parts:
        return None
    clause = text(" UNION ".join(parts))
    if m_req:
        clause = clause.bindparams(mr=m_req)
    if m_app:
        clause = clause.bindparams(ma=m_app)
    return clause
