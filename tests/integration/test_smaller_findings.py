"""Issue 13, smaller findings, through HTTP: record-only actions not offered as actions, the evidence
download as POST with CSRF for browser sessions, file names in RFC 5987 form, notifications linking
only to the system's own pages, a letter's 404 that tells nothing, agency codes, xlsx text cells."""

from __future__ import annotations

import email.message
import email.utils
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from caseflow.accounts import create_agency
from caseflow.errors import FactsError
from caseflow.models import Agency, Notification
from caseflow.reports import service as reports
from tests.integration import stored
from tests.integration.conftest import World
from tests.integration.webapp import Web

API = "/api/v1"


def _case(web: Web) -> int:
    case = web.world.new_case()
    web.world.session.commit()
    assert case.id is not None
    return case.id


def filename_of(header: str) -> str | None:
    """The file name a client reads from a Content-Disposition: ``filename*`` (RFC 5987/2231,
    decoded by the standard library) before the plain ``filename`` (RFC 6266 section 4.3)."""
    header.encode("latin-1")  # a header must be latin-1: raises if the name was put in raw
    message = email.message.Message()
    message["Content-Disposition"] = header
    params = message.get_params(header="content-disposition") or []
    extended = [v for k, v in params if k == "filename" and isinstance(v, tuple)]
    if extended:
        return email.utils.collapse_rfc2231_value(extended[0])
    return message.get_filename()


# --- 1. record-only actions are not actions ----------------------------------------------------


@pytest.mark.parametrize("action", ["export_evidence", "view_identity", "recalculate_deadline"])
def test_record_only_actions_not_taken_through_the_api(web: Web, action: str) -> None:
    case_id = _case(web)
    before = web.events(case_id)
    reply = web.api("auditor" if action != "recalculate_deadline" else "clerk").post(
        f"{API}/requests/{case_id}/actions/{action}", json={"facts": {"scope": "伪造的导出"}}
    )
    assert reply.status_code == 404, reply.text
    assert web.events(case_id) == before


def test_record_only_actions_not_taken_through_the_page_form(web: Web) -> None:
    case_id = _case(web)
    before = web.events(case_id)
    client = web.browser("auditor")
    token = web.csrf(client, f"/cases/{case_id}")
    reply = client.post(
        f"/cases/{case_id}/actions/export_evidence", data={"csrf_token": token, "scope": "伪造的导出"}
    )
    assert reply.status_code == 404 and "没有该操作" in reply.text
    assert web.events(case_id) == before


# --- 4. the evidence download: POST with CSRF for browser sessions ------------------------------


def test_case_page_downloads_evidence_by_post_with_csrf(web: Web) -> None:
    case_id = _case(web)
    before = web.events(case_id)
    client = web.browser("auditor")
    page = client.get(f"/cases/{case_id}")
    assert f'<form method="post" action="/cases/{case_id}/evidence"' in page.text
    assert f'href="/cases/{case_id}/evidence"' not in page.text

    assert client.get(f"/cases/{case_id}/evidence").status_code == 405  # a link cannot export
    assert client.post(f"/cases/{case_id}/evidence", data={}).status_code == 403  # no CSRF token
    assert client.post(f"/cases/{case_id}/evidence", data={"csrf_token": "0" * 64}).status_code == 403
    assert web.events(case_id) == before

    reply = client.post(
        f"/cases/{case_id}/evidence", data={"csrf_token": web.csrf(client, f"/cases/{case_id}")}
    )
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(reply.content)).namelist()
    assert web.events(case_id) == before + 1
    tracking = web.case(case_id).tracking_no
    assert filename_of(reply.headers["content-disposition"]) == f"{tracking}-evidence.zip"


