"""The clerks' inbox of online applications (issue 18 / B): the page (waiting time, confirm, return
with reasons), the return notice the applicant downloads, the automatic reason for a confirmation on
the first working day after a closed-office submission (Art. 31(3)), and the reminder job; SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI, legal_date
from caseflow.errors import FactsError
from caseflow.evidence.store import DocumentStore
from caseflow.models import EvidenceEvent, Notification, OnlineApplication
from caseflow.portal import applications as portal
from caseflow.portal import inbox_rules
from caseflow.scheduled.portal_reminders import REASON, remind_waiting
from tests.integration.conftest import World
from tests.integration.test_portal_applications import API, form, stored, submitted
from tests.integration.webapp import Web

SATURDAY = dt.datetime(2026, 11, 14, 10, 0, tzinfo=SHANGHAI)
MONDAY = dt.datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
TUESDAY = dt.datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI)


def _submit_at(engine: Engine, moment: dt.datetime, **changes: Any) -> portal.Submitted:
    with Session(engine) as session:
        return portal.submit(session, form(**changes), client_address="192.0.2.7", now=moment)


def _card(html: str, submission_no: str) -> str:
    """The inbox card of one application."""
    start = html.index(f'data-submission="{submission_no}"')
    end = html.find('<div class="card application', start)
    return html[start : end if end > 0 else len(html)]


def test_inbox_page_lists_oldest_first_with_waiting_time(web: Web) -> None:
    now = dt.datetime.now(SHANGHAI)
    old = _submit_at(web.engine, now - dt.timedelta(days=10, hours=2), description="较早的申请内容")
    new = submitted(web, description="刚提交的申请内容")
    page = web.browser("clerk").get("/applications")
    assert page.status_code == 200
    html = page.text
    assert html.index(old.submission_no) < html.index(new["submission_no"])  # oldest first
    late = _card(html, old.submission_no)
    assert (
        "已等待10天2小时" in late
        and "已超过提交后的下一个工作日" in late
        and 'class="waiting overdue"' in late
    )
    fresh = _card(html, new["submission_no"])
    assert "不到1小时" in fresh and "请不迟于" in fresh and "overdue" not in fresh
    assert "无需说明理由" in fresh  # confirmed the day it arrived
    # the Art. 29 content, the ID number masked, the client's address, the content hash, both actions
    (row, _) = stored(web)
    assert "110101199001061234" not in html and row.id_number_masked in late
    assert "192.0.2.7" in late and row.content_sha256 in late
    assert (
        f'action="/applications/{row.id}/confirm"' in late
        and f'action="/applications/{row.id}/return"' in late
    )
    assert "申请内容属于信访事项" in late  # the standard reasons
    # the header link shows the pending count to clerks
    assert re.search(r'href="/applications">网上申请<span class="badge unread-count online-pending">2<', html)
    assert web.browser("reviewer").get("/applications").status_code == 403
    # another agency's clerk neither sees nor acts on them (404, nothing changed)
    other = web.browser("dept_clerk")
    token = web.csrf(other, "/applications")
    assert old.submission_no not in other.get("/applications").text
    assert other.post(f"/applications/{row.id}/confirm", data={"csrf_token": token}).status_code == 404
    gone = other.post(f"/applications/{row.id}/return", data={"csrf_token": token, "reason": "petition"})
    assert gone.status_code == 404
    assert stored(web)[0].status == "awaiting_confirmation" and web.requests() == 0


def test_confirm_from_the_page_registers_and_redirects(web: Web) -> None:
    body = submitted(web)
    (row,) = stored(web)
    browser = web.browser("clerk")
    token = web.csrf(browser, "/applications")
    refused = browser.post(f"/applications/{row.id}/confirm", data={})
    assert refused.status_code == 403 and web.requests() == 0  # no CSRF token
    done = browser.post(f"/applications/{row.id}/confirm", data={"csrf_token": token})
    assert done.status_code == 303, done.text
    (row,) = stored(web)
    assert row.status == "confirmed" and done.headers["location"] == f"/cases/{row.case_id}"
    assert web.case(row.case_id or 0).channel == "internet"
    confirmed_tab = browser.get("/applications?tab=confirmed").text
    assert body["submission_no"] in confirmed_tab and f'href="/cases/{row.case_id}"' in confirmed_tab
    assert body["submission_no"] not in browser.get("/applications").text


def test_late_confirmation_on_the_page_needs_a_reason_beside_the_field(web: Web) -> None:
    cal = default_calendar()
    today = legal_date(dt.datetime.now(SHANGHAI))
    day = today - dt.timedelta(days=7)
    while not cal.is_working_day(day):  # a working day's morning: the office was open
        day -= dt.timedelta(days=1)
    _submit_at(web.engine, dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI))
    (row,) = stored(web)
    browser = web.browser("clerk")
    token = web.csrf(browser, "/applications")
    assert "须写明理由" in _card(browser.get("/applications").text, row.submission_no)
    refused = browser.post(f"/applications/{row.id}/confirm", data={"csrf_token": token})
    assert refused.status_code == 422 and web.requests() == 0
    card = _card(refused.text, row.submission_no)
    field_at = card.index('name="late_confirmation_reason"')
    error = re.search(r'<div class="error" role="alert">([^<]*)</div>', card[field_at:])
    assert error and "第三十一条" in error.group(1) and "理由" in error.group(1)
    done = browser.post(
        f"/applications/{row.id}/confirm",
        data={"csrf_token": token, "late_confirmation_reason": "系统故障，未能及时查看"},
    )
    assert done.status_code == 303 and web.requests() == 1


def test_return_with_reasons_gives_the_applicant_a_notice(web: Web) -> None:
    body = submitted(web, description="反映邻居噪音扰民问题，请求处理")
    (row,) = stored(web)
    path = f"/public/applications/{body['submission_no']}/return-notice"
    assert web.api(None).get(path, params={"code": body["access_code"]}).status_code == 404  # none yet
    browser = web.browser("clerk")
    token = web.csrf(browser, "/applications")
    empty = browser.post(f"/applications/{row.id}/return", data={"csrf_token": token})
    assert empty.status_code == 422 and "请至少选择一项退回理由" in _card(empty.text, row.submission_no)
    assert stored(web)[0].status == "awaiting_confirmation"
    other = "所述噪音问题请向辖区派出所反映"
    done = browser.post(
        f"/applications/{row.id}/return",
        data={"csrf_token": token, "reason": ["petition", "complaint"], "other": other},
    )
    assert done.status_code == 303 and done.headers["location"] == "/applications?tab=returned"
    (row,) = stored(web)
    assert row.status == "returned" and row.return_notice_sha256 and web.requests() == 0
    assert row.return_notice_sha256 in browser.get("/applications?tab=returned").text
    with Session(web.engine) as s:
        data = DocumentStore(web.engine).read(row.return_notice_sha256, s)
    assert hashlib.sha256(data).hexdigest() == row.return_notice_sha256
    text = data.decode()
    assert "网上申请退回告知书" in text and body["submission_no"] in text and "第三十九条第一款" in text
    assert "申请内容属于信访事项" in text and "申请内容属于投诉、举报" in text and other in text
    assert "信访工作条例" in text  # where to go instead
    assert "李四" in text and "110101199001061234" not in text
    assert other in browser.get("/applications?tab=returned").text

    anonymous = web.api(None)
    seen = anonymous.get(
        f"{API}/public/applications/{body['submission_no']}", params={"code": body["access_code"]}
    ).json()
    assert seen["status"] == "returned" and seen["return_notice"] is True and other in seen["return_reasons"]
    got = anonymous.get(path, params={"code": body["access_code"]})
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    wrong = anonymous.get(path, params={"code": "WRONGCODE123"})
    assert wrong.status_code == 404 and "噪音" not in wrong.text


# --- Art. 31(3): the first working day after a closed-office submission ------------------------------


def test_weekend_submission_confirmed_monday_needs_no_typed_reason(world: World, engine: Engine) -> None:
    cal = default_calendar()
    assert not cal.is_working_day(SATURDAY.date()) and cal.is_working_day(MONDAY.date())
    assert inbox_rules.first_working_day(SATURDAY) == MONDAY.date()
    _submit_at(engine, SATURDAY)
    (row,) = stored_rows(engine)
    assert row.id is not None
    with Session(engine) as session:
        case = portal.confirm(session, world["clerk"], row.id, now=MONDAY)
        assert case.receipt_date == MONDAY.date()
        event = session.exec(select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id)).one()
    facts = json.loads(event.payload)["facts"]
    assert (
        "非工作日" in facts["late_confirmation_reason"]
        and "第一个工作日" in facts["late_confirmation_reason"]
    )
    assert facts["online_late_reason_automatic"] is True


def test_weekend_submission_confirmed_tuesday_needs_a_reason(world: World, engine: Engine) -> None:
    _submit_at(engine, SATURDAY)
    (row,) = stored_rows(engine)
    assert row.id is not None
    with Session(engine) as session, pytest.raises(FactsError) as info:
        portal.confirm(session, world["clerk"], row.id, now=TUESDAY)
    assert [f for f, _ in info.value.errors] == ["late_confirmation_reason"]
    with Session(engine) as session:
        case = portal.confirm(
            session, world["clerk"], row.id, late_confirmation_reason="周一系统停机", now=TUESDAY
        )
        event = session.exec(select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id)).one()
    facts = json.loads(event.payload)["facts"]
    assert facts["late_confirmation_reason"] == "周一系统停机" and "online_late_reason_automatic" not in facts


def test_after_hours_submission_is_closed_office_too() -> None:
    evening = MONDAY.replace(hour=17, minute=30)
    assert inbox_rules.automatic_late_reason(evening, TUESDAY.date()) is not None
    assert "17:00以后" in (inbox_rules.automatic_late_reason(evening, TUESDAY.date()) or "")
    morning = MONDAY.replace(hour=16, minute=59)
    assert inbox_rules.automatic_late_reason(morning, TUESDAY.date()) is None  # the office was open
    assert inbox_rules.automatic_late_reason(evening, MONDAY.date()) is None  # not late at all


# --- The reminder job ---------------------------------------------------------------------------------


def stored_rows(engine: Engine) -> list[OnlineApplication]:
    with Session(engine) as s:
        return list(s.exec(select(OnlineApplication).order_by(col(OnlineApplication.id))))


def _reminders(engine: Engine) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).where(col(Notification.reason) == REASON)))


def test_reminder_fires_once_for_an_item_past_the_next_working_day(world: World, engine: Engine) -> None:
    late = _submit_at(engine, SATURDAY)  # next working day: Monday; past it from Tuesday 00:00
    within = _submit_at(engine, MONDAY.replace(hour=15))  # next working day: Tuesday
    assert remind_waiting(engine, MONDAY.replace(hour=23, minute=59)).done == []
    tuesday = TUESDAY.replace(hour=10)
    result = remind_waiting(engine, tuesday)
    assert result.done == [f"{late.submission_no} {REASON}"] and result.failed == []
    rows = _reminders(engine)
    clerks = {world["clerk"].user_id, world["clerk2"].user_id}
    assert {r.user_id for r in rows} == clerks and len(rows) == 2  # the agency's clerks, no one else
    assert all(late.submission_no in r.title and "/applications" in r.body for r in rows)
    assert within.submission_no not in "".join(r.title for r in rows)
    assert remind_waiting(engine, tuesday + dt.timedelta(hours=3)).done == []  # once a day at most
    assert len(_reminders(engine)) == 2
    (first, _) = stored_rows(engine)
    assert first.id is not None
    with Session(engine) as session:  # confirmed: no more reminders
        portal.confirm(
            session, world["clerk"], first.id, late_confirmation_reason="周一未及处理", now=tuesday
        )
    wednesday = TUESDAY + dt.timedelta(days=1, hours=3)
    result = remind_waiting(engine, wednesday)
    assert result.done == [f"{within.submission_no} {REASON}"]
