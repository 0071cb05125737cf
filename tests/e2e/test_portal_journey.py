"""The applicant's side of issue 18 end to end, in Chromium, the applicant on a phone (390×844, touch).

The applicant applies online with an ID scan (/public/apply) and gets a submission number and an
access code; the clerk confirms it in the inbox (/applications); the applicant learns the tracking
number and query code from the submission's status (the public JSON route, fetched by the phone's
own context), looks the request up (/public/request) and downloads the receipt: the case page's
timeline then shows the download. The clerk asks for a supplement; the applicant downloads the
notice (electronic delivery: the supplement period now has its end, shown on the phone) and answers
online with text and a PDF; the clerk records it with one button. The reply (withholding, so the
reviewer approves it first, as in ``test_journey``) is issued; the applicant downloads it and the
case page shows it delivered online. The clerk's evidence package holds every step (the online
submission's facts in the register event, the downloads, the supplement with the submission's hash,
the reply and its delivery) and verifies, offline and with ``caseflow evidence verify --key``.

The clerk and the reviewer use desktop-width contexts (1280 px): the phone is the applicant's.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from caseflow.evidence.verify import verify_package
from tests.e2e.conftest import ROOT, demo_server
from tests.e2e.helpers import TIMEOUT_MS, assert_chinese, login, new_page, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize

PHONE: ViewportSize = {"width": 390, "height": 844}
APPLICANT = "赵小燕"
DESCRIPTION = "2026年本市背街小巷整治工程的立项批复文件"
SUPPLEMENT_TEXT = "所需文件为2026年3月市发展改革委作出的立项批复，涉及东城区背街小巷。"
REASONS = "申请公开的信息属于行政机关在履行行政管理职能过程中形成的讨论记录、过程稿。"


# --- the applicant's phone -------------------------------------------------------------------


def phone_page(browser: Browser, base: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        base_url=base,
        locale="zh-CN",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def fits_the_phone(page: Page, where: str) -> None:
    """No sideways scrolling, no English sentence; then a screenshot."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where}: the page is {width} px wide on a {PHONE['width']} px phone"
    assert_chinese(page, where)


def applicant_shot(page: Page, folder: Path, name: str) -> None:
    fits_the_phone(page, name)
    shoot(page, folder, f"portal-journey-{name}")


def id_scan_png(folder: Path) -> Path:
    """A small real PNG (a card-like picture) written to disk, as a phone's camera roll holds one."""
    image = Image.new("RGB", (320, 200), (235, 240, 250))
    for x in range(20, 110):
        for y in range(40, 150):
            image.putpixel((x, y), (120, 140, 170))
    path = folder / "身份证正面.png"
    image.save(path, "PNG")
    return path


def supplement_pdf(folder: Path) -> Path:
    """A real one-page PDF (Pillow writes it)."""
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (255, 255, 255)).save(out, "PDF")
    path = folder / "补正说明.pdf"
    path.write_bytes(out.getvalue())
    return path


def submission_status(page: Page, submission_no: str, access_code: str) -> dict[str, Any]:
    """The submission's status as the portal's JSON route answers it (through the phone's context)."""
    answer = page.request.get(f"/api/v1/public/applications/{submission_no}", params={"code": access_code})
    assert answer.ok, f"{answer.status}: {answer.text()}"
    found: dict[str, Any] = answer.json()
    return found


def letter_item(page: Page, name: str) -> Locator:
    return page.locator("#letters li", has_text=name)


def download_letter(page: Page, name: str) -> None:
    """Open the letter's web version (shown inline: on a phone, reading it is the point)."""
    with page.expect_navigation():
        letter_item(page, name).get_by_role("link", name="下载（网页）").click()
    expect(page.locator("body")).to_contain_text(name)


# --- the clerk's pages -----------------------------------------------------------------------


def act(page: Page, action: str, label: str, fields: dict[str, str] | None = None, **selects: str) -> None:
    """Open the action's <details> on the case page, fill it, submit; back on the case page."""
    box = page.locator(f"#action-{action}")
    expect(box, f"the action {label} ({action}) is offered").to_be_visible()
    box.locator("summary").click()
    for name, value in selects.items():
        page.locator(f"#{action}-{name}").select_option(value)
    for name, value in (fields or {}).items():
        page.locator(f"#{action}-{name}").fill(value)
    with page.expect_navigation() as navigation:
        box.get_by_role("button", name=label, exact=True).click()
    response = navigation.value
    problems = " | ".join(page.locator(".flash, .error").all_inner_texts())
    assert response is not None and response.status == 200, f"{action}: {problems}"
    expect(page.locator("#done-notice")).to_have_text(f"已完成：{label}")


