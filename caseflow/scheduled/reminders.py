"""Reminders and escalation, stored as in-app notifications (mailed by ``scheduled.mail``).

- the handler: a reply due within ``REPLY_SOON`` working days; the 7-working-day limit for a
  supplement notice (Art. 30) within ``NOTICE_SOON`` working days; the request overdue;
- the supervisors of the request's agency and the agencies above it: the request overdue;
- every supervisor: a daily digest of their agencies' figures.

Each notification has a unique key (reason, request, deadline, recipient), inserted with "on
conflict do nothing", and the selection leaves out requests already reminded for that deadline (an
anti-join on ``ix_notification_case_reason``). So a reminder is made once per request, reason and
deadline however often the job runs or crashes; a deadline that moves (an extension) earns a new one.
Requests are handled in chunks, one transaction each; a chunk that fails is retried request by
request, so one bad request is skipped and the others are reminded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, and_, exists, select
from sqlmodel import Session, col

from caseflow import law
from caseflow.calendar import default_calendar
from caseflow.cases.actor import Actor
from caseflow.dates import SHANGHAI, legal_date, zh
from caseflow.models import Agency, Case, Notification, User
from caseflow.scheduled.inbox import insert_notifications
from caseflow.scheduled.links import DASHBOARD_PATH, case_path
from caseflow.scheduled.runs import Failure, JobResult, skipped
from caseflow.states.machine import OPEN_STATES, STATE_NAMES, State
from caseflow.states.roles import SUPERVISOR

#: A reply is "due soon" this many working days ahead.
REPLY_SOON = 3
#: The supplement notice's own limit (7 working days from receipt) is "near" this many days ahead.
NOTICE_SOON = 2
CHUNK = 500

REASONS = {
    "reply_due_soon": "答复期限临近",
    "supplement_notice_due_soon": "补正告知期限临近",
    "overdue": "已超过答复期限",
    "daily_digest": "每日督办汇总",
}

_OPEN = [s.value for s in OPEN_STATES]


@dataclass(frozen=True)
class Due:
    case_id: int
    tracking_no: str
    agency_id: int
    handler_id: int | None
    description: str
    state: str
    due_on: dt.date


def candidate_query(reason: str, today: dt.date) -> Select[Any]:
    """The requests owed a ``reason`` reminder today and not yet reminded for that deadline.

    Each is a range on an index of ``request`` ((state, reply_due) or (state,
    supplement_notice_due)) with an anti-join on ``ix_notification_case_reason``: never a scan of
    the open requests (``bench/sweep_bench.py`` prints the plans; a test checks them).
    """
    cal = default_calendar()
    if reason == "supplement_notice_due_soon":
        deadline = col(Case.supplement_notice_due)
        window = and_(
            col(Case.state) == State.RECEIVED.value,
            deadline >= today,
            deadline <= cal.add_working_days(today, NOTICE_SOON),
        )
    else:
        deadline = col(Case.reply_due)
        bounds = (
            (deadline < today,)
            if reason == "overdue"
            else (deadline >= today, deadline <= cal.add_working_days(today, REPLY_SOON))
        )
        window = and_(col(Case.state).in_(_OPEN), *bounds)
    reminded = exists().where(
        col(Notification.case_id) == col(Case.id),
        col(Notification.reason) == reason,
        col(Notification.due_on) == deadline,
    )
    return select(
        col(Case.id),
        col(Case.tracking_no),
        col(Case.agency_id),
        col(Case.handler_id),
        col(Case.description),
        col(Case.state),
        deadline,
        col(Case.ledger) if reason == "supplement_notice_due_soon" else col(Case.id),
    ).where(window, ~reminded)


def _candidates(session: Session, reason: str, today: dt.date) -> list[Due]:
    found = []
    for case_id, tracking, agency_id, handler_id, description, state, due_on, ledger in session.execute(
        candidate_query(reason, today)
    ):
        if reason == "supplement_notice_due_soon" and any(
            e.get("type") == "supplement_requested" for e in ledger
        ):
            continue  # a supplement may be asked for once; it has been
        found.append(Due(case_id, tracking, agency_id, handler_id, description, state, due_on))
    return sorted(found, key=lambda d: d.case_id)


class Recipients:
    """Who is told: the handler, and the supervisors of the agency and of every agency above it."""

    def __init__(self, session: Session) -> None:
        self.paths = dict(session.execute(select(col(Agency.id), col(Agency.path))).all())
        self.supervisors = [
            (user_id, self.paths.get(agency_id, "/"))
            for user_id, agency_id, roles in session.execute(
                select(col(User.id), col(User.agency_id), col(User.roles)).where(col(User.active))
            )
            if SUPERVISOR in roles.split(",")
        ]

    def for_case(self, due: Due, *, escalate: bool) -> list[int]:
        users = [due.handler_id] if due.handler_id is not None else []
        if escalate or not users:
            path = self.paths.get(due.agency_id, "")
            users += [uid for uid, p in self.supervisors if path.startswith(p) and uid not in users]
        return users


def _text(reason: str, due: Due, today: dt.date) -> tuple[str, str]:
    cal = default_calendar()
    summary = due.description if len(due.description) <= 60 else due.description[:60] + "……"
    link = case_path(due.case_id)  # a path of our own: pages link it, mails prefix the base URL
    state = STATE_NAMES[State(due.state)]
    if reason == "overdue":
        late = cal.working_days_between(due.due_on, today)
        title = f"{due.tracking_no} 已超过答复期限"
        lead = f"答复期限为{zh(due.due_on)}，已逾期{late}个工作日，请立即处理并说明情况。"
    elif reason == "reply_due_soon":
        left = cal.working_days_between(today, due.due_on)
        title = f"{due.tracking_no} 答复期限临近"
        lead = f"答复期限为{zh(due.due_on)}，还剩{left}个工作日。"
    else:
        left = cal.working_days_between(today, due.due_on)
        title = f"{due.tracking_no} 补正告知期限临近"
        lead = (
            f"如需申请人补正，应当在{zh(due.due_on)}前一次性告知（{law.SUPPLEMENT_NOTICE.basis.label}，"
            f"收到申请之日起{law.SUPPLEMENT_NOTICE.days}个工作日内），"
            f"还剩{left}个工作日。"
        )
    return title, f"{lead}\n当前状态：{state}\n申请内容：{summary}\n{link}"


def _rows(reason: str, dues: Iterable[Due], recipients: Recipients, today: dt.date) -> list[dict[str, Any]]:
    rows = []
    for due in dues:
        title, body = _text(reason, due, today)
        for user_id in recipients.for_case(due, escalate=reason == "overdue"):
            rows.append(
                {
                    "dedupe_key": f"{reason}:{due.case_id}:{due.due_on.isoformat()}:{user_id}",
                    "user_id": user_id,
                    "case_id": due.case_id,
                    "reason": reason,
                    "due_on": due.due_on,
                    "title": title,
                    "body": body,
                }
            )
    return rows


def remind(engine: Engine, now: dt.datetime) -> JobResult:
    """Make every reminder owed as of ``now``."""
    moment = now.astimezone(SHANGHAI)
    today = legal_date(moment)
    result = JobResult()
    with Session(engine) as session:
        recipients = Recipients(session)
        owed = {reason: _candidates(session, reason, today) for reason in REASONS if reason != "daily_digest"}
    for reason, dues in owed.items():
        for start in range(0, len(dues), CHUNK):
            chunk = dues[start : start + CHUNK]
            with Session(engine) as session:
                try:
                    insert_notifications(session, _rows(reason, chunk, recipients, today), moment)
                    session.commit()
                    result.done += [f"{d.tracking_no} {reason}" for d in chunk]
                    continue
                except Exception:  # a bad request in the chunk: one at a time, to find it
                    session.rollback()
                for due in chunk:
                    try:
                        insert_notifications(session, _rows(reason, [due], recipients, today), moment)
                        session.commit()
                        result.done.append(f"{due.tracking_no} {reason}")
                    except Exception as exc:
                        result.failed.append(skipped(session, due.case_id, reason, exc))
    return result


def digest(engine: Engine, now: dt.datetime) -> JobResult:
    """Each active supervisor's daily digest: overdue, due soon, awaiting review, skipped by jobs."""
    from caseflow.queries import CaseFilter, dashboard, list_cases
    from caseflow.scheduled.status import job_status

    moment = now.astimezone(SHANGHAI)
    today = legal_date(moment)
    result = JobResult()
    with Session(engine) as session:
        users = [u for u in session.scalars(select(User).where(col(User.active))) if SUPERVISOR in u.role_set]
        for user in users:
            actor = Actor.of(session, user)
            figures = dashboard(session, actor, today=today)
            _, overdue = list_cases(session, actor, CaseFilter(overdue=True), today=today, size=10)
            skipped_here = [
                r["tracking_no"] for job in job_status(session, actor) for r in job["skipped_requests"]
            ]
            lines = [
                f"截至{zh(today)}：在办{figures['open']}件，已逾期{figures['overdue']}件，"
                f"{REPLY_SOON}个工作日内到期{figures['due_soon']}件，待法制审核{figures['awaiting_review']}件。",
            ]
            if overdue:
                more = "等" if figures["overdue"] > len(overdue) else ""
                lines.append("逾期件：" + "、".join(row["tracking_no"] for row in overdue) + more)
            if skipped_here:
                lines.append(f"定时任务未能处理{len(skipped_here)}件：" + "、".join(skipped_here[:10]))
            lines.append(DASHBOARD_PATH)
            row = {
                "dedupe_key": f"daily_digest:{today.isoformat()}:{user.id}",
                "user_id": user.id,
                "case_id": None,
                "reason": "daily_digest",
                "due_on": today,
                "title": f"{zh(today)}督办汇总",
                "body": "\n".join(lines),
            }
            try:
                if insert_notifications(session, [row], moment):
                    result.done.append(f"{user.username} daily_digest")
                session.commit()
            except Exception as exc:
                session.rollback()
                result.failed.append(_user_failure(user, exc))
    return result


def _user_failure(user: User, exc: Exception) -> Failure:
    return Failure(user.username, "daily_digest", f"{type(exc).__name__}: {exc}")
