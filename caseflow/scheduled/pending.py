"""Discarding abandoned pending uploads (files chosen on a form that was never saved).

A pending upload (``caseflow.cases.pending_uploads``) older than ``MAX_AGE`` (24 hours) as of the run
is deleted; its ``document`` row (the bytes) goes with it when no row of any table names the hash
any more (the same checks, under the same lock, as the store's orphan sweep,
``caseflow.scheduled.orphans``). Idempotent: a second run finds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine
from sqlmodel import Session

from caseflow.cases.pending_uploads import abandoned, discard
from caseflow.dates import now as current_moment
from caseflow.evidence.store import DocumentStore
from caseflow.portal.uploads import abandoned_pending
from caseflow.scheduled.orphans import remove_unreferenced
from caseflow.scheduled.runs import JobResult

log = logging.getLogger("caseflow.scheduled.pending")


def discard_abandoned(engine: Engine, now: dt.datetime, *, store: DocumentStore | None = None) -> JobResult:
    """Delete the pending uploads older than 24 hours as of ``now``, and their unreferenced bytes."""
    result = JobResult()
    del store  # the documents of ``engine``'s database
    as_of = min(now, current_moment())  # a run "as of" a future moment ages nothing
    with Session(engine) as session:
        rows = abandoned(session, as_of)
        public = abandoned_pending(session, as_of)  # the public application form's (2 hours)
        if not rows and not public:
            return result
        hashes = sorted({r.sha256 for r in rows} | {r.sha256 for r in public})
        for name, sha, created in [(r.filename, r.sha256, r.created_at) for r in rows] + [
            (p.filename, p.sha256, p.created_at) for p in public
        ]:
            result.done.append(f"{name or sha[:16]} discarded (uploaded {created:%Y-%m-%d %H:%M})")
        discard(session, rows)
        for kept in public:
            session.delete(kept)
        session.commit()
    # their bytes: the documents no row names any more (checked again under the writers' lock)
    remove_unreferenced(engine, hashes, result)
    log.info("discarded %d abandoned pending uploads", len(rows))
    return result
