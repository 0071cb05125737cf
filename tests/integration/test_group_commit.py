"""Group commit on SQLite (``caseflow.groupcommit``): one writer, each transition in its own savepoint,
one COMMIT per batch, callers answered only after it.

- a failing transition in a batch fails alone (its request and evidence exactly as before) while
  the others of the batch commit;
- a batch of one writes exactly what the direct path writes (same rows, same hashes);
- nothing acknowledged is lost: a process running concurrent clients is SIGKILLed mid-run and
  every transition it acknowledged is in the database, the chains verifying;
- PostgreSQL never groups; work to do after a commit waits for the batch's COMMIT.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlmodel import Session, col, select

from caseflow import groupcommit, service
from caseflow.db import make_engine
from caseflow.errors import StaleVersion
from caseflow.evidence.chain import verify_all
from caseflow.models import Case, EvidenceEvent
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World, snapshot

AT = T0 + dt.timedelta(days=1)
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ROOT = Path(__file__).resolve().parents[2]


def _blocked(committer: groupcommit.GroupCommitter) -> tuple[threading.Event, threading.Thread]:
    """Occupy the writer until the returned event is set, so that what is submitted meanwhile waits
    and is taken as one batch."""
    release, started = threading.Event(), threading.Event()

    def hold(_session: Session) -> None:
        started.set()
        release.wait(30)

    thread = threading.Thread(target=committer.run, args=(hold,))
    thread.start()
    assert started.wait(30)
    return release, thread


def _submit_all(committer: groupcommit.GroupCommitter, works: list[Any]) -> list[Any]:
    """Submit every unit while the writer is held; release it; each unit's result or exception."""
    release, holder = _blocked(committer)
    results: list[Any] = [None] * len(works)

    def call(i: int) -> None:
        try:
            results[i] = committer.run(works[i])
        except Exception as exc:  # noqa: BLE001 - every outcome is examined by the test
            results[i] = exc

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(works))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while len(committer._waiting) < len(works) and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    for t in [holder, *threads]:
        t.join(30)
    return results


def _perform(world: World, case_id: int, action: str, facts: Any = None, **kw: Any) -> Any:
    def work(session: Session) -> Case:
        return service.perform(
            session=session, case_id=case_id, actor=world["clerk"], action=action, facts=facts, now=AT, **kw
        )

    return work


@SQLITE_ONLY
def test_a_failing_transition_fails_alone(world: World, engine: Engine) -> None:
    cases = [world.new_case() for _ in range(4)]
    ids = [c.id or 0 for c in cases]
    world.session.rollback()
    before = {i: snapshot(world.session, i) for i in ids}
    world.session.rollback()

    def performed_then_failed(session: Session) -> None:
        _perform(world, ids[3], "view_identity")(session)  # its savepoint released, then an error
        raise RuntimeError("after the transition")

    committer = groupcommit.GroupCommitter(engine)
    results = _submit_all(
        committer,
        [
            _perform(world, ids[0], "view_identity"),
            _perform(world, ids[1], "view_identity", expected_version=7),  # stale: refused
            _perform(world, ids[2], "draft_reply", {"outcome": "disclosed.provided", "provided": "预算表"}),
            performed_then_failed,
        ],
    )
    assert committer.batches == [1, 4]  # the holder alone, then the four together
    assert isinstance(results[0], Case) and results[0].version == 2
    assert isinstance(results[1], StaleVersion)
    assert isinstance(results[2], Case) and results[2].state == "ready-to-issue"
    assert isinstance(results[3], RuntimeError)
    for i in (ids[1], ids[3]):
        assert snapshot(world.session, i) == before[i]
    assert snapshot(world.session, ids[0])[1] == before[ids[0]][1] + 1
    assert snapshot(world.session, ids[2])[0]["state"] == "ready-to-issue"
    assert verify_all(world.session) == (4, None)


@SQLITE_ONLY
def test_a_lone_unit_is_its_own_transaction(world: World, engine: Engine) -> None:
    """A batch of one has no savepoint: refused, it rolls the transaction back; swallowing the
    refusal and writing on is refused too; nothing of either is written."""
    case_id = world.new_case().id or 0
    world.session.close()
    before = snapshot(world.session, case_id)
    world.session.close()
    committer = groupcommit.GroupCommitter(engine)
    with pytest.raises(StaleVersion):
        committer.run(_perform(world, case_id, "view_identity", expected_version=5))

    def swallowed(session: Session) -> None:
        try:
            _perform(world, case_id, "view_identity", expected_version=5)(session)
        except StaleVersion:
            session.execute(
                text("UPDATE request SET document_no_sought = 'x' WHERE id = :id"), {"id": case_id}
            )

    with pytest.raises((groupcommit.BrokenBatch, InvalidRequestError)):  # (SQLAlchemy refuses first)
        committer.run(swallowed)
    assert snapshot(world.session, case_id) == before
    world.session.close()
    assert committer.run(_perform(world, case_id, "view_identity")).version == 2
    assert committer.batches == [1, 1, 1]


