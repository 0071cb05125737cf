"""The applicant's request page (issue 18 / C), on SQLite and PostgreSQL: look-up by tracking number and
query code → a signed link → the page (state, receipt date, deadline, what is awaited, the letters to the
applicant); refused links; downloads, the first of each letter recorded as its electronic delivery."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from typing import Any
from urllib.parse import quote

from freezegun import freeze_time
from sqlalchemy import update
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.calendar import default_calendar
from caseflow.cases.applicant_download import ACTION, DOWNLOADED
from caseflow.dates import SHANGHAI, legal_date, zh
from caseflow.errors import RuleViolation
from caseflow.models import Case, EvidenceEvent, Letter, NoticeDelivery
from caseflow.portal import access, downloads
from tests.integration.conftest import World
from tests.integration.conftest import refused_unchanged as refused
from tests.integration.test_tamper import run_cli
from tests.integration.webapp import Web

SUPPLEMENT = {"items": ["所需信息的具体名称或文号"]}
PROVIDED = {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表（电子版）"}
LINK = re.compile(r"^/public/r/([A-Za-z0-9_.\-]+)$")


def today() -> dt.date:
    return legal_date(dt.datetime.now(SHANGHAI))


def look_up(web: Web, case: Case, code: str | None = None) -> Any:
    return web.browser(None).post(
        "/public/request",
        data={"tracking_no": case.tracking_no, "code": code or case.query_code},
        follow_redirects=False,
    )


def link_of(web: Web, case: Case) -> str:
    response = look_up(web, case)
    assert response.status_code == 303, response.text
    assert response.headers["referrer-policy"] == "no-referrer"
    location: str = response.headers["location"]
    assert LINK.match(location), location
    return location


def download_events(web: Web, case_id: int) -> list[dict[str, Any]]:
    with Session(web.engine) as s:
        rows = s.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == case_id, col(EvidenceEvent.action) == ACTION)
            .order_by(col(EvidenceEvent.seq))
        ).all()
        return [json.loads(r.payload) for r in rows]


def letter_of(web: Web, case_id: int, doc_type: str) -> Letter:
    return next(x for x in web.letters(case_id) if x.doc_type == doc_type)


def fetch(web: Web, link: str, letter: Letter, fmt: str = "") -> Any:
    suffix = f"?format={fmt}" if fmt else ""
    return web.browser(None).get(f"{link}/letters/{quote(letter.letter_no)}{suffix}")


def test_look_up_then_page_shows_state_dates_and_letters(web: Web, world: World) -> None:
    case = world.new_case()
    link = link_of(web, case)
    page = web.browser(None).get(link)
    assert page.status_code == 200, page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    text = page.text
    assert case.tracking_no in text and "已受理，正在办理" in text
    assert zh(case.receipt_date) in text
    assert case.reply_due is not None and f"最迟于{zh(case.reply_due)}" in text
    assert "20个工作日内答复" in text and "第三十三条第二款" in text
    assert f"等待机关答复，最迟于{zh(case.reply_due)}" in text
    receipt = letter_of(web, case.id or 0, "receipt")
    assert "政府信息公开申请登记回执" in text and receipt.letter_no in text
    assert f"{link}/letters/" in text
    # nothing personal or internal: not the applicant's name, ID number, phone, nor the handler
    for secret in ("王小明", "110101", "13800000000", "clerk", "道路维修工程"):
        assert secret not in text, secret
    # the older status page offers the richer page (a signed link to the same request)
    status = web.browser(None).post(
        "/public/status", data={"tracking_no": case.tracking_no, "code": case.query_code}
    )
    found = re.search(r'id="request-link" href="(/public/r/[^"]+)"', status.text)
    assert status.status_code == 200 and found is not None
    assert web.browser(None).get(found.group(1)).status_code == 200


def test_wrong_code_and_unknown_number_answer_alike(web: Web, world: World) -> None:
    case = world.new_case()
    wrong = web.browser(None).post(
        "/public/request", data={"tracking_no": case.tracking_no, "code": "WRONG1"}
    )
    unknown = web.browser(None).post(
        "/public/request", data={"tracking_no": case.tracking_no + "9", "code": "WRONG1"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert "未找到：请核对查询编号和查询码。" in wrong.text
    strip = (case.tracking_no + "9", case.tracking_no)  # the number typed is kept in the form
    assert wrong.text == unknown.text.replace(*strip)
    # the form page itself shows nothing of any request
    form = web.browser(None).get("/public/request")
    assert form.status_code == 200 and "查询编号" in form.text and "查询码" in form.text
    assert (
        case.tracking_no not in form.text and "王小明" not in form.text and case.query_code not in form.text
    )


def test_expired_tampered_and_outdated_links_are_refused(web: Web, world: World) -> None:
    case = world.new_case()
    assert case.id is not None
    with freeze_time(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=access.LOOKUP_LINK_SECONDS + 60)):
        old = access.sign_link(case.id, case.query_code)
    expired = web.browser(None).get(f"/public/r/{old}")
    assert expired.status_code == 410 and "链接已过期" in expired.text and 'name="code"' in expired.text
    assert case.tracking_no not in expired.text
    # a link sent by mail lives longer: the same age is fine
    with freeze_time(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=access.LOOKUP_LINK_SECONDS + 60)):
        sent = access.sign_link(case.id, case.query_code, sent=True)
    assert web.browser(None).get(f"/public/r/{sent}").status_code == 200

    link = link_of(web, case)
    token = link.rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    refused = web.browser(None).get(f"/public/r/{tampered}")
    assert refused.status_code == 403 and "链接无效" in refused.text and case.tracking_no not in refused.text
    receipt = letter_of(web, case.id, "receipt")
    assert fetch(web, f"/public/r/{tampered}", receipt).status_code == 403
    # a new query code makes every earlier link stop working
    with Session(web.engine) as s:
        s.execute(update(Case).where(col(Case.id) == case.id).values(query_code="NEWCODE234"))
        s.commit()
    changed = web.browser(None).get(link)
    assert changed.status_code == 403 and "查询码已变更" in changed.text
    assert fetch(web, link, receipt).status_code == 403 and download_events(web, case.id) == []


def test_receipt_first_download_recorded_once(web: Web, world: World) -> None:
    case = world.new_case()
    assert case.id is not None
    link = link_of(web, case)
    receipt = letter_of(web, case.id, "receipt")
    events_before = web.events(case.id)
    first = fetch(web, link, receipt)
    assert first.status_code == 200 and "登记回执" in first.text
    assert first.headers["content-security-policy"].startswith("default-src 'none'")
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["referrer-policy"] == "no-referrer"
    (event,) = download_events(web, case.id)
    facts = event["facts"]
    assert event["actor"] == "system" and event["from"] == event["to"] == "received"
    assert facts["letter_no"] == receipt.letter_no and facts["doc_type"] == "receipt"
    assert facts["sha256"] == hashlib.sha256(first.content).hexdigest() == receipt.html_sha256
    assert facts["client_address"] == "testclient" and facts["format"] == "html"
    assert dt.datetime.fromisoformat(facts["downloaded_at"]).tzinfo is not None
    assert "delivered_on" not in facts and "received_on" not in facts  # a receipt starts nothing
    assert web.case(case.id).delivered_on is None
    second = fetch(web, link, receipt)
    assert second.status_code == 200 and second.content == first.content
    assert web.events(case.id) == events_before + 1 and len(download_events(web, case.id)) == 1
    # the page says it was downloaded; no PDF in this installation: refused in Chinese, nothing recorded
    assert "已下载" in web.browser(None).get(link).text
    pdf = fetch(web, link, receipt, "pdf")
    assert pdf.status_code == 404 and "PDF" in pdf.text and web.events(case.id) == events_before + 1


def test_supplement_notice_download_is_electronic_delivery(web: Web, world: World) -> None:
    case = world.new_case()
    case = world.act(case, "request_supplement", SUPPLEMENT)
    assert case.id is not None and case.supplement_due is None  # not delivered: no period yet
    world.session.rollback()
    link = link_of(web, case)
    page = web.browser(None).get(link).text
    assert "请按补正申请告知书的要求补正申请内容" in page and "下载告知书即视为收到" in page
    notice = letter_of(web, case.id, "supplement_notice")
    assert fetch(web, link, notice).status_code == 200
    day = today()
    with Session(web.engine) as s:
        (row,) = s.exec(select(NoticeDelivery).where(col(NoticeDelivery.case_id) == case.id)).all()
    assert row.letter_id == notice.id and row.method == law.DeliveryMethod.ELECTRONIC.value
    assert row.received_on == day and row.recorded_by == "system" and "testclient" in row.proof
    period = law.period_from_delivery("supplement_notice")
    assert period is not None and period.days is not None
    due = default_calendar().add_working_days(day, web.case(case.id).supplement_days or period.days)
    assert web.case(case.id).supplement_due == due
    (event,) = download_events(web, case.id)
    assert event["facts"]["supplement_due"] == due.isoformat() and event["facts"]["method"] == "electronic"
    after = web.browser(None).get(link).text
    assert f'截止日期：<strong id="awaited-until">{zh(due)}</strong>' in after
    # the evidence holds: the chain and the row replayed from it (caseflow verify)
    result = run_cli(world.session, web.engine.url.render_as_string(hide_password=False), "verify")
    assert result.exit_code == 0, result.output


def test_reply_download_sets_delivered_on(web: Web, world: World) -> None:
    case = world.new_case()
    case = world.act(case, "draft_reply", PROVIDED)
    case = world.act(case, "confidentiality_review", {"conclusion": "agree"}, actor="reviewer")
    case = world.act(case, "issue_reply", {})
    assert case.id is not None and case.state == "answered" and case.delivered_on is None
    world.session.rollback()
    link = link_of(web, case)
    page = web.browser(None).get(link).text
    assert "已答复" in page and "政府信息公开申请答复书" in page
    reply = letter_of(web, case.id, "reply")
    assert fetch(web, link, reply).status_code == 200
    assert web.case(case.id).delivered_on == today()
    (event,) = download_events(web, case.id)
    assert event["facts"]["delivered_on"] == today().isoformat() and event["facts"]["method"] == "online"
    # the case page shows the delivery; a second download changes nothing
    staff = web.browser("clerk").get(f"/cases/{case.id}").text
    assert law.ONLINE_DOWNLOAD_PROOF in staff
    assert fetch(web, link, reply).status_code == 200 and len(download_events(web, case.id)) == 1
    result = run_cli(world.session, web.engine.url.render_as_string(hide_password=False), "verify")
    assert result.exit_code == 0, result.output


def test_concurrent_first_downloads_record_one_delivery(web: Web, world: World) -> None:
    case = world.new_case()
    case = world.act(case, "request_supplement", SUPPLEMENT)
    assert case.id is not None
    world.session.rollback()
    notice = letter_of(web, case.id, "supplement_notice")
    start = threading.Barrier(2)
    recorded: list[bool] = []
    errors: list[BaseException] = []

    def download(address: str) -> None:
        try:
            with Session(web.engine) as s:
                mine = s.get(Case, case.id)
                assert mine is not None
                start.wait(timeout=10)
                recorded.append(downloads.serve(s, mine, notice.letter_no, "html", address)[2])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=download, args=(f"10.0.0.{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and sorted(recorded) == [False, True]
    assert len(download_events(web, case.id)) == 1
    with Session(web.engine) as s:
        assert len(s.exec(select(NoticeDelivery).where(col(NoticeDelivery.case_id) == case.id)).all()) == 1
    # the engine itself refuses a second record of the letter's download, changing nothing
    world.session.expire_all()
    again = {
        "letter_no": notice.letter_no,
        "format": "html",
        "sha256": notice.html_sha256,
        "client_address": "x",
    }
    err = refused(world, case, RuleViolation, ACTION, again, at=dt.datetime.now(SHANGHAI), actor="system")
    assert err.code == DOWNLOADED
    # and a record naming bytes that are not the letter's is refused too
    forged = {**again, "sha256": "0" * 64}
    assert refused(world, case, RuleViolation, ACTION, forged, at=dt.datetime.now(SHANGHAI), actor="system")


def test_application_status_links_to_the_request_page(web: Web, world: World) -> None:
    from tests.integration.test_portal_applications import submitted

    body = submitted(web)
    clerk = web.api("clerk")
    (pending,) = clerk.get("/api/v1/applications", params={"status": "pending"}).json()
    assert clerk.post(f"/api/v1/applications/{pending['id']}/confirm").status_code == 201
    seen = (
        web.api(None)
        .get(f"/api/v1/public/applications/{body['submission_no']}", params={"code": body["access_code"]})
        .json()
    )
    assert LINK.match(seen["request_link"]) and [x["doc_type"] for x in seen["letters"]] == ["receipt"]
    assert web.browser(None).get(seen["request_link"]).status_code == 200
