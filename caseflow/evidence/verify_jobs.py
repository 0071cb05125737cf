"""Checking every request's evidence as a background job, with its progress in the database.

``caseflow verify`` checks everything in one go; an office with many thousand requests cannot wait
for that inside one web request. A job (table ``verify_job``) is started by a person (``start``)
and run by a worker thread (``launch`` -> ``run``) in batches of requests; after each batch the row
records how many are checked, the last request checked, the problems found so far and a heartbeat.
So any process can show the progress ("已核验 1234/5000"), and

- only one job runs at a time: a unique partial index on ``status = 'running'``; a second start
  while one runs answers the running one;
- a job whose worker died (its process ended) stops beating: the next look (``recover``) marks it
  ``interrupted``, and ``resume`` continues it from the request after ``last_id``.

The checks are those of ``dbcheck.check_database``, one batch of tracking numbers at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from caseflow.calendar import WorkingCalendar
from caseflow.dates import now
from caseflow.db import begin_write
from caseflow.evidence.chain import Problem
from caseflow.evidence.dbcheck import check_database
from caseflow.evidence.dbexact import Report
from caseflow.evidence.replay import Finding
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, VerifyJob

log = logging.getLogger("caseflow.evidence")

#: Requests checked per batch (one heartbeat each).
BATCH = 100
#: A running job whose heartbeat is older than this has lost its worker.
STALE = dt.timedelta(minutes=2)
#: The problems kept on the job's row (all are counted).
KEEP = 200

STATUS_NAMES = {
    "running": "正在核验",
    "done": "核验完成",
    "interrupted": "已中断（执行核验的进程已停止），可继续核验",
    "failed": "核验失败",
}


def describe(item: Problem | Finding) -> str:
    """One problem as a line in Chinese: the request, where in its chain, what is wrong."""
    if isinstance(item, Finding):
        return str(item)
    where = f"第{item.seq}条证据记录" if item.seq is not None else "链头"
    return f"{item.tracking_no} {where}：证据链断裂（{item.message}）"


def recover(engine: Engine, moment: dt.datetime | None = None) -> int:
    """Mark running jobs whose worker stopped beating as interrupted; how many."""
    moment = moment or now()
    with Session(engine) as session:
        begin_write(session)
        result = session.execute(
            update(VerifyJob)
            .where(col(VerifyJob.status) == "running", col(VerifyJob.heartbeat_at) < moment - STALE)
            .values(status="interrupted", error="执行核验的进程已停止，核验未完成，可从中断处继续")
        )
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def latest(engine: Engine) -> VerifyJob | None:
    """The newest job (after marking lost ones interrupted)."""
    recover(engine)
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(VerifyJob).order_by(col(VerifyJob.id).desc()).limit(1)).first()


def running(session: Session) -> VerifyJob | None:
    return session.exec(select(VerifyJob).where(col(VerifyJob.status) == "running")).first()


def start(engine: Engine, user_id: int) -> tuple[VerifyJob, bool]:
    """A new job (True), or the one already running (False). Its own transactions: a caller's open
    read (an SQLite snapshot) never stands in the way of the write."""
    recover(engine)
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        current = running(session)
        if current is not None:
            return current, False
        total = session.exec(select(func.count()).select_from(Case)).one()
        moment = now()
        job = VerifyJob(started_by=user_id, started_at=moment, heartbeat_at=moment, total=int(total))
        session.add(job)
        try:
            session.commit()
        except IntegrityError:  # another process started one in between
            session.rollback()
            current = running(session)
            if current is None:
                raise
            return current, False
        session.refresh(job)
        return job, True


def resume(engine: Engine, job_id: int) -> tuple[VerifyJob | None, bool]:
    """Continue an interrupted job from where it stopped (True), or the job running instead (False)."""
    recover(engine)
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        current = running(session)
        if current is not None:
            return current, False
        job = session.get(VerifyJob, job_id)
        if job is None or job.status != "interrupted":
            return job, False
        job.status, job.heartbeat_at, job.error = "running", now(), ""
        job.total = max(job.total, int(session.exec(select(func.count()).select_from(Case)).one()))
        session.add(job)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return running(session), False
        session.refresh(job)
        return job, True


@dataclass(slots=True)
class BatchResult:
    requests: int = 0
    events: int = 0
    lines: list[str] = field(default_factory=list)


def run(
    engine: Engine,
    job_id: int,
    *,
    store: DocumentStore | None = None,
    calendar: WorkingCalendar | None = None,
    batch: int = BATCH,
    after_batch: Callable[[VerifyJob], None] | None = None,
) -> VerifyJob | None:
    """Check the job's requests batch by batch from ``last_id``, recording progress after each."""
    try:
        while True:
            with Session(engine, expire_on_commit=False) as session:
                job = session.get(VerifyJob, job_id)
                if job is None or job.status != "running":  # marked interrupted elsewhere: stop
                    return job
                rows = session.exec(
                    select(col(Case.id), col(Case.tracking_no))
                    .where(col(Case.id) > job.last_id)
                    .order_by(col(Case.id))
                    .limit(batch)
                ).all()
                if not rows:
                    begin_write(session)  # ends the read; the write lock before the job is re-read
                    job = session.get(VerifyJob, job_id, populate_existing=True)
                    if job is None or job.status != "running":
                        return job
                    job.status, job.finished_at = "done", now()
                    job.total = job.done
                    job.heartbeat_at = job.finished_at
                    session.add(job)
                    session.commit()
                    return job
                first = job.last_id
            # the batch's requests as streams (``dbstream``), by their range of ids
            report = check_database(
                engine, id_range=(first, int(rows[-1][0] or 0)), store=store, calendar=calendar
            )
            with Session(engine, expire_on_commit=False) as session:
                begin_write(session)  # read-then-write: the write lock first (no SQLITE_BUSY_SNAPSHOT)
                job = session.get(VerifyJob, job_id)
                if job is None or job.status != "running":
                    return job
                _record(job, report, last_id=int(rows[-1][0] or 0))
                session.add(job)
                session.commit()
            if after_batch is not None:
                after_batch(job)
    except Exception as exc:  # the database went away, a file could not be read...
        log.exception("verify job %s failed", job_id)
        try:
            with Session(engine, expire_on_commit=False) as session:
                begin_write(session)
                job = session.get(VerifyJob, job_id)
                if job is not None and job.status == "running":
                    job.status, job.finished_at = "failed", now()
                    job.error = f"核验中出错，未能完成：{exc.__class__.__name__}"
                    session.add(job)
                    session.commit()
                return job
        except Exception:  # not even the failure could be written (the database is unreachable or
            # locked): the job stays "running" without a heartbeat and is marked interrupted, then
            # resumable, by the next look at it (``recover``); the worker thread ends quietly.
            log.exception("verify job %s: its failure could not be recorded", job_id)
            return None


