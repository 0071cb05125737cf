"""The ``orphans`` job: stored documents no row refers to are removed once older than the grace
period; young documents, referenced ones and ones named by any SHA-256 column are kept (issue 13),
and one stored again while the job runs is never removed (issue 17: the bytes are rows now)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow.cases import pending_uploads
from caseflow.dates import now
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, CaseDocument, JobRun, Letter, ReportLock, User
from caseflow.scheduled.jobs import JOBS
from caseflow.scheduled.orphans import sweep_store
from caseflow.scheduled.runs import run_job
from tests.integration import stored
from tests.integration.conftest import World

DAY = dt.timedelta(days=1)


def _stored_hashes(engine: Engine) -> set[str]:
    with Session(engine) as s:
        cited = set(s.exec(select(CaseDocument.sha256)))
        letters = s.exec(select(Letter.html_sha256, Letter.pdf_sha256)).all()
    return cited | {h for pair in letters for h in pair if h}


def _put(engine: Engine, data: bytes, days_old: float = 0) -> str:
    with Session(engine) as s:
        digest = DocumentStore().put(s, data, media_type="application/pdf")
        s.commit()
    if days_old:
        stored.age(engine, digest, days_old)
    return digest


def test_orphans_removed_once_old_and_unreferenced(world: World, engine: Engine) -> None:
    world.new_case()  # a registration: its receipt letter stored, cited by rows
    world.session.commit()
    referenced = _stored_hashes(engine)
    assert referenced and all(stored.exists(engine, h) for h in referenced)
    old_orphan = _put(engine, b"the bytes of a pending upload discarded long ago", days_old=3)
    young_orphan = _put(engine, b"stored a moment ago")
    for digest in referenced:
        stored.age(engine, digest, 3)

    result = sweep_store(engine, now())
    assert result.failed == []
    assert [line.split()[0] for line in result.done] == [old_orphan]
    assert not stored.exists(engine, old_orphan) and stored.exists(engine, young_orphan)
    store = DocumentStore(engine)
    for digest in referenced:  # every cited document is still there, intact
        assert hashlib.sha256(store.read(digest)).hexdigest() == digest

    again = sweep_store(engine, now())
    assert again.done == [] and again.failed == []
    assert stored.exists(engine, young_orphan) and all(stored.exists(engine, h) for h in referenced)


def test_a_rolled_back_transaction_leaves_no_bytes(world: World, engine: Engine) -> None:
    """What the job had to clean up before issue 17 (a file written, its row rolled back) cannot
    happen any more: the bytes are part of the transaction."""
    before = stored.count(engine)
    with Session(engine) as s:
        digest = DocumentStore().put(s, b"a registration that was refused", media_type="application/pdf")
        assert DocumentStore().read(digest, s) == b"a registration that was refused"  # seen inside
        s.rollback()
    assert stored.count(engine) == before and not stored.exists(engine, digest)


def test_a_document_named_by_any_sha256_column_is_kept(world: World, engine: Engine) -> None:
    """No case document or letter, but another table's SHA-256 column names the bytes: kept (the job
    does not know every use other parts make of the store; a column named ``sha256``/``*_sha256`` is one)."""
    kept = _put(engine, b'{"table3": {}, "table4": {}}', days_old=3)
    with Session(engine) as s:
        city = s.exec(select(Agency).where(col(Agency.code) == "city")).one()
        s.add(
            ReportLock(
                agency_id=city.id or 0,
                year=2025,
                figures={},
                sha256=kept,
                finalized_by="supervisor",
                finalized_role="supervisor",
            )
        )
        s.commit()
    assert sweep_store(engine, now()).done == []
    assert stored.exists(engine, kept)


def test_stored_again_and_cited_while_the_job_runs_is_kept(world: World, engine: Engine) -> None:
    """An old orphan's bytes uploaded again by a transaction still open when the job starts (the
    store's insert finds the row and keeps it): the job waits for that transaction, sees the new row
    citing the bytes, and keeps them."""
    data = b"an envelope scanned twice"
    digest = _put(engine, data, days_old=3)
    clerk = world.session.exec(select(User).where(col(User.username) == "clerk")).one()
    outcome: list[object] = []
    with Session(engine) as s:
        row = pending_uploads.keep(
            s, user_id=clerk.id or 0, slot="envelope", data=data, media_type="image/png", filename="e.png"
        )
        assert row.sha256 == digest
        sweeper = threading.Thread(target=lambda: outcome.append(sweep_store(engine, now())))
        sweeper.start()
        time.sleep(
            0.5
        )  # the job is waiting for this transaction (SQLite's write lock, PostgreSQL's table lock)
        assert not outcome
        s.commit()
    sweeper.join(timeout=30)
    assert outcome and outcome[0].done == []  # type: ignore[attr-defined]
    assert DocumentStore(engine).read(digest) == data


def test_future_as_of_ages_nothing(world: World, engine: Engine) -> None:
    """``caseflow sweep --now`` a month ahead does not make a document stored just now look old."""
    fresh = _put(engine, b"stored a moment ago")
    assert sweep_store(engine, now() + 30 * DAY).done == []
    assert stored.exists(engine, fresh)


def test_registered_with_the_jobs_and_recorded(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``caseflow sweep`` runs it (it is one of ``JOBS``); its run records how many documents went."""
    monkeypatch.setenv("CASEFLOW_STORE_GRACE_HOURS", "48")
    from caseflow.settings import get_settings

    get_settings.cache_clear()
    assert "orphans" in JOBS
    two_days = _put(engine, b"an orphan of 36 hours", days_old=1.5)  # within the 48-hour grace period
    four_days = _put(engine, b"an orphan of four days", days_old=4)
    run, result = run_job(engine, JOBS["orphans"], now())
    assert run.status == "ok" and run.done == 1 and [r.split()[0] for r in result.done] == [four_days]
    assert stored.exists(engine, two_days) and not stored.exists(engine, four_days)
    with Session(engine) as s:
        recorded = s.exec(select(JobRun).where(col(JobRun.job) == "orphans")).one()
        assert (recorded.status, recorded.done, recorded.failed) == ("ok", 1, 0)
