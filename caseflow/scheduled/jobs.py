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
from caseflow.scheduled.runs import Job

_MINUTES = dt.timedelta(minutes=1)

JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        # A loaded notice first, so that lapses and reminders see the new deadlines.
        Job("calendar", JOB_TITLES["calendar"], recompute_provisional, every=5 * _MINUTES),
        Job("lapses", JOB_TITLES["lapses"], sweep_lapses, every=10 * _MINUTES),
        Job("reminders", JOB_TITLES["reminders"], remind, every=10 * _MINUTES),
        Job("digest", JOB_TITLES["digest"], digest, daily_at=dt.time(8, 30)),
        # Online applications waiting past the next working day (issue 18 / B), before mail.
        Job("portal_reminders", JOB_TITLES["portal_reminders"], remind_waiting, every=10 * _MINUTES),
        # Before mail, so that the auditors' copies of a new checkpoint go out in the same sweep.
        Job("checkpoint", JOB_TITLES["checkpoint"], make_checkpoint, daily_at=dt.time(2, 0)),
        Job("mail", JOB_TITLES["mail"], send_mail, every=2 * _MINUTES),
        # Applicants: the receipt, letters and what is awaited, by e-mail and SMS (issue 18 / E).
        Job("applicant_mail", JOB_TITLES["applicant_mail"], notify_applicants, every=2 * _MINUTES),
        # A letter whose PDF was not rendered after its commit (the process died, the render failed).
        Job("letter_pdfs", JOB_TITLES["letter_pdfs"], render_pending_pdfs, every=5 * _MINUTES),
        # Before orphans, so that the bytes of discarded pending uploads can go in the same sweep.
        Job("pending", JOB_TITLES["pending"], discard_abandoned, every=60 * _MINUTES),
        Job("orphans", JOB_TITLES["orphans"], sweep_store, daily_at=dt.time(3, 30)),
    )
}
# The same jobs in the same order as their names (the status and the digest list those).
assert list(JOBS) == list(JOB_TITLES)