@SQLITE_ONLY
def test_after_commit_work_waits_for_the_batch_commit(world: World, engine: Engine) -> None:
    case_id = world.new_case().id or 0
    world.session.rollback()
    seen: list[int] = []

    def work(session: Session) -> None:
        session.execute(text("UPDATE request SET document_no_sought = 'x' WHERE id = :id"), {"id": case_id})
        session.commit()  # a savepoint released only: the hook must not run yet
        groupcommit.after_commit(session, lambda: seen.append(_committed_notes(engine, case_id)))

    def failing(session: Session) -> None:
        groupcommit.after_commit(session, lambda: seen.append(-1))
        raise ValueError("refused")

    results = _submit_all(groupcommit.GroupCommitter(engine), [work, failing])
    assert isinstance(results[1], ValueError)
    assert seen == [1]  # run once, after COMMIT (another connection sees the row); never for the failed one


def test_after_commit_outside_a_group_runs_on_commit_only(world: World) -> None:
    seen: list[str] = []
    groupcommit.after_commit(world.session, lambda: seen.append("rolled back"))
    world.session.rollback()
    world.session.commit()
    groupcommit.after_commit(world.session, lambda: seen.append("committed"))
    world.session.commit()
    assert seen == ["committed"]


@SQLITE_ONLY
def test_a_unit_that_swallows_its_rollback_fails_the_whole_batch(world: World, engine: Engine) -> None:
    """After its savepoint is gone a unit's writes would land in the batch's transaction: rather
    than acknowledge anything of such a batch, all of it is rolled back and fails."""
    ids = [world.new_case().id or 0 for _ in range(2)]
    world.session.close()
    before = {i: snapshot(world.session, i) for i in ids}
    world.session.close()

    def swallowed(session: Session) -> None:
        try:
            _perform(world, ids[1], "view_identity", expected_version=9)(session)
        except StaleVersion:
            pass

    results = _submit_all(
        groupcommit.GroupCommitter(engine), [_perform(world, ids[0], "view_identity"), swallowed]
    )
    assert all(isinstance(r, groupcommit.BrokenBatch) for r in results)
    assert {i: snapshot(world.session, i) for i in ids} == before


@SQLITE_ONLY
def test_a_failed_commit_fails_the_whole_batch(world: World, engine: Engine) -> None:
    """Each unit succeeded in its savepoint, but COMMIT itself fails (a deferred foreign key, checked
    only then): no caller is acknowledged and nothing of the batch is written."""
    ids = [world.new_case().id or 0 for _ in range(2)]
    world.session.close()
    before = {i: snapshot(world.session, i) for i in ids}
    world.session.close()

    def dangling(session: Session) -> None:
        session.execute(text("PRAGMA defer_foreign_keys = ON"))
        session.execute(text("UPDATE request SET agency_id = 999999 WHERE id = :id"), {"id": ids[1]})

    results = _submit_all(
        groupcommit.GroupCommitter(engine), [_perform(world, ids[0], "view_identity"), dangling]
    )
    assert all(isinstance(r, IntegrityError) for r in results), results
    assert {i: snapshot(world.session, i) for i in ids} == before
    assert groupcommit.GroupCommitter(engine).run(_perform(world, ids[0], "view_identity")).version == 2


def _committed_notes(engine: Engine, case_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM request WHERE id = :id AND document_no_sought = 'x'"),
                {"id": case_id},
            ).scalar_one()
        )


def _copy(engine: Engine, target: Path) -> Engine:
    """A second database holding exactly what ``engine``'s holds now."""
    source = sqlite3.connect(engine.url.database or "")
    copy = sqlite3.connect(target)
    source.backup(copy)
    copy.close()
    source.close()
    return make_engine(f"sqlite:///{target}")


STEPS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("clerk", "view_identity", None),
    ("clerk", "request_supplement", {"items": ["请说明所需信息的时间范围"]}),
    ("clerk", "view_identity", None),
]


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return [
            conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            for table in ("request", "evidence_event", "letter")
        ]