def test_api_evidence_get_only_for_bearer_tokens(web: Web) -> None:
    case_id = _case(web)
    before = web.events(case_id)
    browser = web.browser("auditor")
    refused = browser.get(f"{API}/requests/{case_id}/evidence")  # cookie session: CSRF-prone, refused
    assert refused.status_code == 403 and "POST" in refused.json()["detail"]
    assert browser.post(f"{API}/requests/{case_id}/evidence").status_code == 403  # no X-CSRF-Token
    assert web.events(case_id) == before

    token = web.csrf(browser, f"/cases/{case_id}")
    posted = browser.post(f"{API}/requests/{case_id}/evidence", headers={"X-CSRF-Token": token})
    assert posted.status_code == 200 and web.events(case_id) == before + 1
    assert web.api("auditor").get(f"{API}/requests/{case_id}/evidence").status_code == 200
    assert web.api("auditor").post(f"{API}/requests/{case_id}/evidence").status_code == 200
    assert web.events(case_id) == before + 3


def test_http_export_event_names_the_package_sent(web: Web) -> None:
    import hashlib
    import json

    from caseflow.models import EvidenceEvent

    case_id = _case(web)
    reply = web.api("auditor").post(f"{API}/requests/{case_id}/evidence")
    assert reply.status_code == 200
    with Session(web.engine) as s:
        last = s.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == case_id)
            .order_by(col(EvidenceEvent.seq).desc())
        ).first()
    assert last is not None and last.action == "export_evidence"
    assert json.loads(last.payload)["facts"]["package_sha256"] == hashlib.sha256(reply.content).hexdigest()


def test_http_export_that_fails_records_nothing(web: Web) -> None:
    from caseflow.models import CaseDocument

    case_id = _case(web)
    before = web.events(case_id)
    with Session(web.engine) as s:
        sha = s.exec(select(CaseDocument.sha256).where(col(CaseDocument.case_id) == case_id)).first()
    assert sha is not None
    stored.remove(web.engine, sha)  # the receipt letter's bytes are gone
    web.raise_server_exceptions = False
    reply = web.api("auditor").post(f"{API}/requests/{case_id}/evidence")
    assert reply.status_code == 500
    assert web.events(case_id) == before


# --- 3. file names: RFC 5987 everywhere ---------------------------------------------------------


def test_letter_downloads_name_the_file_by_its_number(web: Web) -> None:
    case_id = _case(web)
    letter = web.letters(case_id)[0]
    assert any(ord(ch) > 127 for ch in letter.letter_no)  # 某政办公开〔2026〕…: not ASCII
    page = web.browser("clerk").get(f"/cases/{case_id}/letters/{letter.id}?format=html")
    api = web.api("clerk").get(f"{API}/letters/{letter.id}", params={"format": "html"})
    for reply in (page, api):
        assert reply.status_code == 200
        header = reply.headers["content-disposition"]
        assert header.startswith("inline; ") and f'filename="letter-{letter.id}.html"' in header
        assert filename_of(header) == f"{letter.letter_no}.html"


def test_report_download_names(web: Web) -> None:
    reply = web.api("supervisor").get(f"{API}/reports/annual", params={"year": 2025, "format": "xlsx"})
    assert reply.status_code == 200, reply.text
    header = reply.headers["content-disposition"]
    assert 'filename="city-2025-annual-report.xlsx"' in header
    assert filename_of(header) == "city-2025年度报告表三表四.xlsx"


# --- 6. a letter of another agency's request is answered as one that does not exist ------------


