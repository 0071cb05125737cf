"""Nothing typed is lost (issue 16 item 2), in Chromium as the clerk and the reviewer do it.

- files chosen on the intake form survive a refused save and 计算期限 (shown as 已上传, not chosen
  again) and become the request's documents when it is registered;
- a file over the 20 MB limit is refused in the page before anything is sent;
- a session ended on the server while a case form is being filled: submitting leads to the sign-in
  page saying the session expired, and after signing in back to the case page with the typed text
  restored (submitting it then works);
- a draft the reviewer sends back comes back filled, with the reviewer's comments beside it.

Every page reached is checked for visible English (helpers.assert_chinese); screenshots are saved.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, TIMEOUT_MS, assert_chinese, login, new_page, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

expect.set_options(timeout=TIMEOUT_MS)
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCAN = b"%PDF-1.4\n% a scanned application form\n" + b"0" * 2048
ENVELOPE = b"\x89PNG\r\n\x1a\n an envelope photo " + b"1" * 1024


def fill_intake(page: Page, *, name: str, description: str) -> None:
    page.goto("/intake")
    expect(page.locator("h1")).to_have_text("登记政府信息公开申请")
    page.select_option("#applicant_type", "natural_person")
    page.fill("#applicant_name", name)
    page.select_option("#id_type", label="居民身份证")
    page.fill("#id_number", "110101199001141234")
    page.fill("#phone", "13800138000")
    page.fill("#address", "某市某区幸福路8号")
    page.fill("#description", description)
    page.select_option("#channel", "in_person")
    arrived = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=2)
    page.fill("#arrived_at", arrived.strftime("%Y-%m-%dT%H:%M"))


def press(page: Page, button: str, status: int) -> None:
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button, exact=True).click()
    response = navigation.value
    assert response is not None and response.status == status, (button, response and response.status)


def register_with_files(page: Page, screenshots: Path) -> str:
    """The clerk's intake with two files: a refused save, 计算期限, 登记 — the files chosen once."""
    fill_intake(page, name="", description="本区2026年老旧小区改造的资金安排")
    page.set_input_files(
        "#application_scan", files=[{"name": "申请书.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )
    page.set_input_files(
        "#envelope", files=[{"name": "envelope.png", "mimeType": "image/png", "buffer": ENVELOPE}]
    )
    press(page, "登记", 422)  # the name is missing
    expect(page.locator("#application_scan-kept")).to_contain_text("已上传：申请书.pdf")
    expect(page.locator("#envelope-kept")).to_contain_text("envelope.png")
    expect(page.locator("#application_scan-kept")).to_contain_text("KB")
    expect(page.locator("#description")).to_have_value("本区2026年老旧小区改造的资金安排")
    assert_chinese(page, "intake refused save")
    shoot(page, screenshots, "nothing-lost-intake-refused")

    page.fill("#applicant_name", "欧阳丽华")
    press(page, "计算期限", 200)
    expect(page.locator("#computed")).to_be_visible()
    expect(page.locator("#application_scan-kept")).to_contain_text(
        "申请书.pdf"
    )  # still kept, not chosen again
    expect(page.locator("#envelope-kept")).to_contain_text("envelope.png")
    assert page.locator("#application_scan").evaluate("el => el.files.length") == 0
    assert_chinese(page, "intake computed")
    shoot(page, screenshots, "nothing-lost-intake-computed")

    press(page, "登记", 200)
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    documents = page.locator("#documents")
    expect(documents).to_contain_text("申请书.pdf")
    expect(documents).to_contain_text("envelope.png")
    assert_chinese(page, "case registered with files")
    shoot(page, screenshots, "nothing-lost-case-documents")
    return page.url


def test_files_are_kept_through_compute_and_a_refused_save(
    server: str, browser: Browser, screenshots: Path
) -> None:
    context, page = new_page(browser, server)
    login(page, "clerk")
    register_with_files(page, screenshots)
    context.close()


def test_a_file_over_the_limit_is_refused_before_sending(
    server: str, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    big = tmp_path / "扫描件-大.pdf"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # 21 MB (sparse)
    context, page = new_page(browser, server)
    login(page, "clerk")
    fill_intake(page, name="司马光", description="本市2026年财政预算执行情况")
    page.set_input_files("#application_scan", str(big))
    message = page.locator("#application_scan-size-error")
    expect(message).to_contain_text("超过上传上限20 MB")
    expect(message).to_contain_text("扫描件-大.pdf")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_timeout(800)
    assert posts == [], f"the form was sent: {posts}"
    expect(page).to_have_url(re.compile(r"/intake$"))
    expect(page.locator("#applicant_name")).to_have_value("司马光")
    expect(message).to_be_visible()
    assert_chinese(page, "intake over the limit")
    shoot(page, screenshots, "nothing-lost-too-large")
    # a smaller file instead: the message goes and the form can be sent
    page.set_input_files(
        "#application_scan", files=[{"name": "small.pdf", "mimeType": "application/pdf", "buffer": SCAN}]
    )
    expect(message).to_be_empty()
    press(page, "计算期限", 200)
    expect(page.locator("#application_scan-kept")).to_contain_text("small.pdf")
    context.close()


def test_an_expired_session_brings_the_typed_form_back(
    server: str, browser: Browser, screenshots: Path
) -> None:
    context, page = new_page(browser, server)
    login(page, "clerk")
    page.locator("main table a[href^='/cases/']").first.click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = page.url
    note = page.locator("#action-add_note")
    note.locator("summary").click()
    typed = "已电话联系申请人，确认所需信息为2026年度的批复文件。"
    page.fill("#add_note-text", typed)

    # meanwhile the administrator ends every session of the clerk (the server side only)
    admin_ctx, admin = new_page(browser, server)
    login(admin, "admin")
    with admin.expect_navigation():
        admin.locator("form[action='/admin/users/clerk/revoke'] button").click()
    assert_chinese(admin, "admin after revoking")
    admin_ctx.close()

    with page.expect_navigation():
        note.get_by_role("button", name="补充说明（更正）").click()
    expect(page).to_have_url(re.compile(r"/login\?"))
    expect(page.locator("#session-expired")).to_contain_text("登录已过期，请重新登录")
    assert_chinese(page, "sign-in after expiry")
    shoot(page, screenshots, "nothing-lost-session-expired")

    page.fill("#username", "clerk")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(case_url)  # the case page (the marker removed), not the POST target
    expect(page.locator("#restored-note")).to_be_visible()
    expect(page.locator("#add_note-text")).to_have_value(typed)
    expect(page.locator("#action-add_note")).to_have_attribute("open", "")
    assert_chinese(page, "case page restored")
    shoot(page, screenshots, "nothing-lost-restored")

    with page.expect_navigation():
        page.locator("#action-add_note").get_by_role("button", name="补充说明（更正）").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+"))
    expect(page.locator("main")).to_contain_text(typed)  # recorded (the note is on the case page)
    assert page.evaluate("sessionStorage.getItem('caseflow:typed-form')") is None
    expect(page.locator("#restored-note")).to_have_count(0)
    assert_chinese(page, "case page after the restored submit")
    context.close()


def test_a_returned_draft_comes_back_filled(server: str, browser: Browser, screenshots: Path) -> None:
    context, clerk = new_page(browser, server)
    login(clerk, "clerk")
    fill_intake(clerk, name="诸葛明", description="本局2026年内部人事调整方案")
    press(clerk, "登记", 200)
    case_url = clerk.url
    reasons = "申请公开的信息属于行政机关的人事管理信息，依法可以不予公开。"
    draft = clerk.locator("#action-draft_reply")
    draft.locator("summary").click()
    clerk.select_option("#draft_reply-outcome", "withheld.internal_affairs")
    clerk.fill("#draft_reply-reasons", reasons)
    with clerk.expect_navigation():
        draft.get_by_role("button", name="拟定答复").click()
    expect(clerk.locator("main")).to_contain_text("拟答复：")

    reviewer_ctx, reviewer = new_page(browser, server)
    login(reviewer, "reviewer")
    reviewer.goto(case_url)
    back = reviewer.locator("#action-return_reply")
    back.locator("summary").click()
    comments = "理由过于笼统，请写明属于哪一类内部事务信息及条例依据。"
    reviewer.fill("#return_reply-comments", comments)
    with reviewer.expect_navigation():
        back.get_by_role("button", name="退回修改").click()
    assert_chinese(reviewer, "reviewer after returning")
    reviewer_ctx.close()

    clerk.goto(case_url)
    returned = clerk.locator("#returned-comments")
    expect(returned).to_contain_text("审核退回意见：")
    expect(returned).to_contain_text(comments)
    expect(clerk.locator("#action-draft_reply")).to_have_attribute("open", "")
    expect(clerk.locator("#draft_reply-outcome")).to_have_value("withheld.internal_affairs")
    expect(clerk.locator("#draft_reply-reasons")).to_have_value(reasons)
    assert_chinese(clerk, "case page with the returned draft")
    shoot(clerk, screenshots, "nothing-lost-returned-draft")
    context.close()
