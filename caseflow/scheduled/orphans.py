"""Removing stored documents that nothing refers to.

A document's bytes are its ``document`` row (``caseflow.evidence.store``), written in the same
transaction as the rows that cite it, so a rollback leaves nothing behind. What can still become
unreferenced: the bytes of a pending upload that was discarded, or of a row deleted later. This
job removes such documents, conservatively:

- only documents older than the grace period (``CASEFLOW_STORE_GRACE_HOURS``, 24 h) as of the run
  (and of the clock: ``caseflow sweep --now`` in the future ages nothing);
- only documents that no column of any table holding a SHA-256 (``sha256``, ``*_sha256``: request
  documents, letters, uploads awaiting review, checkpoints, whatever is added later) names;
- candidates are found without blocking anyone, then checked again and deleted in one short
  transaction that excludes every writer of documents (SQLite: the write lock; PostgreSQL: a
  ``SHARE ROW EXCLUSIVE`` lock on ``document``, which waits for every transaction that stored a
  document to end), so a document stored again or cited meanwhile is never removed.

A second run finds nothing more to remove. Each removal is logged and listed in the run's result.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from sqlalchemy import Column, ColumnElement, Engine, String, Table, delete, exists, select, text
from sqlmodel import Session, SQLModel
from sqlmodel.sql.sqltypes import AutoString

import caseflow.models  # noqa: F401 - every table registered in the metadata searched here
from caseflow.dates import now as current_moment
from caseflow.db import write_transaction
from caseflow.evidence.store import TABLE, DocumentStore
from caseflow.scheduled.runs import JobResult
from caseflow.settings import get_settings

log = logging.getLogger("caseflow.scheduled.orphans")
BATCH = 500


def _sha256_columns() -> list[Column[str]]:
    """Every string column of the schema, other than the ``document`` table's own key, that may
    hold a SHA-256 of a stored document (by its name: ``sha256`` or ``…_sha256``)."""
    found: list[Column[str]] = []
    for table in SQLModel.metadata.sorted_tables:
        assert isinstance(table, Table)
        if table is TABLE:
            continue
        for column in table.columns:
            named = column.name == "sha256" or column.name.endswith("_sha256")
            if named and isinstance(column.type, (String, AutoString)):
                found.append(column)
    found.sort(key=lambda c: (c.table.name, c.name))
    return found


def _unreferenced(columns: Sequence[Column[str]]) -> list[ColumnElement[bool]]:
    return [~exists().where(column == TABLE.c.sha256) for column in columns]


def _named_in_json(session: Session) -> set[str]:
    """The documents named in JSON lists of files: an applicant's online submission's ``files``."""
    from caseflow.models import ApplicantSubmission

    rows = session.execute(select(ApplicantSubmission.files)).scalars()  # type: ignore[call-overload]
    return {f["sha256"] for files in rows for f in files or () if isinstance(f, dict) and "sha256" in f}


def remove_unreferenced(
    engine: Engine, names: Sequence[str], result: JobResult, *, cutoff: dt.datetime | None = None
) -> None:
    """Delete those of the documents ``names`` that nothing names (and, with ``cutoff``, that were
    stored before it), in one transaction no writer of documents runs beside (see above)."""
    if not names:
        return
    where = [TABLE.c.sha256.in_(list(names)), *_unreferenced(_sha256_columns())]
    if cutoff is not None:
        where.append(TABLE.c.created_at < cutoff)
    with Session(engine) as session, write_transaction(session):
        if engine.dialect.name == "postgresql":
            session.execute(text("LOCK TABLE document IN SHARE ROW EXCLUSIVE MODE"))
        found = session.execute(select(TABLE.c.sha256, TABLE.c.size).where(*where)).all()
        held = _named_in_json(session)  # files listed in JSON columns (no ``*_sha256`` column names them)
        gone = [(sha, size) for sha, size in found if sha not in held]
        if gone:
            session.execute(delete(TABLE).where(TABLE.c.sha256.in_([sha for sha, _ in gone])))
    for sha, size in gone:
        log.info("removed stored document %s (%d bytes): no row refers to it", sha, size)
        result.done.append(f"{sha} removed ({size} bytes; no row refers to it)")


def sweep_store(engine: Engine, now: dt.datetime, *, store: DocumentStore | None = None) -> JobResult:
    """Remove the stored documents older than the grace period as of ``now`` that nothing names."""
    del store  # the documents of ``engine``'s database (kept for the job runner's signature)
    result = JobResult()
    # as of the run, but never later than the clock: a run "as of" a future moment does not age rows
    cutoff = min(now, current_moment()) - dt.timedelta(hours=get_settings().store_grace_hours)
    unreferenced = _unreferenced(_sha256_columns())
    last = ""
    while True:
        with Session(engine) as session:  # candidates, read without any lock
            names = list(
                session.execute(
                    select(TABLE.c.sha256)
                    .where(TABLE.c.sha256 > last, TABLE.c.created_at < cutoff, *unreferenced)
                    .order_by(TABLE.c.sha256)
                    .limit(BATCH)
                ).scalars()
            )
        if not names:
            return result
        remove_unreferenced(engine, names, result, cutoff=cutoff)
        last = names[-1]
