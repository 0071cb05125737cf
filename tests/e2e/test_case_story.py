"""The case page tells the whole story (issue 16, item 5), in Chromium against ``caseflow serve``.

The clerk registers a request with its application scan and envelope uploaded at intake; the case
page lists both (kind, file name, size, who uploaded them, when) and opens them; every action is
followed by a notice of what was done; a delivery recorded shows in the delivery list; the timeline
names the actions in Chinese and the people by name (张晓明, never ``clerk``), with the facts each step
recorded. The reviewer reads the draft's reasons on the case page, opens the letter preview, returns
the draft; after the clerk redrafts, the reviewer sees the difference. Every page reached is checked
for English sentences, and screenshots are saved.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT_MS, assert_chinese, login, new_page, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

expect.set_options(timeout=TIMEOUT_MS)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
ID_NUMBER = "110105198806123456"  # a valid GB 11643 check digit
APPLICANT = "周文静"
FIRST_REASONS = "所申请信息为内部讨论记录"
SECOND_REASONS = "所申请信息为内部讨论记录，属于过程性信息，依据条例第十六条第二款不予公开"
RETURN_COMMENTS = "请写明不予公开所依据的条款"
TIME = re.compile(r"20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d")


def zh(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def scan_png() -> bytes:
    """A real (small) scanned page: an image Chromium can show."""
    import random

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 1100), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 770, 1070), outline="black", width=3)
    rng = random.Random(16)
    for line in range(40):  # lines of handwriting, roughly
        y = 80 + line * 24
        for x in range(60, 740, 14):
            if rng.random() < 0.8:
                draw.rectangle((x, y, x + rng.randint(6, 12), y + rng.randint(8, 14)), fill=(30, 30, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def envelope_pdf() -> bytes:
    """A one-page PDF (the envelope photographed and saved as PDF)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 260), "#f2e6c9").save(out, "PDF")
    return out.getvalue()


def table(page: Page, table_id: str) -> Locator:
    return page.locator(f"table#{table_id}")


def act(
    page: Page, action: str, label: str, fields: dict[str, str], selects: dict[str, str] | None = None
) -> None:
    """Do an action through its form; the case page comes back saying what was done."""
    box = page.locator(f"#action-{action}")
    expect(box).to_be_visible()
    if not box.evaluate("(e) => e.open"):  # (a returned draft comes back with its form open)
        box.locator("summary").click()
    for name, value in (selects or {}).items():
        page.locator(f"#{action}-{name}").select_option(value)
    for name, value in fields.items():
        page.locator(f"#{action}-{name}").fill(value)
    with page.expect_navigation() as navigation:
        box.get_by_role("button", name=label, exact=True).click()
    response = navigation.value
    assert response is not None and response.status == 200, page.locator(".flash, .error").all_inner_texts()
    expect(page).to_have_url(re.compile(rf"/cases/\d+\?done={action}$"))
    expect(page.locator("#done-notice")).to_have_text(f"已完成：{label}")
    expect(page.locator("#done-notice")).to_have_class(re.compile(r"\bsuccess\b"))
    assert_chinese(page, f"after {action}")


