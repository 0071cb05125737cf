"""The daily checkpoint: sign the heads of every evidence chain and tell the auditors.

Once per day (Asia/Shanghai): a run finds today's checkpoint made and does nothing. Each active
auditor gets a notification (mailed by the ``mail`` job when SMTP is configured) holding the signed
statement itself, the part to keep outside this system, and where to download the whole file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI
from caseflow.evidence import anchor
from caseflow.models import Checkpoint, User
from caseflow.scheduled.inbox import insert_notifications
from caseflow.scheduled.runs import Failure, JobResult

AUDITOR = "auditor"


def notify_auditors(session: Session, row: Checkpoint, moment: dt.datetime) -> list[str]:
    """A notification for each active auditor (once per checkpoint); the usernames notified."""
    link = f"/api/v1/checkpoints/{row.id}"  # a path of our own, on its line: pages link it, mails prefix it
    body = "\n".join(
        [
            f"证据链检查点第{row.number}号已签发：{row.tree_size}件申请，默克尔根 {row.root}。",
            "请将以下签名声明保存在本系统以外，日后可用 caseflow verify --checkpoint 核对证据链未被改写：",
            row.statement,
            "完整检查点文件（含每件申请的链头）：",
            link,
        ]
    )
    users = [u for u in session.exec(select(User).where(col(User.active))) if AUDITOR in u.role_set]
    rows = [
        {
            "dedupe_key": f"checkpoint:{row.number}:{u.id}",
            "user_id": u.id,
            "case_id": None,
            "reason": "checkpoint",
            "due_on": None,
            "title": f"证据链检查点第{row.number}号",
            "body": body,
        }
        for u in users
    ]
    insert_notifications(session, rows, moment)
    session.commit()
    return [u.username for u in users]


def make_checkpoint(engine: Engine, now: dt.datetime) -> JobResult:
    """Make today's checkpoint unless it is made; notify the auditors."""
    result = JobResult()
    moment = now.astimezone(SHANGHAI)
    with Session(engine, expire_on_commit=False) as session:
        last = anchor.latest(session)
        session.rollback()
        if last is not None and last.made_at.astimezone(SHANGHAI).date() >= moment.date():
            return result
        try:
            made = anchor.make(session, moment)
        except anchor.Inconsistent as exc:
            result.failed.append(Failure("", "checkpoint", str(exc)))
            return result
        if made.consistency_note:
            result.failed.append(Failure("", "checkpoint_consistency", made.consistency_note))
        result.done.append(
            f"checkpoint {made.row.number}: {made.row.tree_size} requests, root {made.row.root}"
        )
        if made.timestamp_error:
            result.failed.append(Failure("", "checkpoint_timestamp", made.timestamp_error))
        notified = notify_auditors(session, made.row, moment)
        if notified:
            result.done.append(f"checkpoint {made.row.number} sent to {', '.join(notified)}")
    return result
