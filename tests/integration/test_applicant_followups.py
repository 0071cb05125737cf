"""The applicant's online supplement (补正) and withdrawal (issue 18 / D): sent on the request page,
recorded by the clerk with one action dated the day it arrived, or declined; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from caseflow.dates import SHANGHAI, legal_date
from caseflow.errors import IllegalTransition
from caseflow.evidence.chain import verify_events
from caseflow.evidence.store import DocumentStore
from caseflow.models import ApplicantSubmission, Case, CaseDocument, EvidenceEvent
from caseflow.portal import followup_record, followups
from caseflow.portal.access import sign_link
from tests.integration.conftest import T0, World, snapshot
from tests.integration.webapp import Web

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def awaiting_supplement(world: World) -> tuple[Case, str]:
    case = world.new_case()
    case = world.act(case, "request_supplement", {"items": ["所需信息的名称和文号"]})
    assert case.state == "supplement-required" and case.id is not None
    return case, sign_link(case.id, case.query_code)


def rows(web: Web) -> list[ApplicantSubmission]:
    with Session(web.engine) as s:
        return list(s.exec(select(ApplicantSubmission).order_by(col(ApplicantSubmission.id))))


def view(web: Web, case_id: int) -> dict[str, Any]:
    with Session(web.engine) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return followups.applicant_view(s, case)


def supplement(client: TestClient, token: str, text: str, *files: tuple[str, bytes]) -> Any:
    upload = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return client.post(f"/public/r/{token}/supplement", data={"text": text}, files=upload or None)


def test_supplement_online_recorded_by_clerk_dated_the_arrival_day(web: Web, world: World) -> None:
    case, token = awaiting_supplement(world)
    assert case.id is not None
    applicant = web.client()
    sent = supplement(applicant, token, "所需信息为2025年第3号合同", ("合同.pdf", PDF))
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/public/r/{token}")
    assert sent.headers["referrer-policy"] == "no-referrer"
    (row,) = rows(web)
    assert row.status == "pending" and row.kind == "supplement" and row.client_address == "testclient"
    assert [f["filename"] for f in row.files] == ["合同.pdf"] and row.files[0][
        "media_type"
    ] == "application/pdf"
    shown = view(web, case.id)
    assert not shown["supplement_offered"] and "尚待机关登记" in shown["supplement_refusal"]
    assert web.case(case.id).state == "supplement-required"  # nothing changes until the clerk records it
    own_page = applicant.get(f"/public/r/{token}")  # the applicant's request page (issue 18 / C)
    assert "在线提交补正材料，等待机关登记" in own_page.text and 'id="supplement-form"' not in own_page.text
    # What is awaited is now the office, not the applicant (no "please supplement by ..." left).
    assert "请按补正申请告知书的要求补正" not in own_page.text

    clerk = web.browser("clerk")
    page = clerk.get(f"/cases/{case.id}")
    assert (
        "登记收到补正" in page.text
        and row.content_sha256 in page.text
        and "所需信息为2025年第3号合同" in page.text
    )
    link = re.search(
        rf'href="(/cases/{case.id}/applicant-submissions/{row.id}/files/[0-9a-f]{{64}})"', page.text
    )
    assert link is not None
    download = clerk.get(link.group(1))
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    listed = web.api("clerk").get(f"{API}/requests/{case.id}/applicant-submissions").json()
    assert [x["id"] for x in listed] == [row.id]

    arrived = row.submitted_at.astimezone(SHANGHAI)
    later = arrived + dt.timedelta(days=2)  # recorded two days after it arrived (a fixed clock)
    with Session(web.engine, expire_on_commit=False) as s:
        recorded = followup_record.record(s, world["clerk"], case.id, row.id or 0, now=later)
    assert recorded.state != "supplement-required"
    assert recorded.ledger[-1] == {"type": "supplement_received", "date": legal_date(arrived).isoformat()}
    assert legal_date(arrived) != legal_date(later)
    (row,) = rows(web)
    assert row.status == "recorded" and row.decided_by == "clerk"
    with Session(web.engine) as s:
        docs = s.exec(
            select(CaseDocument).where(
                col(CaseDocument.case_id) == case.id, col(CaseDocument.kind) == "supplement"
            )
        ).all()
        event = s.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == case.id)
            .order_by(col(EvidenceEvent.seq).desc())
        ).first()
    assert [(d.kind, d.sha256) for d in docs] == [("supplement", row.files[0]["sha256"])]
    assert event is not None and event.action == "receive_supplement" and docs[0].event_seq == event.seq
    facts = json.loads(event.payload)["facts"]
    assert facts["received_on"] == legal_date(arrived).isoformat()
    assert facts["summary"] == "所需信息为2025年第3号合同"
    assert facts["applicant_submission_sha256"] == row.content_sha256
    assert facts["applicant_submitted_at"] == arrived.isoformat()
    assert facts["applicant_client_address"] == "testclient"
    events = web.api("clerk").get(f"{API}/requests/{case.id}/events").json()
    assert verify_events(recorded.tracking_no, events)[0] is None
    shown = view(web, case.id)
    assert not shown["supplement_offered"] and shown["followups"][0]["status"] == "recorded"
    after = web.browser("clerk").get(f"/cases/{case.id}").text
    assert "登记收到补正" not in after
    assert "申请人（网上提交，" in after  # the supplement's file is the applicant's, filed by the clerk


def test_the_forms_accept_the_opaque_origin_of_a_no_referrer_page_and_refuse_other_sites(
    web: Web, world: World
) -> None:
    # The request page is served with Referrer-Policy: no-referrer, so a browser posts its forms with
    # "Origin: null"; a post claiming another site is refused and stores nothing.
    case, token = awaiting_supplement(world)
    applicant = web.client()
    forged = applicant.post(
        f"/public/r/{token}/supplement", data={"text": "补正"}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403 and rows(web) == []
    sent = applicant.post(f"/public/r/{token}/supplement", data={"text": "补正"}, headers={"Origin": "null"})
    assert sent.status_code == 303 and [r.kind for r in rows(web)] == ["supplement"]


def test_supplement_refused_outside_its_state_on_bad_input_and_while_one_is_pending(
    web: Web, world: World
) -> None:
    fresh = world.new_case()
    assert fresh.id is not None
    applicant = web.client()
    refused = supplement(applicant, sign_link(fresh.id, fresh.query_code), "补正内容")
    assert refused.status_code == 409 and "本申请当前不需要补正" in refused.text
    assert 'id="supplement-form"' not in refused.text and rows(web) == []
    assert not view(web, fresh.id)["supplement_offered"] and view(web, fresh.id)["withdrawal_offered"]

    case, token = awaiting_supplement(world)
    assert case.id is not None
    empty = supplement(applicant, token, "  ")
    assert empty.status_code == 422 and "请填写补正内容" in empty.text and rows(web) == []
    wrong = supplement(applicant, token, "见附件", ("run.exe", b"MZ\x90\x00" + b"\x00" * 64))
    assert wrong.status_code == 422 and "不是允许上传的文件类型" in wrong.text
    assert ">见附件</textarea>" in wrong.text and rows(web) == []  # the typed text kept, nothing stored
    forged = supplement(applicant, token + "x", "补正内容")
    assert forged.status_code == 404 and rows(web) == []

    assert supplement(applicant, token, "第一次补正").status_code == 303
    second = supplement(applicant, token, "第二次补正")
    assert second.status_code == 409 and "尚待机关登记" in second.text
    assert [r.text for r in rows(web)] == ["第一次补正"]


def test_withdrawal_confirmed_on_the_case_page(web: Web, world: World) -> None:
    case = world.new_case()
    assert case.id is not None
    token = sign_link(case.id, case.query_code)
    applicant = web.client()
    empty = applicant.post(f"/public/r/{token}/withdraw", data={"reason": ""})
    assert empty.status_code == 422 and "请填写撤回的理由" in empty.text and rows(web) == []
    sent = applicant.post(f"/public/r/{token}/withdraw", data={"reason": "已通过其他途径获得"})
    assert sent.status_code == 303
    (row,) = rows(web)
    assert row.kind == "withdrawal" and not view(web, case.id)["withdrawal_offered"]

    clerk = web.browser("clerk")
    csrf = web.csrf(clerk, f"/cases/{case.id}")
    assert "确认撤回" in clerk.get(f"/cases/{case.id}").text
    done = clerk.post(f"/cases/{case.id}/applicant-submissions/{row.id}/record", data={"csrf_token": csrf})
    assert done.status_code == 303, done.text
    stored = web.case(case.id)
    arrived = legal_date(row.submitted_at.astimezone(SHANGHAI))
    assert stored.state == "withdrawn" and stored.closed_on == arrived
    (row,) = rows(web)
    assert row.status == "recorded"
    again = clerk.post(f"/cases/{case.id}/applicant-submissions/{row.id}/record", data={"csrf_token": csrf})
    assert again.status_code == 409 and web.case(case.id).version == stored.version
    shown = view(web, case.id)
    assert not shown["withdrawal_offered"] and "已经答复或终止" in shown["withdrawal_refusal"]


def test_decline_and_a_refused_record_leaves_everything_pending(web: Web, world: World) -> None:
    case, token = awaiting_supplement(world)
    assert case.id is not None
    applicant, clerk = web.client(), web.api("clerk")
    assert supplement(applicant, token, "广告内容").status_code == 303
    (spam,) = rows(web)
    path = f"{API}/requests/{case.id}/applicant-submissions/{spam.id}"
    assert clerk.post(f"{path}/decline", json={"note": " "}).status_code == 422
    version = web.case(case.id).version
    declined = clerk.post(f"{path}/decline", json={"note": "内容与补正告知无关"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    # the decision is an event in the request's chain; the request is unchanged but for it
    stored = web.case(case.id)
    assert stored.state == "supplement-required" and stored.version == version + 1
    events = clerk.get(f"{API}/requests/{case.id}/events").json()
    assert verify_events(stored.tracking_no, events)[0] is None
    last = events[-1]
    assert (last["action"], last["actor"], last["from_state"], last["to_state"]) == (
        "decline_applicant_submission",
        "clerk",
        "supplement-required",
        "supplement-required",
    )
    facts = json.loads(last["payload"])["facts"]
    assert facts["submission_id"] == spam.id and facts["note"] == "内容与补正告知无关"
    assert facts["applicant_submission_sha256"] == spam.content_sha256
    assert facts["applicant_client_address"] == "testclient"
    assert dt.datetime.fromisoformat(facts["applicant_submitted_at"]) == spam.submitted_at
    shown = view(web, case.id)
    assert shown["supplement_offered"] and shown["followups"][0]["note"] == "内容与补正告知无关"
    assert clerk.post(f"{path}/record").status_code == 409  # decided already
    assert web.case(case.id).state == "supplement-required"

    assert supplement(applicant, token, "补正内容").status_code == 303
    pending = rows(web)[-1]
    # meanwhile the clerk recorded a supplement received on paper: the request moved on
    world.act(case, "receive_supplement", {"summary": "纸质补正"}, at=T0 + dt.timedelta(days=2))
    before = snapshot(world.session, case.id)
    refused = clerk.post(f"{API}/requests/{case.id}/applicant-submissions/{pending.id}/record")
    assert refused.status_code == 409 and refused.json()["code"] == IllegalTransition.code
    assert snapshot(world.session, case.id) == before
    assert rows(web)[-1].status == "pending"
    # another agency's clerk does not see the request; a reviewer may not record
    other = web.api("district_clerk")
    assert other.get(f"{API}/requests/{case.id}/applicant-submissions").status_code == 404
    assert (
        other.post(f"{API}/requests/{case.id}/applicant-submissions/{pending.id}/record").status_code == 404
    )
    reviewer = web.api("reviewer")
    assert (
        reviewer.post(f"{API}/requests/{case.id}/applicant-submissions/{pending.id}/record").status_code
        == 403
    )
    assert (
        reviewer.post(
            f"{API}/requests/{case.id}/applicant-submissions/{pending.id}/decline", json={"note": "x"}
        ).status_code
        == 403
    )
    assert rows(web)[-1].status == "pending"


def test_files_of_a_pending_submission_survive_the_orphans_job(web: Web, world: World) -> None:
    from caseflow.dates import now
    from caseflow.scheduled.orphans import sweep_store
    from tests.integration import stored

    case, token = awaiting_supplement(world)
    assert supplement(web.client(), token, "见附件", ("证明.pdf", PDF)).status_code == 303
    (row,) = rows(web)
    held = row.files[0]["sha256"]
    stored.age(web.engine, held, 3)
    orphan = hashlib.sha256(b"nobody's bytes").hexdigest()
    with Session(web.engine) as s:
        DocumentStore().put(s, b"nobody's bytes", media_type="application/pdf")
        s.commit()
    stored.age(web.engine, orphan, 3)
    result = sweep_store(web.engine, now())
    assert [line.split()[0] for line in result.done] == [orphan]
    assert stored.exists(web.engine, held)
