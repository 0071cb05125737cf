"""Reminders by e-mail through a real SMTP server on loopback (aiosmtpd): once, never twice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from caseflow import notifications
from caseflow.models import Notification, User
from caseflow.scheduled import JOBS
from caseflow.scheduled.runs import run_job
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World
from tests.integration.smtp import REFUSED, Inbox


def _emails(engine: Engine, **addresses: str) -> None:
    with Session(engine) as s:
        for username, address in addresses.items():
            s.execute(update(User).where(col(User.username) == username).values(email=address))
        s.commit()


def _overdue_world(world: World, engine: Engine) -> tuple[int, dt.datetime]:
    case = world.new_case()
    world.session.rollback()
    with Session(engine) as s:
        row = s.get(type(case), case.id)
        assert row is not None and row.reply_due is not None
        due = row.reply_due
    return int(case.id or 0), dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9), tzinfo=T0.tzinfo)


def test_reminders_are_mailed_once(world: World, engine: Engine, inbox: Inbox) -> None:
    _emails(engine, clerk="clerk@example.gov.cn", supervisor="boss@example.gov.cn")
    case_id, moment = _overdue_world(world, engine)
    run_job(engine, JOBS["reminders"], moment)
    run, result = run_job(engine, JOBS["mail"], moment)
    assert run.status == "ok" and run.done == 2
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.messages) == [
        "boss@example.gov.cn",
        "clerk@example.gov.cn",
    ]
    message = inbox.messages[0]
    assert "已超过答复期限" in message["Subject"] and message["From"] == "gk@example.gov.cn"
    # the notification holds the path; the mail makes it absolute with CASEFLOW_BASE_URL (issue 13)
    assert f"{get_settings().base_url.rstrip('/')}/cases/{case_id}\n" in message.get_content()
    # Again, and after another reminder run: nothing is sent twice.
    run_job(engine, JOBS["reminders"], moment + dt.timedelta(hours=1))
    run, _ = run_job(engine, JOBS["mail"], moment + dt.timedelta(hours=1))
    assert run.done == 0 and len(inbox.messages) == 2
    with Session(engine) as s:
        rows = s.exec(select(Notification)).all()
        assert all(r.mailed_at is not None for r in rows)
        assert {notifications.as_json(r)["mail"] for r in rows} == {"sent"}


def test_a_claimed_mail_is_never_sent_again_and_a_refused_one_is_retried(
    world: World, engine: Engine, inbox: Inbox
) -> None:
    _emails(engine, clerk="clerk@example.gov.cn", supervisor=REFUSED)
    _, moment = _overdue_world(world, engine)
    run_job(engine, JOBS["reminders"], moment)
    with Session(engine) as s:  # a crash after claiming the clerk's mail, before sending it
        clerk_note = s.exec(
            select(Notification)
            .join(User, col(User.id) == col(Notification.user_id))
            .where(col(User.username) == "clerk")
        ).one()
        clerk_note.mail_claimed_at = moment
        s.add(clerk_note)
        s.commit()
    run, result = run_job(engine, JOBS["mail"], moment)
    assert inbox.messages == []  # the claimed one is not resent; the refused one was not accepted
    assert run.status == "errors" and [f.tracking_no for f in result.failed] == [REFUSED]
    with Session(engine) as s:
        by_user = {
            u: notifications.as_json(n)
            for n, u in s.exec(
                select(Notification, User.username).join(User, col(User.id) == col(Notification.user_id))
            )
        }
    assert by_user["clerk"]["mail"] == "uncertain"
    assert by_user["supervisor"]["mail"] == "failed" and "550" in by_user["supervisor"]["mail_error"]
    # The address is corrected: the refused mail goes out on the next run, the claimed one still not.
    _emails(engine, supervisor="boss@example.gov.cn")
    run, _ = run_job(engine, JOBS["mail"], moment + dt.timedelta(minutes=2))
    assert run.status == "ok" and [m["To"].addresses[0].addr_spec for m in inbox.messages] == [
        "boss@example.gov.cn"
    ]


def test_without_smtp_settings_nothing_is_mailed(world: World, engine: Engine) -> None:
    _emails(engine, clerk="clerk@example.gov.cn")
    _, moment = _overdue_world(world, engine)
    run_job(engine, JOBS["reminders"], moment)
    run, _ = run_job(engine, JOBS["mail"], moment)
    assert run.status == "ok" and run.done == 0
    with Session(engine) as s:
        assert all(n.mail_claimed_at is None for n in s.exec(select(Notification)))
