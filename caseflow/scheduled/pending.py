"""Discarding abandoned pending uploads (files chosen on a form that was never saved).

A pending upload (``caseflow.cases.pending_uploads``) older than ``MAX_AGE`` (24 hours) as of the run
is deleted; its bytes go with it when no row of any table names the hash any more and the file was
not stored anew meanwhile (the same checks, and the same set-aside-then-recheck step, as the store's
orphan sweep, ``caseflow.scheduled.orphans``). Idempotent: a second run finds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine
from sqlmodel import Session

from caseflow.cases.pending_uploads import abandoned, discard
from caseflow.dates import now as current_moment
from caseflow.evidence.store import DocumentStore
from caseflow.scheduled.orphans import _sha256_columns, _sweep_batch
from caseflow.scheduled.runs import JobResult

log = logging.getLogger("caseflow.scheduled.pending")


def discard_abandoned(engine: Engine, now: dt.datetime, *, store: DocumentStore | None = None) -> JobResult:
    """Delete the pending uploads older than 24 hours as of ``now``, and their unreferenced bytes."""
    result = JobResult()
    docs = store or DocumentStore()
    as_of = min(now, current_moment())  # a run "as of" a future moment ages nothing
    with Session(engine) as session:
        rows = abandoned(session, as_of)
        if not rows:
            return result
        hashes = sorted({r.sha256 for r in rows})
        for row in rows:
            result.done.append(
                f"{row.filename or row.sha256[:16]} discarded (uploaded {row.created_at:%Y-%m-%d %H:%M})"
            )
        discard(session, rows)
        session.commit()
    # the bytes: only files not named by any row and not stored again since the rows' cutoff
    cutoff = (as_of - dt.timedelta(hours=1)).timestamp()
    paths = [docs.path_for(h) for h in hashes if docs.path_for(h).exists()]
    if paths:
        with Session(engine) as session:
            _sweep_batch(session, paths, _sha256_columns(), cutoff, result)
    log.info("discarded %d abandoned pending uploads", len(rows))
    return result
