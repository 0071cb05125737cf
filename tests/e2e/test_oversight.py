"""The supervisor's dashboard and the auditor's evidence checks, in Chromium: every card leads to the
list of exactly what it counts, the chart shows the paused requests, people and agencies by name,
one request verified from its page, every request verified by a background job with progress."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import assert_chinese, login, new_page, shoot

CARDS = (
    "overdue",
    "due_soon",
    "waiting_applicant",
    "waiting_third_party",
    "awaiting_review",
    "lapse_proposed",
    "paused",
    "open",
)


def test_supervisor_cards_lead_to_their_lists(server: str, browser: Browser, screenshots: Path) -> None:
    context, page = new_page(browser, server)
    try:
        login(page, "supervisor")
        assert_chinese(page, "dashboard")
        shoot(page, screenshots, "oversight-dashboard")
        counts = {key: int(page.locator(f'[data-card="{key}"] .stat').inner_text()) for key in CARDS}
        assert counts["open"] > 0
        # the chart has a bar for the paused requests and says so
        expect(page.locator("#chart svg text", has_text="已暂停")).to_have_count(1)
        expect(page.locator("#chart-note")).to_contain_text(f"共{counts['paused']}件")
        # names, not usernames or agency codes
        handlers = page.locator("#by-handler").inner_text()
        agencies = page.locator("#by-agency").inner_text()
        assert not re.search(r"\bclerk\b", handlers), handlers
        assert re.search(r"[\u4e00-\u9fff]", agencies) and "city" not in agencies
        for key in CARDS:
            page.goto("/dashboard")
            with page.expect_navigation():
                page.locator(f'[data-card="{key}"]').click()
            assert_chinese(page, f"list of card {key}")
            expect(page.locator("#card-filter")).to_contain_text(f"共{counts[key]}件")
            expect(page.locator("h1")).to_contain_text(f"（{counts[key]}件）")
            if key == "paused":
                shoot(page, screenshots, "oversight-card-paused")
    finally:
        context.close()


def test_auditor_verifies_a_request_and_everything(server: str, browser: Browser, screenshots: Path) -> None:
    context, page = new_page(browser, server)
    try:
        login(page, "auditor")
        first = page.locator("table a[href^='/cases/']").first
        with page.expect_navigation():
            first.click()
        assert_chinese(page, "case page")
        with page.expect_navigation():
            page.locator("#verify-case").click()
        expect(page.locator("#verify-result")).to_contain_text("核验通过")
        assert_chinese(page, "case page verified")
        shoot(page, screenshots, "oversight-case-verified")
        page.goto("/verify")
        assert_chinese(page, "verify page")
        with page.expect_navigation():
            page.locator("#start-verify").click()
        expect(page.locator("#job-progress")).to_contain_text(re.compile(r"已核验 \d+/\d+ 件申请"))
        assert_chinese(page, "verify running")
        # the page refreshes itself (HTTP Refresh) until the job is done
        expect(page.locator("#job-result")).to_contain_text("未发现问题", timeout=60_000)
        done, total = re.findall(r"已核验 (\d+)/(\d+)", page.locator("#job-progress").inner_text())[0]
        assert done == total and int(total) > 0
        assert_chinese(page, "verify done")
        shoot(page, screenshots, "oversight-verify-done")
    finally:
        context.close()