def _record(job: VerifyJob, report: Report, *, last_id: int) -> None:
    problems: list[Problem | Finding] = [*report.broken, *report.findings]
    job.done += report.requests
    job.total = max(job.total, job.done)
    job.events += report.events
    job.last_id = last_id
    job.problems += len(problems)
    room = KEEP - len(job.findings)
    if room > 0 and problems:
        job.findings = [*job.findings, *(describe(p) for p in problems[:room])]
    job.heartbeat_at = now()


def launch(engine: Engine, job_id: int) -> threading.Thread:
    """Run the job in a worker thread of this process."""
    worker = threading.Thread(target=run, args=(engine, job_id), name=f"verify-job-{job_id}", daemon=True)
    worker.start()
    return worker


@dataclass(slots=True)
class RequestCheck:
    """The evidence check of one request, as its page shows it."""

    tracking_no: str
    intact: bool
    events: int
    documents: int
    letters: int
    lines: list[str]
    checked_at: dt.datetime


def check_request(
    engine: Engine,
    tracking_no: str,
    *,
    store: DocumentStore | None = None,
    calendar: WorkingCalendar | None = None,
) -> RequestCheck:
    """Every check ``caseflow verify --case`` makes, for one request."""
    report = check_database(engine, [tracking_no], store=store, calendar=calendar)
    problems: list[Problem | Finding] = [*report.broken, *report.findings]
    return RequestCheck(
        tracking_no=tracking_no,
        intact=not problems,
        events=report.events,
        documents=report.documents,
        letters=report.letters,
        lines=[describe(p) for p in problems],
        checked_at=now(),
    )
