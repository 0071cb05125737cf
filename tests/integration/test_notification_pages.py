"""Notifications on the pages and in the API; the scheduled jobs' status on the dashboard."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text

from caseflow.dates import SHANGHAI
from caseflow.models import Case
from caseflow.scheduled import JOBS
from caseflow.scheduled.reminders import remind
from caseflow.scheduled.runs import run_job
from tests.integration.conftest import T0
from tests.integration.webapp import Web

API = "/api/v1"


def _overdue(web: Web) -> Case:
    case = web.world.new_case()
    web.world.session.rollback()
    assert case.reply_due is not None
    remind(
        web.engine, dt.datetime.combine(case.reply_due + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI)
    )
    return case


def test_notifications_api_is_per_user(web: Web) -> None:
    case = _overdue(web)
    mine = web.api("clerk").get(f"{API}/notifications").json()
    assert mine["unread"] == 1 and len(mine["items"]) == 1
    item = mine["items"][0]
    assert (
        item["reason"] == "overdue" and item["case_id"] == case.id and item["reason_name"] == "已超过答复期限"
    )
    assert web.api("dept_clerk").get(f"{API}/notifications").json() == {"unread": 0, "items": []}
    # Another user's notification is not found; the owner marks it read.
    assert web.api("dept_clerk").post(f"{API}/notifications/{item['id']}/read").status_code == 404
    assert web.api("clerk").post(f"{API}/notifications/{item['id']}/read").json() == {"marked": 1}
    assert web.api("clerk").get(f"{API}/notifications?unread=true").json() == {"unread": 0, "items": []}
    assert web.api("supervisor").post(f"{API}/notifications/read-all").json() == {"marked": 1}
    assert web.api(None).get(f"{API}/notifications").status_code == 401


def test_notifications_page_and_header(web: Web) -> None:
    case = _overdue(web)
    client = web.browser("clerk")
    page = client.get("/cases")
    assert 'class="badge unread-count">1<' in page.text
    listing = client.get("/notifications")
    assert listing.status_code == 200 and f"{case.tracking_no} 已超过答复期限" in listing.text
    assert f'href="/cases/{case.id}"' in listing.text
    # Without the CSRF token the form is refused; with it, the notification is read.
    assert client.post("/notifications/read", data={}).status_code == 403
    token = Web.csrf(client, "/notifications")
    done = client.post("/notifications/read", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/notifications"
    assert 'class="badge unread-count"' not in client.get("/cases").text
    assert web.api("clerk").get(f"{API}/notifications?unread=true").json()["unread"] == 0
    assert web.api("supervisor").get(f"{API}/notifications").json()["unread"] == 1  # theirs is theirs


def test_dashboard_counts_requests_a_job_skipped(web: Web) -> None:
    world = web.world
    bad = world.act(
        world.new_case(), "assess_fee", {"method": "per_page", "pages": 150}, at=T0 + dt.timedelta(days=1)
    )
    delivered = {
        "document": "fee_notice",
        "method": "post",
        "proof": "EMS 签收",
        "received_on": (T0 + dt.timedelta(days=2)).date().isoformat(),
    }
    bad = world.act(bad, "record_notice_delivery", delivered, at=T0 + dt.timedelta(days=2))
    world.session.rollback()
    with web.engine.begin() as conn:
        conn.execute(
            text("UPDATE request SET ledger = :l WHERE id = :i"),
            {"l": json.dumps([{"type": "teleported", "date": "2026-10-01"}]), "i": bad.id},
        )
    run_job(web.engine, JOBS["lapses"], T0 + dt.timedelta(days=80))
    jobs = {j["job"]: j for j in web.api("supervisor").get(f"{API}/jobs").json()}
    assert set(jobs) == set(JOBS)
    assert jobs["lapses"]["status"] == "errors" and jobs["lapses"]["skipped"] == 1
    assert jobs["lapses"]["skipped_requests"][0]["tracking_no"] == bad.tracking_no
    assert jobs["reminders"]["status"] == "never"
    assert web.api("dept_supervisor").get(f"{API}/jobs").json()[1]["skipped"] == 0
    assert web.api("clerk").get(f"{API}/jobs").status_code == 403
    page = web.browser("supervisor").get("/dashboard")
    assert page.status_code == 200 and "定时任务" in page.text and bad.tracking_no in page.text
    assert "部分未处理" in page.text
