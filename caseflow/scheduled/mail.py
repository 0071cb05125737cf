"""Mailing notifications (when ``CASEFLOW_SMTP_HOST`` is set): at most once per notification.

Each notification is claimed in its own committed transaction (``mail_claimed_at``, taken only if
still unclaimed) before it is handed to the SMTP server, and marked ``mailed_at`` after. A crash
between the two leaves it claimed and unmarked: it is never sent twice, and the page shows it as
"sending uncertain". A message the server refuses outright (a 4xx/5xx answer) is released to be
tried on the next run; the Message-ID is derived from the notification, so a receiving system can
drop a duplicate too.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from caseflow.dates import SHANGHAI
from caseflow.models import Notification, User
from caseflow.scheduled.links import mail_body
from caseflow.scheduled.runs import Failure, JobResult
from caseflow.settings import Settings, get_settings

#: Notifications older than this are not mailed (SMTP configured later must not flood inboxes).
MAIL_WITHIN = dt.timedelta(days=7)


def _message(settings: Settings, row: Notification, user: User) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"【依申请公开】{row.title}"
    message["From"] = settings.smtp_from
    message["To"] = formataddr((user.display_name, user.email))
    domain = settings.smtp_from.rpartition("@")[2] or "caseflow"
    message["Message-ID"] = f"<notification-{row.id}-{row.dedupe_key.replace(':', '.')}@{domain}>"
    body = mail_body(row.body, settings.base_url)  # our own paths, made absolute with CASEFLOW_BASE_URL
    message.set_content(f"{user.display_name}：\n\n{body}\n\n（本邮件由依申请公开办理系统自动发送）")
    return message


def _claim(engine: Engine, notification_id: int, moment: dt.datetime) -> bool:
    with Session(engine) as session:
        claimed = session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id, col(Notification.mail_claimed_at).is_(None))
            .values(mail_claimed_at=moment)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        return bool(claimed)


def _finish(
    engine: Engine, notification_id: int, moment: dt.datetime | None, error: str, *, release: bool
) -> None:
    with Session(engine) as session:
        values: dict[str, object] = {"mailed_at": moment, "mail_error": error[:500]}
        if release:
            values["mail_claimed_at"] = None
        session.execute(update(Notification).where(col(Notification.id) == notification_id).values(**values))
        session.commit()


def send_mail(engine: Engine, now: dt.datetime) -> JobResult:
    """Mail every unmailed notification of a user with an e-mail address."""
    settings = get_settings()
    result = JobResult()
    if not settings.smtp_host:
        return result
    moment = now.astimezone(SHANGHAI)
    with Session(engine, expire_on_commit=False) as session:
        pending = session.execute(
            select(Notification, User)
            .join(User, col(User.id) == col(Notification.user_id))
            .where(
                col(Notification.mail_claimed_at).is_(None),
                col(Notification.created_at) >= moment - MAIL_WITHIN,
                col(User.email) != "",
                col(User.active),
            )
            .order_by(col(Notification.id))
        ).all()
    if not pending:
        return result
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for row, user in pending:
            assert row.id is not None
            if not _claim(engine, row.id, moment):
                continue  # another run has it
            try:
                smtp.send_message(_message(settings, row, user))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                _finish(engine, row.id, None, f"refused: {exc}", release=True)  # definitely not sent
                result.failed.append(Failure(user.email, "mail", f"{row.dedupe_key}: {exc}"))
                continue
            _finish(engine, row.id, moment, "", release=False)
            result.done.append(f"{user.username} mail {row.dedupe_key}")
    return result
