"""``caseflow verify`` as merged streams (issue 17, item 5), SQLite and PostgreSQL.

The streaming pass and the per-request check (``exact=True``, what the fallback runs) give the same
problems, in the same words and order, and the same counts, over the tamper matrix of
``test_tamper`` and ``test_verify_claims``; so does the streaming pass in two worker processes
(``dbworkers``); a range of request ids checks only those requests.
"""

# ruff: noqa: F401, F811  (``cases``: the fixture of test_verify_claims, imported)
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from caseflow.evidence.dbcheck import check_database
from caseflow.evidence.dbexact import EVENT, Report
from caseflow.evidence.dbworkers import ranges
from tests.integration.conftest import T0, World
from tests.integration.test_tamper import TAMPERING, _drop_triggers
from tests.integration.test_verify_claims import (
    ROW_EDITS,
    Tampered,
    _drop_event_triggers,
    _letter,
    _rehash_from,
    _sql,
    cases,  # the fixture
)

Tamper = Callable[[Session, Tampered], None]


def _row_edit(statement: str) -> Tamper:
    return lambda session, c: _sql(session, statement, i=c.case.id)


def _moment_column(session: Session, case_id: int) -> None:
    """The stored moment of event 2 moved (the payload's is hashed and stays)."""
    moved = dt.datetime(2026, 9, 25, 9, 0, tzinfo=dt.UTC)
    session.execute(update(EVENT).where(EVENT.c.case_id == case_id, EVENT.c.seq == 2).values(moment=moved))
    session.commit()


CHAIN = {**{name: edit[0] for name, edit in TAMPERING.items()}, "moment-column": _moment_column}


def _chain_edit(name: str) -> Tamper:
    def tamper(session: Session, c: Tampered) -> None:
        _drop_triggers(session)
        CHAIN[name](session, int(c.case.id or 0))

    return tamper


def _backdate(session: Session, c: Tampered) -> None:
    _drop_event_triggers(session)

    def change(body: dict[str, Any]) -> None:
        body["moment"] = T0.isoformat()

    _rehash_from(session, c.case, 3, change)


def _letter_row(session: Session, c: Tampered) -> None:
    reply, receipt = _letter(session, c.case, "reply"), _letter(session, c.case, "receipt")
    _sql(session, "UPDATE letter SET html_sha256 = :h WHERE id = :i", h=receipt.html_sha256, i=reply.id)


def _letter_deleted(session: Session, c: Tampered) -> None:
    _sql(session, "DELETE FROM letter WHERE id = :i", i=_letter(session, c.case, "reply").id)


def _case_document(session: Session, c: Tampered) -> None:
    reply, receipt = _letter(session, c.case, "reply"), _letter(session, c.case, "receipt")
    _sql(
        session,
        "UPDATE case_document SET sha256 = :h WHERE case_id = :c AND sha256 = :old",
        h=receipt.html_sha256,
        c=c.case.id,
        old=reply.html_sha256,
    )


EDITS: dict[str, Tamper] = {
    **{f"row-{name}": _row_edit(edit[0]) for name, edit in ROW_EDITS.items()},
    "other-request": lambda session, c: _sql(
        session, "UPDATE request SET state = 'withdrawn' WHERE id = :i", i=c.other.id
    ),
    "letter-row": _letter_row,
    "case-document-row": _case_document,
    "letter-deleted": _letter_deleted,
    "backdated-event": _backdate,
}


def _summary(report: Report) -> tuple[object, ...]:
    lines = [f"BROKEN {p}" for p in report.broken] + [str(f) for f in report.findings]
    return lines, report.requests, report.events, report.letters, report.bulk


def _same_both_ways(engine: Engine, name: str) -> None:
    """The streaming pass, in one process and in two worker processes (each request its own range),
    and the per-request check: the same report, the same problems told in the same order."""
    streamed: list[object] = []
    told: list[object] = []
    by_workers: list[object] = []
    stream = check_database(engine, report=streamed.append)
    exact = check_database(engine, exact=True, report=told.append)
    parallel = check_database(engine, report=by_workers.append, workers=2)
    assert _summary(exact)[0], f"{name} went unnoticed"
    assert _summary(stream) == _summary(exact), name
    assert streamed == told, name  # the same problems, told in the same order
    assert _summary(parallel) == _summary(stream) and parallel.documents == stream.documents, name
    assert by_workers == streamed, name


def test_row_letter_and_moment_edits_are_named_alike(world: World, cases: Tampered, engine: Engine) -> None:
    """Each edit of the matrix in turn (on top of the ones before): both ways agree after each."""
    for name, tamper in EDITS.items():
        tamper(world.session, cases)
        world.session.rollback()
        _same_both_ways(engine, name)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("name", list(CHAIN))
def test_chain_edits_are_named_alike(name: str, world: World, cases: Tampered, engine: Engine) -> None:
    _chain_edit(name)(world.session, cases)
    world.session.rollback()
    _same_both_ways(engine, name)


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_chain_edit_is_named_alike_on_postgres(world: World, cases: Tampered, engine: Engine) -> None:
    _chain_edit("moment-column")(world.session, cases)
    world.session.rollback()
    _same_both_ways(engine, "moment-column")


def test_an_intact_database_gives_the_same_counts(world: World, cases: Tampered, engine: Engine) -> None:
    world.session.rollback()
    stream, exact = check_database(engine), check_database(engine, exact=True)
    parallel = check_database(engine, workers=2)
    assert stream.intact and exact.intact and parallel.intact
    assert _summary(stream) == _summary(exact) == _summary(parallel)
    assert parallel.documents == stream.documents
    assert (stream.requests, stream.letters) == (2, exact.letters) and stream.documents >= stream.letters


def test_ranges_cover_every_id_once() -> None:
    assert ranges(0, 10, 2, chunk=4) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert ranges(5, 7, 4) == [(5, 6), (6, 7)]
    assert ranges(0, 100_000, 2, chunk=25_000) == [(i, i + 25_000) for i in range(0, 100_000, 25_000)]
    assert ranges(3, 3, 2) == []


def test_a_range_of_ids_checks_only_those(world: World, cases: Tampered, engine: Engine) -> None:
    _sql(world.session, "UPDATE request SET description = '改过' WHERE id = :i", i=cases.other.id)
    first, second = sorted((int(cases.case.id or 0), int(cases.other.id or 0)))
    only_first = check_database(engine, id_range=(first - 1, first))
    assert only_first.requests == 1
    both = check_database(engine, id_range=(0, second))
    assert [f.tracking_no for f in both.findings] == [cases.other.tracking_no]
    assert check_database(engine, id_range=(second, second + 10)).requests == 0
