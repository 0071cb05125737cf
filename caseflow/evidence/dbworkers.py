"""``caseflow verify`` in worker processes, each over ranges of request ids.

The requests are split into ranges of ids (``CHUNK`` ids each, at least two ranges per worker so a
slow range does not hold the others up); each range is checked by ``dbstream.check_stream`` in a
worker process, with its own engine and its own read transaction. The parent merges the ranges'
reports in request order and tells ``report`` each problem in that order: the report (problems,
their words and order, counts) is the one a single process gives.

Consistency: each range is read in one snapshot (SQLite in WAL mode: each reader sees the database
as of its transaction's first read; PostgreSQL: REPEATABLE READ), so every request is checked with
its row, events, letters and documents as of one moment. Different ranges are read at different
moments (they start as workers free up): the result is consistent per request, not one snapshot of
the whole database. A request registered after its range was read is not counted; since a
transition changes a request's row and its events in one transaction, no request is seen half-way.

Memory is per process (flat in each: nothing of a checked request is kept; the stored documents'
verdicts are remembered up to ``dbstream.HASHED_KEEP`` per range). ``documents`` counts the distinct
stored files found intact over all ranges (each range sends back the keys it counted).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Engine, func, select

from caseflow.calendar import WorkingCalendar
from caseflow.evidence.chain import Problem
from caseflow.evidence.dbexact import REQUEST, Report
from caseflow.evidence.replay import Finding

#: Request ids per range handed to a worker.
CHUNK = 25_000
#: ``caseflow verify`` uses workers by default above this many requests.
PARALLEL_ABOVE = 50_000
MAX_DEFAULT_WORKERS = 4

_engine: Engine | None = None
_calendar: WorkingCalendar | None = None


def default_workers(engine: Engine) -> int:
    """min(CPUs, 4) when the database holds more than ``PARALLEL_ABOVE`` requests, else 1."""
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(REQUEST)).scalar_one()
    return min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS) if count > PARALLEL_ABOVE else 1


def ranges(low: int, high: int, workers: int, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """``(low, high]`` cut into ranges ``(a, b]`` of at most ``chunk`` ids, at least two a worker."""
    span = high - low
    if span <= 0:
        return []
    size = max(1, min(chunk, -(-span // (2 * workers))))
    return [(start, min(start + size, high)) for start in range(low, high, size)]


def _init(url: str, calendar: WorkingCalendar | None, parent: Engine | None) -> None:
    global _engine, _calendar
    from caseflow.db import make_engine

    if parent is not None:  # forked: the parent's pooled connections are not this process's to use
        parent.dispose(close=False)
    _engine, _calendar = make_engine(url), calendar


def _check_range(id_range: tuple[int, int]) -> tuple[Report, list[Problem | Finding], list[bytes]]:
    """(counts, the problems in the order found, the stored files found intact) of one range."""
    from caseflow.evidence.dbstream import check_stream

    assert _engine is not None
    told: list[Problem | Finding] = []
    kept: list[bytes] = []
    out = check_stream(_engine, calendar=_calendar, report=told.append, id_range=id_range, intact_keys=kept)
    out.broken, out.findings = [], []  # sent once, in ``told``
    return out, told, kept


def check_parallel(
    engine: Engine,
    workers: int,
    *,
    calendar: WorkingCalendar | None = None,
    report: Callable[[Problem | Finding], None] | None = None,
    id_range: tuple[int, int] | None = None,
    chunk: int = CHUNK,
) -> Report:
    """Every request (or those with ``id_range[0] < id <= id_range[1]``), checked by ``workers``
    processes; the same report as ``check_stream`` in one process."""
    stmt = select(func.min(REQUEST.c.id), func.max(REQUEST.c.id))
    if id_range is not None:
        stmt = stmt.where(REQUEST.c.id > id_range[0], REQUEST.c.id <= id_range[1])
    with engine.connect() as conn:
        first, last = conn.execute(stmt).one()
    out = Report()
    if first is None:
        return out
    methods = multiprocessing.get_all_start_methods()
    forked = "fork" in methods
    context = multiprocessing.get_context("fork" if forked else "spawn")
    url = engine.url.render_as_string(hide_password=False)
    seen: set[bytes] = set()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init, initargs=(url, calendar, engine if forked else None)
    ) as pool:
        gc.freeze()  # while the workers are forked: pages they share with this process stay shared
        try:
            parts = pool.map(_check_range, ranges(first - 1, last, workers, chunk))  # all submitted
        finally:
            gc.unfreeze()
        for part, told, kept in parts:
            _merge(out, part, told, report)
            seen.update(kept)
    out.documents = len(seen)
    return out


def _merge(
    out: Report,
    part: Report,
    told: list[Problem | Finding],
    report: Callable[[Problem | Finding], None] | None,
) -> None:
    out.requests += part.requests
    out.events += part.events
    out.letters += part.letters
    out.bulk += part.bulk
    for item in told:  # as ``dbexact._Checker.add`` files them, in the order they were found
        (out.broken if isinstance(item, Problem) else out.findings).append(item)  # type: ignore[arg-type]
        if report is not None:
            report(item)
