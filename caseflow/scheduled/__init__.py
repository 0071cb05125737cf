"""Time-driven work: lapses, reminders, escalation, calendar updates and mail (see ``jobs.JOBS``).

Every job is idempotent and handles each request in its own transaction; ``run_all`` runs each once
(``caseflow sweep``), ``scheduler.Scheduler`` runs them on time in one leading instance.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from caseflow.models import JobRun
from caseflow.scheduled.jobs import JOBS
from caseflow.scheduled.lapses import sweep_lapses
from caseflow.scheduled.runs import JobResult, run_job

__all__ = ["JOBS", "run_all", "sweep_lapses"]


def run_all(
    engine: Engine, as_of: dt.datetime, *, instance: str | None = None
) -> list[tuple[JobRun, JobResult]]:
    """Run every job once as of ``as_of`` (recorded in the job-run table like scheduled runs)."""
    return [run_job(engine, job, as_of, instance=instance) for job in JOBS.values()]