def badge(page: Page) -> Locator:
    return page.locator("h1 .badge").first


def confirm_in_inbox(page: Page, submission_no: str) -> None:
    """Confirm the application; if the page asks why the confirmation is later than the submission
    day (a submission just before midnight), give the reason it asks for."""
    page.goto("/applications")
    card = page.locator(f"[data-submission='{submission_no}']")
    expect(card).to_contain_text(DESCRIPTION)
    expect(card).to_contain_text("身份证正面.png")  # the ID scan, for the clerk to download
    expect(card).to_contain_text("已等待")
    assert_chinese(page, "inbox")
    with page.expect_navigation() as navigation:
        card.get_by_role("button", name="确认受理").click()
    response = navigation.value
    if response is not None and response.status == 422:
        card = page.locator(f"[data-submission='{submission_no}']")
        card.locator("textarea[name=late_confirmation_reason]").fill("提交于前一日深夜，今日上班后核对确认")
        with page.expect_navigation():
            card.get_by_role("button", name="确认受理").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))


def timeline_row(page: Page, action_name: str) -> Locator:
    return page.locator("#timeline tr", has_text=action_name)


# --- the evidence package ----------------------------------------------------------------------


def package_events(package: Path) -> tuple[list[dict[str, Any]], set[str]]:
    """(the events of the one request in the package, each with its facts; the stored file hashes)."""
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        lines = archive.read("data/events.jsonl").decode().splitlines()
    events = []
    for line in lines:
        event = json.loads(line)
        event["facts"] = json.loads(event["payload"]).get("facts", {})
        events.append(event)
    files = {n.rsplit("/", 1)[-1] for n in names if n.startswith(("data/documents/", "data/letters/"))}
    return events, files


