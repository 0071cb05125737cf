"""In Chromium: an auditor uploads a file that is not an evidence package, an admin pastes a holiday
notice with a weekday declared a working day; each page names the problem in Chinese, precisely."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import assert_chinese, login, new_page, shoot

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "notice-2027-test.json"


def test_a_package_that_is_not_a_zip_is_refused_in_chinese(
    server: str, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    not_a_zip = tmp_path / "evidence.zip"
    not_a_zip.write_text("这不是压缩文件", encoding="utf-8")
    context, page = new_page(browser, server)
    try:
        login(page, "auditor")
        page.goto("/search")
        assert_chinese(page, "search")
        page.set_input_files("#package", str(not_a_zip))
        with page.expect_navigation():
            page.get_by_role("button", name="校验证据包").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("证据包校验未通过：package.zip：不是可读取的zip文件")
        expect(alert).to_contain_text("找不到中央目录结束记录：不是zip文件，或文件被截断")
        assert "/tmp" not in alert.inner_text()
        assert_chinese(page, "verify refused")
        shoot(page, screenshots, "refusal-package-not-a-zip")
    finally:
        context.close()


def test_a_notice_with_a_weekday_working_day_is_refused_in_chinese(
    server: str, browser: Browser, screenshots: Path
) -> None:
    notice = json.loads(FIXTURE.read_text(encoding="utf-8"))
    notice["festivals"][2]["workdays"] = ["2027-02-15"]  # a Monday
    context, page = new_page(browser, server)
    try:
        login(page, "admin", "/admin")
        page.locator("#calendar-json").evaluate("form => form.closest('details').open = true")
        page.get_by_label("通知（JSON）").fill(json.dumps(notice, ensure_ascii=False))
        with page.expect_navigation():
            page.locator("#calendar-json button[type=submit]").click()
        alert = page.get_by_role("alert")
        expect(alert).to_have_text(
            "通知无法载入：festivals[3].workdays：调休上班日 2027-02-15 是星期一；"
            "只有星期六或星期日可以调为上班日"
        )
        assert_chinese(page, "notice refused")
        shoot(page, screenshots, "refusal-notice-weekday")
    finally:
        context.close()
