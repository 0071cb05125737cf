"""The scheduled jobs, in the order ``caseflow sweep`` runs them (their names and titles: ``job_names``)."""

from __future__ import annotations

import datetime as dt

from caseflow.scheduled.applicant_mail import notify_applicants
from caseflow.scheduled.calendar_update import recompute_provisional
from caseflow.scheduled.checkpoints import make_checkpoint
from caseflow.scheduled.job_names import JOB_TITLES
from caseflow.scheduled.lapses import sweep_lapses
from caseflow.scheduled.letter_pdfs import render_pending_pdfs
from caseflow.scheduled.mail import send_mail
from caseflow.scheduled.orphans import sweep_store
from caseflow.scheduled.pending import discard_abandoned
from caseflow.scheduled.portal_reminders import remind_waiting
from caseflow.scheduled.reminders import digest, remind
from caseflow.scheduled.runs import Job, JobFunc

_MINUTES = dt.timedelta(minutes=1)


def _job(
    name: str, func: JobFunc, *, every: dt.timedelta | None = None, daily_at: dt.time | None = None
) -> Job:
    """A job under its name, with the title ``job_names`` gives it."""
    return Job(name, JOB_TITLES[name], func, every=every, daily_at=daily_at)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        # A loaded notice first, so that lapses and reminders see the new deadlines.
        _job("calendar", recompute_provisional, every=5 * _MINUTES),
        _job("lapses", sweep_lapses, every=10 * _MINUTES),
        _job("reminders", remind, every=10 * _MINUTES),
        _job("digest", digest, daily_at=dt.time(8, 30)),
        # Online applications waiting past the next working day (issue 18 / B), before mail.
        _job("portal_reminders", remind_waiting, every=10 * _MINUTES),
        # Before mail, so that the auditors' copies of a new checkpoint go out in the same sweep.
        _job("checkpoint", make_checkpoint, daily_at=dt.time(2, 0)),
        _job("mail", send_mail, every=2 * _MINUTES),
        # Applicants: the receipt, letters and what is awaited, by e-mail and SMS (issue 18 / E).
        _job("applicant_mail", notify_applicants, every=2 * _MINUTES),
        # A letter whose PDF was not rendered after its commit (the process died, the render failed).
        _job("letter_pdfs", render_pending_pdfs, every=5 * _MINUTES),
        # Before orphans, so that the bytes of discarded pending uploads can go in the same sweep.
        _job("pending", discard_abandoned, every=60 * _MINUTES),
        _job("orphans", sweep_store, daily_at=dt.time(3, 30)),
    )
}
# The same jobs in the same order as their names (the status and the digest list those); checked
# at import, also under ``python -O``.
if list(JOBS) != list(JOB_TITLES):
    raise RuntimeError(f"scheduled jobs {list(JOBS)} differ from job_names {list(JOB_TITLES)}")
