"""Reminding clerks of online applications left waiting (issue 18 / B).

An online application still awaiting confirmation after the end of the next working day after the day
it arrived (``caseflow.portal.inbox_rules.overdue_from``) earns its agency's active clerks a
notification (mailed by ``scheduled.mail`` when SMTP is configured). The key is (application, day,
clerk): each item reminds each clerk at most once a day however often the job runs, and again the
next day while it still waits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI, legal_date, zh, zh_moment
from caseflow.models import OnlineApplication, User
from caseflow.portal.applications import AWAITING
from caseflow.portal.inbox_rules import overdue_from, waiting
from caseflow.scheduled.inbox import insert_notifications
from caseflow.scheduled.runs import Failure, JobResult

REASON = "online_waiting"
REASON_NAME = "网上申请待确认"
INBOX_PATH = "/applications"
CLERK = "clerk"
#: Nothing submitted less than this long ago can be past the end of the next working day.
_AT_LEAST = dt.timedelta(hours=24)


def _clerks(session: Session) -> dict[int, list[int]]:
    """agency id -> its active clerks' user ids."""
    found: dict[int, list[int]] = {}
    for user_id, agency_id, roles in session.execute(
        select(col(User.id), col(User.agency_id), col(User.roles)).where(col(User.active))
    ):
        if CLERK in roles.split(","):
            found.setdefault(agency_id, []).append(user_id)
    return found


def _rows(row: OnlineApplication, clerks: list[int], moment: dt.datetime) -> list[dict[str, Any]]:
    today = legal_date(moment)
    wait = waiting(row.submitted_at, moment)
    title = f"网上申请 {row.submission_no} 已超过下一个工作日仍未确认"
    summary = str(row.content.get("description", ""))
    summary = summary if len(summary) <= 60 else summary[:60] + "……"
    body = "\n".join(
        [
            f"申请于{zh_moment(row.submitted_at)}提交，应不迟于{zh(wait.confirm_by)}确认受理或者退回；"
            f"{wait.text}。",
            f"申请内容：{summary}",
            INBOX_PATH,
        ]
    )
    return [
        {
            "dedupe_key": f"{REASON}:{row.id}:{today.isoformat()}:{user_id}",
            "user_id": user_id,
            "case_id": None,
            "reason": REASON,
            "due_on": wait.confirm_by,
            "title": title,
            "body": body,
        }
        for user_id in clerks
    ]


def remind_waiting(engine: Engine, now: dt.datetime) -> JobResult:
    """Remind the clerks of every online application waiting past the next working day, as of ``now``."""
    moment = now.astimezone(SHANGHAI)
    cal = default_calendar()
    result = JobResult()
    with Session(engine) as session:
        clerks = _clerks(session)
        candidates = session.scalars(
            select(OnlineApplication)
            .where(
                col(OnlineApplication.status) == AWAITING,
                col(OnlineApplication.submitted_at) <= moment - _AT_LEAST,
            )
            .order_by(col(OnlineApplication.submitted_at))
        ).all()
        late = [r for r in candidates if overdue_from(r.submitted_at, cal) <= moment]
        for row in late:
            try:
                if insert_notifications(session, _rows(row, clerks.get(row.agency_id, []), moment), moment):
                    result.done.append(f"{row.submission_no} {REASON}")
                session.commit()
            except Exception as exc:  # one bad row is skipped; the others are reminded
                session.rollback()
                result.failed.append(
                    Failure(row.submission_no, REASON, f"{type(exc).__name__}: {exc}", row.agency_id)
                )
    return result