@SQLITE_ONLY
def test_a_batch_of_one_writes_what_the_direct_path_writes(
    world: World, engine: Engine, tmp_path: Path
) -> None:
    case_id = world.new_case().id or 0
    world.session.close()
    other = _copy(engine, tmp_path / "other.db")
    try:
        for (actor, action, facts), minute in zip(STEPS, range(len(STEPS)), strict=True):
            at = AT + dt.timedelta(minutes=minute)
            with Session(engine, expire_on_commit=False) as s:
                service.perform(
                    session=s, case_id=case_id, actor=world[actor], action=action, facts=facts, now=at
                )
            with Session(other, expire_on_commit=False) as s:
                case = service.perform_grouped(
                    session=s, case_id=case_id, actor=world[actor], action=action, facts=facts, now=at
                )
                assert s.get(Case, case_id) is case  # the caller's own object, as committed
                assert case.version == minute + 2
        assert groupcommit.committer_for(Session(other)) is not None
        assert _rows(other) == _rows(engine)
        assert len(_rows(engine)[2]) == 2  # the receipt and the supplement notice, numbered alike
    finally:
        other.dispose()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_never_groups(world: World) -> None:
    assert groupcommit.committer_for(world.session) is None
    case = world.new_case()
    done = service.perform_grouped(
        session=world.session, case_id=case.id or 0, actor=world["clerk"], action="view_identity", now=AT
    )
    assert done is case and done.version == 2


@SQLITE_ONLY
def test_the_setting_turns_it_off(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert groupcommit.committer_for(world.session) is not None
    monkeypatch.setenv("CASEFLOW_GROUP_COMMIT", "0")
    get_settings.cache_clear()
    try:
        assert groupcommit.committer_for(world.session) is None
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


CLIENT = """
import os, sys, threading
from sqlmodel import Session, select
from caseflow import service
from caseflow.db import make_engine
from caseflow.models import User

url, acks, ids = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3].split(",")]
engine = make_engine(url)
with Session(engine) as s:
    actor = service.Actor.of(s, s.exec(select(User).where(User.username == "clerk")).one())
out = os.open(acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
lock = threading.Lock()

def client(case_id):
    with Session(engine, expire_on_commit=False) as s:
        while True:
            case = service.perform_grouped(session=s, case_id=case_id, actor=actor, action="view_identity")
            with lock:
                os.write(out, f"{case_id} {case.version}\\n".encode())
                os.fsync(out)

for i in ids:
    threading.Thread(target=client, args=(i,), daemon=True).start()
threading.Event().wait()
"""


@SQLITE_ONLY
def test_nothing_acknowledged_is_lost_when_killed(world: World, engine: Engine, tmp_path: Path) -> None:
    ids = [world.new_case().id or 0 for _ in range(8)]
    world.session.close()
    acks = tmp_path / "acks"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CASEFLOW_GROUP_COMMIT": "1"}
    # Two processes (as two uvicorn workers would be), each with its writer, four clients each.
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(engine.url), str(acks), ",".join(map(str, half))], env=env
        )
        for half in (ids[:4], ids[4:])
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and all(p.poll() is None for p in procs):
            lines = acks.read_text().splitlines() if acks.exists() else []
            if len(lines) >= 100 and len({line.split()[0] for line in lines}) == len(ids):  # every client
                break
            time.sleep(0.02)
        assert all(p.poll() is None for p in procs), "the clients ended by themselves"
        for p in procs:
            os.kill(p.pid, signal.SIGKILL)
    finally:
        for p in procs:
            p.kill()
            p.wait(30)
    engine.dispose()
    acked: dict[int, int] = {}
    for line in acks.read_text().splitlines():
        case_id, version = map(int, line.split())
        acked[case_id] = max(acked.get(case_id, 0), version)
    assert len(acked) == 8
    with Session(make_engine(str(engine.url))) as s:
        versions: dict[Any, Any] = dict(s.execute(select(Case.id, Case.version)).all())
        latest = select(EvidenceEvent.case_id, func.max(EvidenceEvent.seq))
        counts: dict[Any, Any] = dict(s.execute(latest.group_by(col(EvidenceEvent.case_id))).all())
        for case_id, version in acked.items():
            assert versions[case_id] >= version  # at least every acknowledged transition
        assert all(counts[c] >= v for c, v in acked.items())
        assert verify_all(s) == (8, None)