def test_letter_of_another_agency_answers_like_a_missing_one(web: Web) -> None:
    case_id = _case(web)
    letter = web.letters(case_id)[0]
    tracking = web.case(case_id).tracking_no
    hidden = web.api("dept_clerk").get(f"{API}/letters/{letter.id}")
    missing = web.api("dept_clerk").get(f"{API}/letters/{2_000_000}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert tracking not in hidden.text and str(case_id) not in hidden.json()["detail"]

    # the page: a letter id of another request (of another agency) on one's own request's path
    own = web.world.new_case(agency="dept", actor="dept_clerk")
    web.world.session.commit()
    client = web.browser("dept_clerk")
    other = client.get(f"/cases/{own.id}/letters/{letter.id}")
    none = client.get(f"/cases/{own.id}/letters/{2_000_000}")
    assert other.status_code == none.status_code == 404
    assert tracking not in other.text and "没有这份文书" in other.text and "没有这份文书" in none.text


# --- 5. notifications link only to the system's own pages ---------------------------------------


def test_notification_links_only_to_own_paths(web: Web) -> None:
    case_id = _case(web)
    with Session(web.engine) as s:
        clerk = s.exec(select(Agency).where(col(Agency.code) == "city")).one()
        from caseflow.models import User

        user = s.exec(select(User).where(col(User.username) == "clerk")).one()
        assert clerk.id is not None and user.id is not None
        body = "\n".join(
            [
                "请处理",
                "https://evil.example/login",
                "//evil.example/x",
                "/\\evil.example",
                "/\t/evil.example",
                "javascript:alert(1)",
                f"/cases/{case_id}",
            ]
        )
        s.add(
            Notification(dedupe_key="test:evil", user_id=user.id, reason="overdue", title="逾期", body=body)
        )
        s.commit()
    page = web.browser("clerk").get("/notifications")
    assert page.status_code == 200
    assert f'<a href="/cases/{case_id}">/cases/{case_id}</a>' in page.text
    anchors = re.findall(r'<a href="([^"]*)"', page.text)
    assert f"/cases/{case_id}" in anchors
    assert not [a for a in anchors if "evil" in a or "javascript" in a or a.startswith("//")]
    assert "https://evil.example/login" in page.text  # shown, as text
    listed = web.api("clerk").get(f"{API}/notifications").json()["items"][0]["lines"]
    assert [line["href"] for line in listed] == [None, None, None, None, None, None, f"/cases/{case_id}"]


# --- 2. agency codes -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["City", "某市", "a b", "a_b", "a" * 41, "", "a/b", "../x", "x\n"])
def test_agency_codes_are_refused_outside_the_pattern(world: World, code: str) -> None:
    with pytest.raises(FactsError) as caught:
        create_agency(world.session, code=code, name="某机关", parent_code="city")
    world.session.rollback()
    (field, message), *_ = caught.value.errors
    assert field == "code" and "机关代码" in message and "小写字母" in message
    assert world.session.exec(select(Agency).where(col(Agency.code) == code)).first() is None


def test_agency_codes_within_the_pattern_are_taken(world: World) -> None:
    for code in ("a", "city-2", "0-9", "x" * 40):
        create_agency(world.session, code=code, name="某机关", parent_code="city")
    world.session.commit()


def test_admin_page_refuses_a_bad_agency_code(web: Web) -> None:
    client = web.browser("admin")
    token = web.csrf(client, "/admin")
    before = web.count(Agency)
    reply = client.post("/admin/agencies", data={"csrf_token": token, "code": "东区", "name": "某市东区"})
    assert reply.status_code == 422 and "机关代码只能由小写字母" in reply.text
    assert web.count(Agency) == before
    good = client.post("/admin/agencies", data={"csrf_token": token, "code": "east-2", "name": "某市东区"})
    assert good.status_code == 303 and web.count(Agency) == before + 1


def test_shipped_agency_codes_comply() -> None:
    from caseflow.accounts import AGENCY_CODE
    from caseflow.demo_data import AGENCIES

    assert all(AGENCY_CODE.fullmatch(code) for code, *_ in AGENCIES)


# --- 7. xlsx cells from input are text, never formulas ------------------------------------------


def test_annual_report_xlsx_writes_an_agency_name_as_text(world: World) -> None:
    import datetime as dt

    name = '=HYPERLINK("http://x","y")'
    create_agency(world.session, code="evil", name=name, parent_code="city", letter_prefix="恶公开")
    world.session.commit()
    result = reports.annual(
        world.session, world["supervisor"], year=2025, agency_code="evil", today=dt.date(2026, 3, 1)
    )
    data = result.render(reports.ReportFormat.XLSX)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in book.read(n) or b"<f " in book.read(n) for n in sheets)
        assert b'quotePrefix="1"' in book.read("xl/styles.xml")
    workbook = load_workbook(io.BytesIO(data))
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if c.value]
    named = [c for c in cells if isinstance(c.value, str) and name in c.value]
    assert named and all(c.data_type == "s" for c in named)
    assert all(c.data_type != "f" for c in cells)
    first = [c for c in named if str(c.value).startswith("=")]
    assert first and all(c.quotePrefix for c in first)
