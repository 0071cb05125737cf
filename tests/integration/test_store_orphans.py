"""The ``orphans`` job: content-store files no row refers to are removed once older than the grace
period; young files, referenced files and files named by any SHA-256 column are kept (issue 13)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow.dates import now
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, CaseDocument, JobRun, Letter, ReportLock
from caseflow.scheduled.jobs import JOBS
from caseflow.scheduled.orphans import sweep_store
from caseflow.scheduled.runs import run_job
from tests.integration.conftest import World

DAY = dt.timedelta(days=1)


def _age(path: Path, days: float) -> None:
    moment = (now() - dt.timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment))


def _stored_hashes(engine: Engine) -> set[str]:
    with Session(engine) as s:
        cited = set(s.exec(select(CaseDocument.sha256)))
        letters = s.exec(select(Letter.html_sha256, Letter.pdf_sha256)).all()
    return cited | {h for pair in letters for h in pair if h}


def test_orphans_removed_once_old_and_unreferenced(world: World, engine: Engine) -> None:
    world.new_case()  # a registration: its receipt letter in the store, cited by rows
    world.session.commit()
    store = DocumentStore()
    referenced = _stored_hashes(engine)
    assert referenced and all(store.path_for(h).exists() for h in referenced)

    old_orphan = store.path_for(store.put_bytes(b"left behind by a transaction that rolled back"))
    young_orphan = store.path_for(store.put_bytes(b"its row is about to commit"))
    incoming_old = old_orphan.parent / ".incoming-abc123"
    incoming_old.write_bytes(b"a write that died")
    incoming_young = old_orphan.parent / ".incoming-def456"
    incoming_young.write_bytes(b"a write going on now")
    stranger = store.root / "README.txt"  # not a store file: never touched
    stranger.write_text("kept")
    for path in (old_orphan, incoming_old, stranger, *(store.path_for(h) for h in referenced)):
        _age(path, 3)

    result = sweep_store(engine, now())
    assert result.failed == []
    assert sorted(line.split()[0] for line in result.done) == sorted([old_orphan.name, incoming_old.name])
    assert not old_orphan.exists() and not incoming_old.exists()
    assert young_orphan.exists() and incoming_young.exists() and stranger.exists()
    for digest in referenced:  # every cited file is still there, intact
        assert hashlib.sha256(store.read(digest)).hexdigest() == digest

    again = sweep_store(engine, now())
    assert again.done == [] and again.failed == []
    assert young_orphan.exists() and all(store.path_for(h).exists() for h in referenced)


def test_a_file_named_by_any_sha256_column_is_kept(world: World, engine: Engine) -> None:
    """No ``document`` row, but another table's SHA-256 column names the bytes: kept (the job does
    not know every use other parts make of the store; a column named ``sha256``/``*_sha256`` is one)."""
    store = DocumentStore()
    data = b'{"table3": {}, "table4": {}}'
    kept = store.path_for(store.put_bytes(data))
    with Session(engine) as s:
        city = s.exec(select(Agency).where(col(Agency.code) == "city")).one()
        s.add(
            ReportLock(
                agency_id=city.id or 0,
                year=2025,
                figures={},
                sha256=kept.name,
                finalized_by="supervisor",
                finalized_role="supervisor",
            )
        )
        s.commit()
    _age(kept, 3)
    assert sweep_store(engine, now()).done == []
    assert kept.exists()


def test_stored_again_while_old_is_kept(world: World, engine: Engine) -> None:
    """The same bytes uploaded again (the store finds the file and does not rewrite it): the file's
    time is refreshed, so the sweep keeps it for the row about to cite it."""
    store = DocumentStore()
    data = b"an envelope scanned twice"
    path = store.path_for(store.put_bytes(data))
    _age(path, 3)
    assert store.put_bytes(data) == path.name
    assert path.stat().st_mtime > (now() - DAY).timestamp()
    assert sweep_store(engine, now()).done == []
    assert path.exists()


def test_a_file_set_aside_by_a_crashed_run_is_put_back(world: World, engine: Engine) -> None:
    world.new_case()
    world.session.commit()
    store = DocumentStore()
    digest = next(iter(_stored_hashes(engine)))
    path = store.path_for(digest)
    aside = path.with_name(f".sweeping-{digest}")
    os.replace(path, aside)  # as a run that died between setting aside and deciding leaves it
    _age(aside, 3)
    assert sweep_store(engine, now()).done == []
    assert path.exists() and not aside.exists()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_future_as_of_ages_nothing(world: World, engine: Engine) -> None:
    """``caseflow sweep --now`` a month ahead does not make a file written just now look old."""
    store = DocumentStore()
    fresh = store.path_for(store.put_bytes(b"written a moment ago, row not committed yet"))
    assert sweep_store(engine, now() + 30 * DAY).done == []
    assert fresh.exists()


def test_registered_with_the_jobs_and_recorded(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``caseflow sweep`` runs it (it is one of ``JOBS``); its run records how many files went."""
    monkeypatch.setenv("CASEFLOW_STORE_GRACE_HOURS", "48")
    from caseflow.settings import get_settings

    get_settings.cache_clear()
    assert "orphans" in JOBS
    store = DocumentStore()
    two_days = store.path_for(store.put_bytes(b"an orphan of 36 hours"))
    four_days = store.path_for(store.put_bytes(b"an orphan of four days"))
    _age(two_days, 1.5)  # within the 48-hour grace period set above
    _age(four_days, 4)
    run, result = run_job(engine, JOBS["orphans"], now())
    assert run.status == "ok" and run.done == 1 and [r.split()[0] for r in result.done] == [four_days.name]
    assert two_days.exists() and not four_days.exists()
    with Session(engine) as s:
        stored = s.exec(select(JobRun).where(col(JobRun.job) == "orphans")).one()
        assert (stored.status, stored.done, stored.failed) == ("ok", 1, 0)
