"""What a scheduled job is, and the record of each run (table ``job_run``).

A job is a function ``(engine, as_of) -> JobResult`` that is idempotent: it acts on what the
database says is due as of that moment, and what it has done is no longer due. Each run is
recorded before it starts and when it ends, with the requests it had to skip, so that

- runs missed while no instance was up are found and caught up at start (``missed``);
- a run that died with its process is seen as ``crashed`` (``mark_crashed``);
- skipped requests are counted on the supervisor dashboard (``latest_runs``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI, now
from caseflow.models import JobRun

log = logging.getLogger("caseflow.scheduled")


@dataclass
class Failure:
    """A request a job could not handle this time (logged, skipped, retried on the next run)."""

    tracking_no: str
    action: str
    error: str
    agency_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "tracking_no": self.tracking_no,
            "action": self.action,
            "error": self.error,
            "agency_id": self.agency_id,
        }


@dataclass
class JobResult:
    done: list[str] = field(default_factory=list)  # "TRACKING what", one line per thing done
    failed: list[Failure] = field(default_factory=list)


def skipped(session: Session, case_id: int, action: str, exc: Exception) -> Failure:
    """Record that request ``case_id`` made ``action`` fail: logged with its tracking number."""
    from caseflow.errors import CaseflowError
    from caseflow.models import Case

    session.rollback()
    message = exc.message if isinstance(exc, CaseflowError) else f"{type(exc).__name__}: {exc}"
    row = session.get(Case, case_id)
    name = row.tracking_no if row else f"#{case_id}"
    if isinstance(exc, CaseflowError):
        log.warning("%s on %s skipped: %s", action, name, message)
    else:
        log.exception("%s on %s skipped", action, name)
    return Failure(name, action, message, row.agency_id if row else None)


JobFunc = Callable[[Engine, dt.datetime], JobResult]


@dataclass(frozen=True)
class Job:
    name: str
    title: str
    func: JobFunc
    #: Runs every ``every``; or once a day at ``daily_at`` (Asia/Shanghai).
    every: dt.timedelta | None = None
    daily_at: dt.time | None = None

    def due_after(self, last: dt.datetime | None, as_of: dt.datetime) -> bool:
        """Whether a run is owed at ``as_of`` when the last finished run acted as of ``last``."""
        if last is None:
            return True
        if self.every is not None:
            return last + self.every <= as_of
        assert self.daily_at is not None
        local = as_of.astimezone(SHANGHAI)
        slot = dt.datetime.combine(local.date(), self.daily_at, tzinfo=SHANGHAI)
        if local < slot:
            slot -= dt.timedelta(days=1)
        return last < slot


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_job(
    engine: Engine, job: Job, as_of: dt.datetime, *, instance: str | None = None
) -> tuple[JobRun, JobResult]:
    """Run ``job`` once as of ``as_of`` and record the run; an exception ends the run, not the caller."""
    result = JobResult()
    with Session(engine, expire_on_commit=False) as session:
        run = JobRun(job=job.name, instance=instance or instance_name(), as_of=as_of, started_at=now())
        session.add(run)
        session.commit()
        try:
            result = job.func(engine, as_of)
        except Exception as exc:  # the job as a whole failed (e.g. the database went away)
            log.exception("job %s failed", job.name)
            run.status = "failed"
            run.failures = [{"tracking_no": "", "action": job.name, "error": f"{type(exc).__name__}: {exc}"}]
        else:
            run.status = "errors" if result.failed else "ok"
            run.done = len(result.done)
            run.failed = len(result.failed)
            run.failures = [f.as_json() for f in result.failed]
        run.finished_at = now()
        session.add(run)
        session.commit()
    return run, result


def last_finished(session: Session, job: str) -> JobRun | None:
    return session.exec(
        select(JobRun)
        .where(col(JobRun.job) == job, col(JobRun.status).in_(["ok", "errors"]))
        .order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc())
        .limit(1)
    ).first()


def missed(engine: Engine, jobs: Sequence[Job], as_of: dt.datetime) -> list[Job]:
    """The jobs owed a run at ``as_of`` by the job-run table (never run, or their slot passed)."""
    owed: list[Job] = []
    with Session(engine) as session:
        for job in jobs:
            last = last_finished(session, job.name)
            if job.due_after(last.as_of if last else None, as_of):
                owed.append(job)
    return owed


def mark_crashed(engine: Engine, *, instance: str) -> int:
    """Runs left ``running`` by another process: the leader lock says that process is gone."""
    with Session(engine) as session:
        result = session.execute(
            update(JobRun)
            .where(col(JobRun.status) == "running", col(JobRun.instance) != instance)
            .values(status="crashed", finished_at=now())
        )
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def latest_runs(session: Session) -> list[JobRun]:
    """The latest run of each job (the dashboard shows them and the requests they skipped)."""
    newest = (
        select(col(JobRun.job), func.max(col(JobRun.id)).label("id")).group_by(col(JobRun.job)).subquery()
    )
    return list(
        session.exec(select(JobRun).join(newest, col(JobRun.id) == newest.c.id).order_by(col(JobRun.job)))
    )
