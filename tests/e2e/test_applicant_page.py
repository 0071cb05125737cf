"""The applicant's request page on a phone (390 px, Chromium): look up with tracking number and query
code, read the state, the deadline and what is awaited, download the receipt (recorded as delivered)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import TIMEOUT_MS, assert_chinese, login, new_page, shoot

PHONE = {"width": 390, "height": 844}
OPEN = {"received", "consultation", "fee-pending", "extended", "legal-review", "ready-to-issue"}


def _a_request(browser: Browser, server: str) -> tuple[str, str]:
    """(tracking number, query code) of a demo request, one awaiting a supplement where there is one
    (the supervisor reads them)."""
    context, page = new_page(browser, server)
    try:
        login(page, "supervisor")
        items = page.request.get("/api/v1/requests", params={"size": 200}).json()["items"]
        assert items, "the demo clerk sees no request"
        waiting = [x for x in items if x["state"] == "supplement-required"]
        open_ = [x for x in items if x["state"] in OPEN]
        chosen = (waiting or open_ or items)[0]
        detail = page.request.get(f"/api/v1/requests/{chosen['id']}").json()
        return detail["tracking_no"], detail["query_code"]
    finally:
        context.close()


def test_applicant_looks_up_and_downloads_at_phone_width(
    server: str, browser: Browser, screenshots: Path
) -> None:
    tracking_no, code = _a_request(browser, server)
    context = browser.new_context(base_url=server, locale="zh-CN", viewport=PHONE, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/public/request")
        assert_chinese(page, "look-up form")
        page.fill("#tracking_no", tracking_no)
        page.fill("#code", "WRONG2345")
        with page.expect_navigation():
            page.get_by_role("button", name="查询").click()
        expect(page.locator("#problem")).to_contain_text("未找到")
        page.fill("#code", code)
        with page.expect_navigation():
            page.get_by_role("button", name="查询").click()
        assert "/public/r/" in page.url
        expect(page.locator("#tracking-no")).to_have_text(tracking_no)
        expect(page.locator("#state")).not_to_be_empty()
        expect(page.locator("#receipt-date")).to_contain_text("年")
        expect(page.locator("#awaited h2")).to_have_text("当前等待")
        assert_chinese(page, "request page")
        # nothing wider than the phone: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shoot(page, screenshots, "applicant-request-390")
        link = page.url
        receipt = page.locator("#letters li", has_text="登记回执").get_by_role("link", name="下载（网页）")
        with page.expect_navigation():
            receipt.click()
        expect(page.locator("body")).to_contain_text("回执")
        shoot(page, screenshots, "applicant-receipt-390")
        page.goto(link)
        expect(page.locator("#letters li", has_text="登记回执")).to_contain_text("已下载")
        assert_chinese(page, "request page after download")
    finally:
        context.close()
