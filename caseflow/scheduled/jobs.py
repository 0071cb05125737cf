"""The scheduled jobs, in the order ``caseflow sweep`` runs them."""

from __future__ import annotations

import datetime as dt

from caseflow.scheduled.applicant_mail import notify_applicants
from caseflow.scheduled.calendar_update import recompute_provisional
from caseflow.scheduled.checkpoints import make_checkpoint
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
        Job("calendar", "按新放假安排重算暂定期限", recompute_provisional, every=5 * _MINUTES),
        Job("lapses", "补正、缴费、征求意见期限届满", sweep_lapses, every=10 * _MINUTES),
        Job("reminders", "期限提醒与逾期督办", remind, every=10 * _MINUTES),
        Job("digest", "每日督办汇总", digest, daily_at=dt.time(8, 30)),
        # Online applications waiting past the next working day (issue 18 / B), before mail.
        Job("portal_reminders", "网上申请超过下一个工作日未确认的提醒", remind_waiting, every=10 * _MINUTES),
        # Before mail, so that the auditors' copies of a new checkpoint go out in the same sweep.
        Job("checkpoint", "签发证据链检查点", make_checkpoint, daily_at=dt.time(2, 0)),
        Job("mail", "发送提醒邮件", send_mail, every=2 * _MINUTES),
        # Applicants: the receipt, letters and what is awaited, by e-mail and SMS (issue 18 / E).
        Job("applicant_mail", "通知申请人（邮件、短信）", notify_applicants, every=2 * _MINUTES),
        # A letter whose PDF was not rendered after its commit (the process died, the render failed).
        Job("letter_pdfs", "生成尚未生成的文书PDF文本", render_pending_pdfs, every=5 * _MINUTES),
        # Before orphans, so that the bytes of discarded pending uploads can go in the same sweep.
        Job("pending", "清理超过24小时未登记的上传文件", discard_abandoned, every=60 * _MINUTES),
        Job("orphans", "清理无引用的存储文件", sweep_store, daily_at=dt.time(3, 30)),
    )
}
