"""Online applications (issue 18, items 1-2): submitted without an account, confirmed by a clerk of
the chosen agency (Art. 31(3): the receipt date is the confirmation day, channel 网络, the register
event records the submission) or returned as not an application; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI, legal_date
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.evidence.chain import canonical, verify_events
from caseflow.models import Case, EvidenceEvent, OnlineApplication
from caseflow.portal import application_status
from caseflow.portal import applications as portal
from tests.integration.conftest import T0, World
from tests.integration.webapp import Web

API = "/api/v1"


def form(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "agency": "city",
        "applicant_type": "natural_person",
        "applicant_name": "李四",
        "id_type": "居民身份证",
        "id_number": "110101199001061234",
        "phone": "13912345678",
        "email": "lisi@example.cn",
        "address": "",
        "description": "2025年本市公园绿化养护合同",
        "provision_form": "electronic",
    }
    body.update(changes)
    return body


def stored(web: Web) -> list[OnlineApplication]:
    with Session(web.engine) as s:
        return list(s.exec(select(OnlineApplication).order_by(col(OnlineApplication.id))))


def submitted(web: Web, **changes: Any) -> dict[str, Any]:
    response = web.api(None).post(f"{API}/public/applications", json=form(**changes))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_submit_then_confirm_registers_the_request(web: Web) -> None:
    body = submitted(web)
    assert body["status"] == "awaiting_confirmation" and len(body["access_code"]) == 12
    # stored as submitted: the code only as its hash, the ID number sealed, the content hashed
    (row,) = stored(web)
    assert row.access_code_hash == hashlib.sha256(body["access_code"].encode()).hexdigest()
    assert body["access_code"] not in json.dumps(row.content) and "110101199001061234" not in json.dumps(
        row.content
    )
    assert row.id_number_masked.startswith("1101") and row.id_number_enc
    assert row.content_sha256 == hashlib.sha256(canonical(row.content).encode()).hexdigest()
    assert row.client_address == "testclient" and web.requests() == 0  # not a request yet

    anonymous = web.api(None)
    look = anonymous.get(
        f"{API}/public/applications/{body['submission_no']}", params={"code": body["access_code"]}
    )
    assert look.status_code == 200 and look.json()["status"] == "awaiting_confirmation"
    assert "tracking_no" not in look.json() and "李四" not in look.text

    clerk = web.api("clerk")
    inbox = clerk.get(f"{API}/applications", params={"status": "pending"})
    assert [x["submission_no"] for x in inbox.json()] == [body["submission_no"]]
    assert "110101199001061234" not in inbox.text and inbox.json()[0]["waited_hours"] >= 0

    confirmed = clerk.post(f"{API}/applications/{row.id}/confirm")
    assert confirmed.status_code == 201, confirmed.text
    case = confirmed.json()
    today = legal_date(dt.datetime.now(SHANGHAI))
    assert case["receipt_date"] == today.isoformat() and case["tracking_no"].startswith("CITY-")
    stored_case = web.case(case["id"])
    assert stored_case.channel == "internet" and stored_case.receipt_proof.startswith(
        f"网上申请 {body['submission_no']}"
    )
    # the register event records the submission: its content hash, time and client address
    with Session(web.engine) as s:
        event = s.exec(select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case["id"])).one()
    facts = json.loads(event.payload)["facts"]
    assert facts["online_submission_no"] == body["submission_no"]
    assert facts["online_content_sha256"] == row.content_sha256
    assert facts["online_client_address"] == "testclient"
    assert facts["online_submitted_at"] == row.submitted_at.isoformat()
    assert facts["channel"] == "internet" and facts["receipt_date"] == today.isoformat()
    events = clerk.get(f"{API}/requests/{case['id']}/events").json()
    assert verify_events(case["tracking_no"], events)[:2] == (None, 1)  # the chain holds
    page = web.browser("clerk").get(f"/cases/{case['id']}")
    assert page.status_code == 200 and case["tracking_no"] in page.text

    (row,) = stored(web)
    assert row.status == "confirmed" and row.case_id == case["id"] and row.decided_by == "clerk"
    assert clerk.get(f"{API}/applications", params={"status": "pending"}).json() == []
    after = anonymous.get(
        f"{API}/public/applications/{body['submission_no']}", params={"code": body["access_code"]}
    )
    seen = after.json()
    assert seen["status"] == "confirmed" and seen["tracking_no"] == case["tracking_no"]
    assert seen["receipt_date"] == today.isoformat() and seen["reply_due"] == case["reply_due"]
    assert [x["doc_type"] for x in seen["letters"]] == ["receipt"]
    # confirmed once only: a second confirmation is refused and registers nothing
    again = clerk.post(f"{API}/applications/{row.id}/confirm")
    assert again.status_code == 409 and again.json()["code"] == "application_decided"
    assert web.requests() == 1


def test_return_as_not_an_application(web: Web) -> None:
    body = submitted(web, description="反映邻居噪音扰民问题，请求处理")
    (row,) = stored(web)
    clerk = web.api("clerk")
    empty = clerk.post(f"{API}/applications/{row.id}/return", json={"reasons": []})
    assert empty.status_code == 422 and stored(web)[0].status == "awaiting_confirmation"
    reason = "所提内容为信访、投诉举报事项，不属于政府信息公开申请，请通过信访渠道提出"
    returned = clerk.post(f"{API}/applications/{row.id}/return", json={"reasons": [reason]})
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    (row,) = stored(web)
    assert row.status == "returned" and row.return_reasons == reason and row.case_id is None
    assert web.requests() == 0
    seen = web.api(None).get(
        f"{API}/public/applications/{body['submission_no']}", params={"code": body["access_code"]}
    )
    assert seen.json()["status"] == "returned" and seen.json()["return_reasons"] == [reason]
    refused = clerk.post(f"{API}/applications/{row.id}/confirm")
    assert refused.status_code == 409 and web.requests() == 0


def test_wrong_code_is_404_without_leaking(web: Web) -> None:
    body = submitted(web)
    anonymous = web.api(None)
    wrong = anonymous.get(
        f"{API}/public/applications/{body['submission_no']}", params={"code": "AAAAAAAAAAAA"}
    )
    unknown = anonymous.get(
        f"{API}/public/applications/W20260101-AAAAAAAA", params={"code": body["access_code"]}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()  # the same answer: nothing says the number exists
    assert "李四" not in wrong.text and "awaiting" not in wrong.text


def test_another_agencys_clerk_cannot_see_or_confirm(web: Web) -> None:
    submitted(web)
    (row,) = stored(web)
    other = web.api("dept_clerk")
    assert other.get(f"{API}/applications").json() == []
    refused = other.post(f"{API}/applications/{row.id}/confirm")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert other.post(f"{API}/applications/{row.id}/return", json={"reasons": ["x"]}).status_code == 404
    assert web.api("reviewer").post(f"{API}/applications/{row.id}/confirm").status_code == 403
    assert web.api(None).get(f"{API}/applications").status_code == 401
    assert stored(web)[0].status == "awaiting_confirmation" and web.requests() == 0


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"id_number": "110101199001061235"}, "id_number", "校验位"),
        ({"phone": "", "email": "", "address": ""}, "phone", "联系方式"),
        ({"email": "lisi.example.cn"}, "email", "@"),
        ({"agency": "nowhere"}, "agency", "机关"),
        ({"applicant_name": ""}, "applicant_name", ""),
    ],
)
def test_invalid_fields_are_refused_naming_the_field(
    web: Web, changes: dict[str, Any], field: str, words: str
) -> None:
    response = web.api(None).post(f"{API}/public/applications", json=form(**changes))
    assert response.status_code == 422, response.text
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert field in errors and words in errors[field]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors[field])  # Chinese
    assert stored(web) == []  # nothing stored


def test_channel_fields_are_not_the_applicants(web: Web) -> None:
    response = web.api(None).post(f"{API}/public/applications", json=form(channel="in_person"))
    assert response.status_code == 422 and stored(web) == []


def test_confirmation_after_the_submission_day_needs_a_reason(world: World) -> None:
    """Art. 31(3): the receipt date is the confirmation day; later than arrival only with a reason."""
    session = world.session
    done = portal.submit(session, form(), client_address="192.0.2.1", now=T0)
    (row,) = session.exec(select(OnlineApplication)).all()
    assert row.id is not None
    later = T0 + dt.timedelta(days=1)
    with pytest.raises(FactsError) as info:
        portal.confirm(session, world["clerk"], row.id, now=later)
    assert [f for f, _ in info.value.errors] == ["late_confirmation_reason"]
    assert "第三十一条" in info.value.message
    session.rollback()
    session.expire_all()
    kept = session.get(OnlineApplication, row.id)
    assert session.exec(select(Case)).all() == [] and kept is not None and kept.status == portal.AWAITING
    with pytest.raises(NotFound):
        portal.confirm(session, world["district_clerk"], row.id, now=later)
    case = portal.confirm(
        session, world["clerk"], row.id, late_confirmation_reason="周末提交，次日上班确认", now=later
    )
    assert case.receipt_date == legal_date(later) and case.channel == "internet"
    with pytest.raises(RuleViolation):
        portal.return_application(session, world["clerk"], row.id, {"reasons": ["重复"]}, now=later)
    found = application_status.public_status(session, done.submission_no.lower(), done.access_code.lower())
    assert found is not None and found["tracking_no"] == case.tracking_no


def test_online_form_follows_intake() -> None:
    """The online form is intake's Application less how it arrived, plus the agency."""
    from caseflow.cases.intake import Application

    expected = set(Application.model_fields) - portal.NOT_ONLINE | {"agency"}
    assert set(portal.OnlineForm.model_fields) == expected


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_submissions_are_limited_per_address(web: Web) -> None:
    """Shared through the database (``caseflow.ratelimit``; across processes: test_ratelimit_processes)."""
    from caseflow.settings import get_settings

    limit = get_settings().portal_submissions_per_hour
    for _ in range(limit):
        submitted(web)
    refused = web.api(None).post(f"{API}/public/applications", json=form())
    assert refused.status_code == 429 and len(stored(web)) == limit
