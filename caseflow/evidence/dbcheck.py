"""``caseflow verify``: everything the evidence claims, checked against the database and the store.

The whole database (or a range of request ids) is checked by ``caseflow.evidence.dbstream``: the
requests and their events read as ordered streams and merged, in flat memory. Named requests, and
every request in which that fast pass finds anything, are checked the per-request way
(``caseflow.evidence.dbexact``, where the words of every problem come from, and the list of what
is checked), in batches: one read transaction per batch, no ORM objects kept.

Every problem is named (request, field, event); nothing stops at the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine, select
from sqlmodel import Session

from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.evidence.chain import Problem
from caseflow.evidence.dbexact import REQUEST, Report, _Checker
from caseflow.evidence.replay import Finding
from caseflow.evidence.store import DocumentStore

BATCH = 500


def check_database(
    engine: Engine,
    tracking_nos: Sequence[str] | None = None,
    *,
    store: DocumentStore | None = None,
    calendar: WorkingCalendar | None = None,
    batch: int = BATCH,
    report: Callable[[Problem | Finding], None] | None = None,
    id_range: tuple[int, int] | None = None,
    exact: bool = False,
    workers: int = 1,
) -> Report:
    """Check every request (or the named ones, or those with ``id_range[0] < id <= id_range[1]``);
    ``report`` is told each problem as it is found. Without names the requests are read as streams
    (``dbstream``; by ``workers`` processes over ranges of ids when more than one: ``dbworkers``)
    unless ``exact``: every request the per-request way (what the fallback does)."""
    if tracking_nos is None and not exact and workers > 1:
        from caseflow.evidence.dbworkers import check_parallel

        return check_parallel(engine, workers, calendar=calendar, report=report, id_range=id_range)
    if tracking_nos is None and not exact:
        from caseflow.evidence.dbstream import check_stream

        return check_stream(
            engine, store=store, calendar=calendar, report=report, id_range=id_range, batch=batch
        )
    out = Report()
    checker = _Checker(out, store or DocumentStore(engine), calendar or default_calendar(), report)
    last_id = 0
    while True:
        with Session(engine) as session:
            if engine.dialect.name == "postgresql":  # the rows of a batch from one snapshot
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            if not checker.names:
                checker.load_names(session)
            stmt = select(REQUEST).where(REQUEST.c.id > last_id).order_by(REQUEST.c.id).limit(batch)
            if id_range is not None:
                stmt = stmt.where(REQUEST.c.id > id_range[0], REQUEST.c.id <= id_range[1])
            if tracking_nos:
                stmt = stmt.where(REQUEST.c.tracking_no.in_(list(tracking_nos)))
            rows = [dict(r) for r in session.execute(stmt).mappings()]
            if not rows:
                return out
            last_id = rows[-1]["id"]
            checker.hashed.clear()
            checker.batch(session, rows)