def register_with_uploads(page: Page, tmp: Path) -> str:
    """The intake form with the application scan and the envelope; the case page's URL."""
    arrived = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)
    day = arrived.date()
    (tmp / "申请书扫描件.png").write_bytes(scan_png())
    (tmp / "信封.pdf").write_bytes(envelope_pdf())
    page.goto("/intake")
    page.select_option("#applicant_type", "natural_person")
    page.fill("#applicant_name", APPLICANT)
    page.select_option("#id_type", label="居民身份证")
    page.fill("#id_number", ID_NUMBER)
    page.fill("#phone", "13912345678")
    page.fill("#address", "某市某区文化路12号")
    page.fill("#description", "2026年本区道路养护合同及验收报告")
    page.select_option("#provision_form", "paper")
    page.select_option("#channel", "post")
    page.fill("#arrived_at", arrived.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#confirmed_on", day.isoformat())
    page.fill("#receipt_proof", "EMS-EB556677889CN")
    page.set_input_files("#application_scan", str(tmp / "申请书扫描件.png"))
    page.set_input_files("#envelope", str(tmp / "信封.pdf"))
    assert_chinese(page, "intake")
    with page.expect_navigation():
        page.get_by_role("button", name="登记", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    return page.url


def test_case_page_tells_the_whole_story(
    server: str, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    day = dt.datetime.now(SHANGHAI).date()
    clerk_ctx, clerk = new_page(browser, server)
    login(clerk, "clerk")
    case_url = register_with_uploads(clerk, tmp_path)
    case_path = case_url.removeprefix(server)
    assert_chinese(clerk, "case page after intake")

    # 1. The scan and the envelope: listed with kind, name, size, uploader and time; both open.
    documents = table(clerk, "documents")
    scan_row = documents.locator("tr", has_text="申请书扫描件.png")
    envelope_row = documents.locator("tr", has_text="信封.pdf")
    expect(scan_row).to_contain_text("申请书扫描件")
    expect(scan_row).to_contain_text("张晓明")
    expect(scan_row).to_contain_text(re.compile(r"\d+(\.\d)? (KB|字节)"))
    expect(scan_row).to_contain_text(TIME)
    expect(envelope_row).to_contain_text("信封或确认记录")
    expect(documents).not_to_contain_text("clerk")
    shoot(clerk, screenshots, "story-clerk-documents")
    with clerk.expect_popup() as opened:
        scan_row.get_by_role("button", name="打开").click()  # a form: the view is recorded first
    scan = opened.value
    scan.wait_for_load_state()
    assert re.search(r"/documents/\d+$", scan.url), scan.url
    expect(scan.locator("img")).to_be_visible()  # Chromium shows the image itself
    assert scan.evaluate("() => document.contentType") == "image/png"
    shoot(scan, screenshots, "story-scan-opened")
    scan.close()
    clerk.reload()
    expect(table(clerk, "timeline")).to_contain_text("查看申请材料")  # who opened which file, as evidence
    expect(table(clerk, "timeline")).to_contain_text("申请书扫描件.png")
    envelope_form = table(clerk, "documents").locator("tr", has_text="信封.pdf").locator("form")
    action = envelope_form.get_attribute("action")
    csrf = envelope_form.locator("input[name=csrf_token]").get_attribute("value")
    assert action and csrf
    pdf = clerk.request.post(action, form={"csrf_token": csrf})
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline;")
    assert pdf.headers["x-content-type-options"] == "nosniff"

    # 2. The timeline: Chinese action names, the clerk's name, the facts of registration.
    timeline = table(clerk, "timeline")
    first = timeline.locator("tr#event-1")
    expect(first).to_contain_text("登记申请")
    expect(first).to_contain_text("张晓明（经办人）")
    expect(first).to_contain_text(APPLICANT)
    expect(first).to_contain_text("邮寄")
    expect(first).to_contain_text(TIME)
    expect(timeline).not_to_contain_text("register")
    expect(timeline).not_to_contain_text("clerk")
    expect(timeline).not_to_contain_text('{"')

    # 3. Every action says what was done; a delivery recorded shows in the delivery list.
    act(
        clerk,
        "request_supplement",
        "发出补正告知",
        {"items": "请提供申请人身份证明复印件\n请明确所需合同的签订年份"},
    )
    expect(table(clerk, "deliveries")).to_contain_text("尚未登记送达")
    act(
        clerk,
        "record_notice_delivery",
        "登记文书送达",
        {"proof": "EMS-EC112233445CN 本人签收", "received_on": day.isoformat()},
        selects={"document": "supplement_notice", "method": "post"},
    )
    deliveries = table(clerk, "deliveries")
    expect(deliveries).to_contain_text("补正")
    expect(deliveries).to_contain_text("邮寄送达")
    expect(deliveries).to_contain_text("EMS-EC112233445CN 本人签收")
    expect(deliveries).to_contain_text(zh(day))
    expect(deliveries).to_contain_text("张晓明")
    supplement = timeline.locator("tr", has_text="发出补正告知")
    expect(supplement).to_contain_text("需补正的事项")
    expect(supplement).to_contain_text("请明确所需合同的签订年份")
    shoot(clerk, screenshots, "story-clerk-delivery")
    act(clerk, "receive_supplement", "收到补正", {"summary": "申请人补充了身份证明和签订年份"})
    act(
        clerk,
        "draft_reply",
        "拟定答复",
        {"reasons": FIRST_REASONS},
        selects={"outcome": "withheld.process_info"},
    )
    expect(timeline.locator("tr", has_text="拟定答复")).to_contain_text(FIRST_REASONS)

    # 4. The reviewer reads the draft on the case page and opens the preview, then returns it.
    reviewer_ctx, reviewer = new_page(browser, server)
    login(reviewer, "reviewer")
    reviewer.goto(case_path)
    draft = reviewer.locator("#draft")
    expect(draft).to_contain_text("答复类型")
    expect(draft).to_contain_text("过程性信息")
    expect(draft).to_contain_text(FIRST_REASONS)
    expect(reviewer.locator("#draft-difference")).to_have_count(0)
    assert_chinese(reviewer, "reviewer's case page")
    shoot(reviewer, screenshots, "story-reviewer-draft")
    with reviewer.expect_popup() as opened:
        reviewer.locator("#draft-preview").click()
    preview = opened.value
    preview.wait_for_load_state()
    expect(preview.locator("body")).to_contain_text(FIRST_REASONS)
    expect(preview.locator("body")).to_contain_text(APPLICANT)
    shoot(preview, screenshots, "story-reviewer-preview")
    preview.close()
    act(reviewer, "return_reply", "退回修改", {"comments": RETURN_COMMENTS})
    expect(table(reviewer, "timeline").locator("tr", has_text="退回修改")).to_contain_text("李法审")

    # 5. The clerk redrafts; the reviewer sees what changed against the returned draft.
    clerk.goto(case_path)
    act(
        clerk,
        "draft_reply",
        "拟定答复",
        {"reasons": SECOND_REASONS},
        selects={"outcome": "withheld.process_info"},
    )
    reviewer.goto(case_path)
    difference = reviewer.locator("#draft-difference")
    expect(difference).to_contain_text(RETURN_COMMENTS)
    expect(difference).to_contain_text("李法审")
    reasons = difference.locator("tr[data-field=reasons]")
    expect(reasons).to_have_class(re.compile(r"\bchanged\b"))
    expect(reasons).to_contain_text("已修改")
    expect(reasons.locator("td").nth(1)).to_have_text(FIRST_REASONS)
    expect(reasons.locator("ins")).to_have_text("，属于过程性信息，依据条例第十六条第二款不予公开")
    expect(difference.locator("tr[data-field=outcome]")).not_to_have_class(re.compile(r"\bchanged\b"))
    expect(reviewer.locator("#draft")).to_contain_text(SECOND_REASONS)
    assert_chinese(reviewer, "reviewer's case page with the difference")
    shoot(reviewer, screenshots, "story-reviewer-difference")

    # The auditor reads the same story (no preview: auditors do not draft letters).
    auditor_ctx, auditor = new_page(browser, server)
    login(auditor, "auditor")
    auditor.goto(case_path)
    expect(table(auditor, "documents")).to_contain_text("信封.pdf")
    expect(table(auditor, "timeline")).to_contain_text("退回修改")
    expect(auditor.locator("#draft-preview")).to_have_count(0)
    assert_chinese(auditor, "auditor's case page")
    shoot(auditor, screenshots, "story-auditor-case")
    for ctx in (clerk_ctx, reviewer_ctx, auditor_ctx):
        ctx.close()
