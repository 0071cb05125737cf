"""A user's notifications (reminders, escalations, digests made by ``caseflow.scheduled``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from caseflow.errors import NotFound
from caseflow.models import Notification
from caseflow.scheduled import portal_reminders
from caseflow.scheduled.links import body_lines
from caseflow.scheduled.reminders import REASONS

#: The name shown for each kind of notification: the reminders' reasons and the checkpoints.
REASON_NAMES = {
    **REASONS,
    "checkpoint": "证据链检查点",
    "lapse_proposed": "期限已过，待确认",
    portal_reminders.REASON: portal_reminders.REASON_NAME,
}


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        ).one()
    )


def as_json(row: Notification) -> dict[str, Any]:
    if row.mailed_at is not None:
        mail = "sent"
    elif row.mail_claimed_at is not None:
        mail = "uncertain"  # claimed, and its process ended before it was marked sent
    else:
        mail = "failed" if row.mail_error else "none"
    return {
        "id": row.id,
        "reason": row.reason,
        "reason_name": REASON_NAMES.get(row.reason, row.reason),
        "case_id": row.case_id,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "title": row.title,
        "body": row.body,
        #: The body line by line; ``href`` only for a path of this system's own pages.
        "lines": body_lines(row.body),
        "created_at": row.created_at.isoformat(),
        "read_at": row.read_at.isoformat() if row.read_at else None,
        "mail": mail,
        "mail_error": row.mail_error,
    }


def list_for(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    stmt = select(Notification).where(col(Notification.user_id) == user_id)
    if unread_only:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    return list(session.exec(stmt.order_by(col(Notification.id).desc()).limit(limit)))


def mark_read(session: Session, user_id: int, moment: dt.datetime, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; another user's is not found."""
    stmt = update(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    if notification_id is not None:
        row = session.get(Notification, notification_id)
        if row is None or row.user_id != user_id:
            raise NotFound(f"没有编号为 {notification_id} 的通知")
        stmt = stmt.where(col(Notification.id) == notification_id)
    count = int(session.execute(stmt.values(read_at=moment)).rowcount or 0)  # type: ignore[attr-defined]
    session.commit()
    return count