def only(events: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [e for e in events if e["action"] == action]


# --- the journey -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo server of its own: the portal's rate limits count per client address in the database,
    and every browser test comes from 127.0.0.1; the journey (two submissions, about a dozen
    look-ups and page views within the default limits) must not share its counts with them."""
    with demo_server(tmp_path_factory.mktemp("portal-journey")) as (base, _db_url):
        yield base


def test_portal_journey_on_a_phone(
    portal_server: str, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    scan = id_scan_png(tmp_path)
    attachment = supplement_pdf(tmp_path)
    server = portal_server
    phone_ctx, phone = phone_page(browser, server)
    clerk_ctx, clerk = new_page(browser, server)
    try:
        # 1. The applicant applies on the phone, with the ID scan.
        phone.goto("/public/apply")
        fits_the_phone(phone, "apply form")
        phone.select_option("#agency", "city")
        phone.fill("#applicant_name", APPLICANT)
        phone.fill("#id_number", "110101199001061234")
        phone.fill("#phone", "13912345678")
        phone.fill("#email", "zhaoxy@example.cn")
        phone.fill("#description", DESCRIPTION)
        phone.select_option("#provision_form", "electronic")
        phone.set_input_files("#id_scan", str(scan))
        applicant_shot(phone, screenshots, "1-apply")
        with phone.expect_navigation():
            phone.get_by_role("button", name="提交申请").click()
        expect(phone.locator("h1")).to_have_text("网上申请已提交")
        submission_no = phone.locator("#submission-no").inner_text().strip()
        access_code = phone.locator("#access-code").inner_text().strip()
        assert re.fullmatch(r"W\d{8}-[A-Z2-9]{8}", submission_no), submission_no
        applicant_shot(phone, screenshots, "2-submitted")
        assert submission_status(phone, submission_no, access_code)["status"] == "awaiting_confirmation"

        # 2. The clerk confirms it in the inbox: the request is registered, channel 网络.
        login(clerk, "clerk")
        confirm_in_inbox(clerk, submission_no)
        case_url = clerk.url
        main = clerk.locator("main")
        expect(badge(clerk)).to_have_text("已受理")
        expect(main).to_contain_text(APPLICANT)
        expect(main).to_contain_text("网络")
        expect(timeline_row(clerk, "登记")).to_contain_text(submission_no)

        # 3. The applicant learns the tracking number and code from the submission's status, looks
        #    the request up and downloads the receipt.
        found = submission_status(phone, submission_no, access_code)
        assert found["status"] == "confirmed", found
        tracking_no, query_code = found["tracking_no"], found["query_code"]
        assert found["request_link"].startswith("/public/r/"), found
        expect(main).to_contain_text(f"查询码 {query_code}")
        phone.goto("/public/request")
        fits_the_phone(phone, "look-up form")
        phone.fill("#tracking_no", tracking_no)
        phone.fill("#code", query_code)
        with phone.expect_navigation():
            phone.get_by_role("button", name="查询").click()
        assert "/public/r/" in phone.url, phone.url
        request_page = phone.url
        expect(phone.locator("#tracking-no")).to_have_text(tracking_no)
        expect(phone.locator("#state")).to_have_text("已受理，正在办理")
        expect(letter_item(phone, "登记回执")).not_to_contain_text("已下载")
        applicant_shot(phone, screenshots, "3-request")
        download_letter(phone, "登记回执")
        shoot(phone, screenshots, "portal-journey-4-receipt")
        phone.goto(request_page)
        expect(letter_item(phone, "登记回执")).to_contain_text("已下载")
        clerk.goto(case_url)
        expect(timeline_row(clerk, "申请人在线下载")).to_have_count(1)

        # 4. The clerk asks for a supplement.
        act(clerk, "request_supplement", "发出补正告知", {"items": "请说明所需批复的发文机关和大致时间"})
        expect(badge(clerk)).to_have_text("待补正")

        # 5. The applicant downloads the notice (delivered: the period now has its end) and answers
        #    it online with text and a PDF.
        phone.goto(request_page)
        expect(phone.locator("#state")).to_have_text("需要您补正申请内容")
        expect(phone.locator("#awaited")).to_contain_text("下载告知书即视为收到")
        expect(phone.locator("#awaited-until")).to_have_count(0)
        download_letter(phone, "补正申请告知书")
        expect(phone.locator("body")).to_contain_text("请说明所需批复的发文机关和大致时间")
        shoot(phone, screenshots, "portal-journey-5-supplement-notice")
        phone.goto(request_page)
        expect(letter_item(phone, "补正申请告知书")).to_contain_text("已下载")
        expect(phone.locator("#awaited-until")).to_contain_text("年")
        supplement_due = phone.locator("#awaited-until").inner_text().strip()
        applicant_shot(phone, screenshots, "6-supplement-due")
        phone.fill("#supplement-text", SUPPLEMENT_TEXT)
        phone.set_input_files("#supplement-files", str(attachment))
        with phone.expect_navigation():
            phone.get_by_role("button", name="提交补正材料").click()
        assert phone.url.endswith("?sent=supplement"), (
            f"the online supplement was refused: {phone.url}: {phone.locator('main').inner_text()}"
        )
        expect(phone.locator("#supplement-pending")).to_be_visible()
        expect(phone.locator("#supplement-form-card")).to_have_count(0)
        applicant_shot(phone, screenshots, "7-supplement-sent")

        # The notice's delivery is on the case page, with the period's end the phone showed.
        clerk.goto(case_url)
        delivered = clerk.locator("#deliveries tr", has_text="补正")
        expect(delivered).to_contain_text("电子")
        expect(clerk.locator("#periods")).to_contain_text(supplement_due)

        # 6. The clerk records the supplement with one action.
        submission = clerk.locator("[id^='applicant-submission-']")
        expect(submission).to_contain_text(SUPPLEMENT_TEXT)
        expect(submission).to_contain_text("补正说明.pdf")
        submission_hash = submission.locator("code").inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", submission_hash), submission_hash
        assert_chinese(clerk, "case page with the online supplement")
        with clerk.expect_navigation():
            submission.get_by_role("button", name="登记收到补正").click()
        expect(badge(clerk)).to_have_text("已受理")
        expect(clerk.locator("[id^='applicant-submission-']")).to_have_count(0)
        expect(timeline_row(clerk, "收到补正")).to_have_count(1)
        phone.goto(request_page)
        expect(phone.locator("#state")).to_have_text("已受理，正在办理")
        expect(phone.locator("#applicant-actions")).to_contain_text("机关已于")

        # 7. The reply: drafted, approved by the reviewer, issued.
        act(clerk, "draft_reply", "拟定答复", {"reasons": REASONS}, outcome="withheld.process_info")
        expect(badge(clerk)).to_have_text("法制审核中")
        reviewer_ctx, reviewer = new_page(browser, server)
        try:
            login(reviewer, "reviewer")
            reviewer.goto(case_url)
            act(reviewer, "approve_reply", "审核通过", {"comments": "同意。"})
            expect(badge(reviewer)).to_have_text("待签发")
        finally:
            reviewer_ctx.close()
        clerk.goto(case_url)
        act(clerk, "issue_reply", "签发答复")
        expect(badge(clerk)).to_have_text("已答复")

        # 8. The applicant downloads the reply: its delivery, recorded; the case page shows it.
        phone.goto(request_page)
        expect(phone.locator("#state")).to_have_text("已答复")
        applicant_shot(phone, screenshots, "8-answered")
        download_letter(phone, "政府信息公开申请答复书")
        expect(phone.locator("body")).to_contain_text("行政复议")
        shoot(phone, screenshots, "portal-journey-9-reply")
        phone.goto(request_page)
        expect(letter_item(phone, "政府信息公开申请答复书")).to_contain_text("已下载")
        applicant_shot(phone, screenshots, "10-after-reply")
        clerk.goto(case_url)
        reply_delivery = clerk.locator("#deliveries tr", has_text="答复书")
        expect(reply_delivery).to_contain_text("网上")
        expect(clerk.locator("#action-record_delivery")).to_have_count(0)  # delivered already
        expect(timeline_row(clerk, "申请人在线下载")).to_have_count(3)
        assert_chinese(clerk, "case page after the reply's download")
        shoot(clerk, screenshots, "portal-journey-clerk-case")

        # 9. The evidence package shows each step and verifies.
        with clerk.expect_download() as download_info:
            clerk.locator("#evidence-download").click()
        package = tmp_path / f"{tracking_no}-evidence.zip"
        download_info.value.save_as(package)
        key = clerk.request.get("/api/v1/evidence/public-key")
        assert key.ok, key.text()
        key_path = tmp_path / "signing-key.pub.pem"
        key_path.write_bytes(key.body())
        summary = verify_package(package, key_path.read_bytes())
        assert summary.tracking_nos == [tracking_no]
        events, files = package_events(package)

        register = only(events, "register")
        assert len(register) == 1
        facts = register[0]["facts"]
        assert facts["online_submission_no"] == submission_no, facts
        assert re.fullmatch(r"[0-9a-f]{64}", facts["online_content_sha256"]), facts
        assert facts["online_submitted_at"] and facts["online_confirmed_at"], facts
        assert facts["online_client_address"] == "127.0.0.1", facts
        assert hashlib.sha256(scan.read_bytes()).hexdigest() in files, "the ID scan is not in the package"

        downloads = only(events, "applicant_download")
        by_type = {e["facts"]["doc_type"]: e["facts"] for e in downloads}
        assert len(downloads) == 3 and set(by_type) == {"receipt", "supplement_notice", "reply"}, by_type
        assert all(f["client_address"] == "127.0.0.1" for f in by_type.values())
        assert by_type["supplement_notice"]["delivery"] == "notice"
        assert by_type["reply"]["delivery"] == "reply" and by_type["reply"]["delivered_on"], by_type

        supplement = only(events, "receive_supplement")
        assert len(supplement) == 1
        facts = supplement[0]["facts"]
        assert facts["applicant_submission_sha256"] == submission_hash, facts
        assert [f["filename"] for f in facts["applicant_files"]] == ["补正说明.pdf"], facts
        assert hashlib.sha256(attachment.read_bytes()).hexdigest() in files, "the supplement's PDF is missing"

        issued = only(events, "issue_reply")
        assert len(issued) == 1
        order = [e["action"] for e in events]
        assert order.index("issue_reply") < order.index("applicant_download", order.index("issue_reply"))

        verified = subprocess.run(
            [sys.executable, "-m", "caseflow", "evidence", "verify", str(package), "--key", str(key_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert verified.returncode == 0, f"{verified.stdout}\n{verified.stderr}"
    finally:
        phone_ctx.close()
        clerk_ctx.close()
