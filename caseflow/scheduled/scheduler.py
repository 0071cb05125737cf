"""Running the jobs on time with APScheduler, in ``caseflow serve`` or ``caseflow worker``.

Every instance schedules every job, one at a time (a single worker thread). Before a job runs the
instance makes sure it leads (``leader.py``); followers skip. When an instance becomes leader it
marks runs left ``running`` by a dead leader as crashed, and catches up every job that the job-run
table says is owed (missed while no instance was up) before the regular schedule resumes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from caseflow.dates import SHANGHAI, now
from caseflow.scheduled.jobs import JOBS
from caseflow.scheduled.leader import LeaderLock, leader_for
from caseflow.scheduled.runs import Job, instance_name, mark_crashed, missed, run_job

log = logging.getLogger("caseflow.scheduled")

#: How often a follower asks for the leader lock (and the leader checks it still has it).
LEADERSHIP_TICK = dt.timedelta(seconds=15)


class Scheduler:
    def __init__(
        self,
        engine: Engine,
        *,
        instance: str | None = None,
        clock: Callable[[], dt.datetime] = now,
        leader: LeaderLock | None = None,
    ) -> None:
        self.engine = engine
        self.instance = instance or instance_name()
        self.clock = clock
        self.leader = leader or leader_for(engine)
        self.leading = False
        self._lock = threading.Lock()
        self.aps = BackgroundScheduler(
            timezone=SHANGHAI,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        start = self.clock()
        self.aps.add_job(
            self.lead,
            IntervalTrigger(seconds=LEADERSHIP_TICK.total_seconds()),
            id="leadership",
            next_run_time=start,
        )
        for job in JOBS.values():
            trigger = (
                CronTrigger(hour=job.daily_at.hour, minute=job.daily_at.minute, timezone=SHANGHAI)
                if job.daily_at is not None
                else IntervalTrigger(seconds=job.every.total_seconds() if job.every else 600)
            )
            self.aps.add_job(self.run, trigger, args=[job], id=job.name)
        self.aps.start()
        log.info("scheduler started on %s", self.instance)

    def shutdown(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=True)
        with self._lock:
            self.leader.release()
            self.leading = False

    def lead(self) -> bool:
        """Whether this instance leads; on becoming leader, recover and catch up."""
        with self._lock:
            try:
                if self.leader.held():
                    return True
                self.leading = False
                if not self.leader.try_acquire():
                    return False
            except Exception:  # the database is unreachable: follow, and ask again on the next tick
                log.exception("scheduler: cannot reach the leader lock")
                return False
            self.leading = True
            log.info("scheduler: %s leads", self.instance)
            crashed = mark_crashed(self.engine, instance=self.instance)
            if crashed:
                log.warning("scheduler: %d runs of a previous leader had crashed", crashed)
            for job in missed(self.engine, list(JOBS.values()), self.clock()):
                log.info("scheduler: catching up %s", job.name)
                run_job(self.engine, job, self.clock(), instance=self.instance)
            return True

    def run(self, job: Job) -> None:
        if not self.lead():
            return
        with self._lock:
            run_job(self.engine, job, self.clock(), instance=self.instance)
