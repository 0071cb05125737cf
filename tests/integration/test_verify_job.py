"""Checking every request's evidence as a background job: its lifecycle, its progress as another
session reads it, the problems it finds after a row is tampered with, one job at a time, and
recovery when its worker died. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from caseflow.dates import now
from caseflow.evidence import verify_jobs
from caseflow.models import User, VerifyJob
from tests.integration.conftest import World

#: A resident identity number with its GB 11643 check digit (intake checks it).
ID_NUMBER = "110101199001011237"


def _auditor_id(session: Session) -> int:
    user = session.exec(User.__table__.select().where(User.__table__.c.username == "auditor")).first()  # type: ignore[attr-defined]
    assert user is not None
    return int(user.id)


def test_job_checks_every_request_and_records_progress(engine: Engine, world: World) -> None:
    cases = [world.new_case(id_number=ID_NUMBER) for _ in range(3)]
    world.act(cases[0], "withdraw", {"reason": "申请人撤回"})
    session = world.session
    job, started = verify_jobs.start(engine, _auditor_id(session))
    assert started and job.status == "running" and job.total == 3 and job.done == 0
    seen: list[tuple[int, int, str]] = []

    def look(_: VerifyJob) -> None:  # what another process polling the table sees between batches
        with Session(engine) as other:
            row = other.get(VerifyJob, job.id)
            assert row is not None
            seen.append((row.done, row.total, row.status))

    assert job.id is not None
    done = verify_jobs.run(engine, job.id, batch=1, after_batch=look)
    assert seen == [(1, 3, "running"), (2, 3, "running"), (3, 3, "running")]
    assert done is not None and done.status == "done" and done.finished_at is not None
    assert (done.done, done.total, done.problems, done.findings) == (3, 3, 0, [])
    assert done.events >= 4  # three registrations and a withdrawal


def test_job_names_a_tampered_request_in_chinese(engine: Engine, world: World) -> None:
    intact, tampered = world.new_case(id_number=ID_NUMBER), world.new_case(id_number=ID_NUMBER)
    session = world.session
    with engine.begin() as conn:  # someone edits the row behind the application's back
        conn.execute(text("UPDATE request SET state = 'closed' WHERE id = :id"), {"id": tampered.id})
    job, _ = verify_jobs.start(engine, _auditor_id(session))
    assert job.id is not None
    done = verify_jobs.run(engine, job.id)
    assert done is not None and done.status == "done" and done.done == 2
    assert done.problems >= 1
    assert all(tampered.tracking_no in line for line in done.findings)
    assert not any(intact.tracking_no in line for line in done.findings)
    assert any("证据链记载为" in line for line in done.findings)
    # the same problem from the request's own check (the case page's button)
    one = verify_jobs.check_request(engine, tampered.tracking_no)
    assert not one.intact and one.lines and "证据链记载为" in one.lines[0]
    assert verify_jobs.check_request(engine, intact.tracking_no).intact


def test_second_start_answers_the_running_job(engine: Engine, world: World) -> None:
    world.new_case(id_number=ID_NUMBER)
    session = world.session
    first, started = verify_jobs.start(engine, _auditor_id(session))
    again, started_again = verify_jobs.start(engine, _auditor_id(session))
    assert started and not started_again and again.id == first.id
    # the database itself refuses a second running job (another process racing the first)
    with Session(engine) as other:
        other.add(VerifyJob(started_by=_auditor_id(session), status="running"))
        try:
            other.commit()
        except Exception as exc:  # noqa: BLE001 - IntegrityError from either driver
            assert "ux_verify_job_running" in str(exc) or "UNIQUE" in str(exc).upper()
        else:
            raise AssertionError("a second running job was accepted")


def test_a_job_whose_worker_died_is_interrupted_and_resumes(engine: Engine, world: World) -> None:
    cases = [world.new_case(id_number=ID_NUMBER) for _ in range(3)]
    session = world.session
    job, _ = verify_jobs.start(engine, _auditor_id(session))
    assert job.id is not None

    class Died(BaseException):  # not caught by the worker: as when its process ends
        pass

    def die(row: VerifyJob) -> None:
        if row.done == 1:
            raise Died  # the worker stops after its first batch, as if its process ended

    try:
        verify_jobs.run(engine, job.id, batch=1, after_batch=die)
    except Died:
        pass
    with Session(engine) as other:
        row = other.get(VerifyJob, job.id)
        assert row is not None and row.status == "running" and row.done == 1
        assert row.last_id == cases[0].id
    # still beating a moment ago: not taken for dead
    assert verify_jobs.recover(engine, now()) == 0
    # no heartbeat for longer than STALE: the next look marks it interrupted
    later = now() + verify_jobs.STALE + dt.timedelta(seconds=1)
    assert verify_jobs.recover(engine, later) == 1
    with Session(engine) as other:
        row = other.get(VerifyJob, job.id)
        assert row is not None
        assert row.status == "interrupted" and "进程已停止" in row.error
    # a new start is possible, but resuming continues the same job from the second request
    resumed, ok = verify_jobs.resume(engine, job.id)
    assert ok and resumed is not None and resumed.status == "running"
    done = verify_jobs.run(engine, job.id, batch=1)
    assert done is not None and done.status == "done" and (done.done, done.total) == (3, 3)
    assert done.error == ""


def test_a_failing_check_marks_the_job_failed(engine: Engine, world: World, monkeypatch: object) -> None:
    world.new_case(id_number=ID_NUMBER)
    session = world.session
    job, _ = verify_jobs.start(engine, _auditor_id(session))
    assert job.id is not None

    def broken(*args: object, **kwargs: object) -> object:
        raise OSError("disk gone")

    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(verify_jobs, "check_database", broken)
    done = verify_jobs.run(engine, job.id)
    assert (
        done is not None and done.status == "failed" and "OSError" in done.error and "未能完成" in done.error
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_job_that_cannot_write_at_all_ends_quietly_and_is_recovered(engine: Engine, world: World) -> None:
    """Another writer holds SQLite's write lock for longer than the worker waits: its progress cannot
    be written, nor its failure. The worker thread ends without an unhandled exception; the job,
    left running without a heartbeat, is marked interrupted by the next look and can be resumed."""
    world.new_case(id_number=ID_NUMBER)
    job, _ = verify_jobs.start(engine, _auditor_id(world.session))
    assert job.id is not None
    impatient = create_engine(engine.url, connect_args={"timeout": 0.2})  # waits 0.2 s for the lock
    holder = engine.raw_connection()
    try:
        holder.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
        worker = threading.Thread(target=verify_jobs.run, args=(impatient, job.id))
        failures: list[BaseException] = []
        previous = threading.excepthook
        threading.excepthook = lambda args: failures.append(args.exc_value or Exception())
        try:
            worker.start()
            worker.join(timeout=30)
        finally:
            threading.excepthook = previous
        assert not worker.is_alive() and failures == []
    finally:
        holder.rollback()
        holder.close()
        impatient.dispose()
    with Session(engine) as other:
        row = other.get(VerifyJob, job.id)
        assert row is not None and row.status == "running" and row.done == 0
    later = now() + verify_jobs.STALE + dt.timedelta(seconds=1)
    assert verify_jobs.recover(engine, later) == 1
    resumed, ok = verify_jobs.resume(engine, job.id)
    assert ok and resumed is not None
    done = verify_jobs.run(engine, job.id)
    assert done is not None and done.status == "done" and done.done == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_progress_is_written_while_another_writer_commits(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer commits between the worker's read of its job row and its progress write. A
    deferred SQLite transaction would then fail at once ("database is locked", a stale snapshot, no
    busy wait); the worker takes the write lock before it reads, so the other writer waits instead
    and both writes land."""
    cases = [world.new_case(id_number=ID_NUMBER) for _ in range(2)]
    job, _ = verify_jobs.start(engine, _auditor_id(world.session))
    assert job.id is not None
    record = verify_jobs._record
    others: list[threading.Thread] = []

    def write_elsewhere() -> None:
        with engine.begin() as conn:
            touch = text("UPDATE request SET updated_at = updated_at WHERE id = :id")
            conn.execute(touch, {"id": cases[0].id})

    def record_after_another_commit(*args: object, **kwargs: object) -> None:
        other = threading.Thread(target=write_elsewhere)
        other.start()
        other.join(timeout=0.5)  # commits now unless the worker holds the write lock
        others.append(other)
        record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(verify_jobs, "_record", record_after_another_commit)
    done = verify_jobs.run(engine, job.id, batch=1)
    for other in others:
        other.join(timeout=30)
        assert not other.is_alive()
    assert done is not None and done.status == "done" and done.done == 2
