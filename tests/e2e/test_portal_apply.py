"""The public online application form at a phone's width (390 px), in Chromium: a wrong ID check
digit is shown beside its field with the typed values and the chosen ID scan kept; corrected, the
application is submitted and the page shows the submission number and the access code."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, expect

from tests.e2e.helpers import TIMEOUT_MS, assert_chinese, shoot


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 25), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_apply_online_on_a_phone(server: str, browser: Browser, screenshots: Path) -> None:
    context = browser.new_context(
        base_url=server, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/public/apply")
        assert_chinese(page, "apply form")
        expect(page.locator("#next-steps")).to_contain_text("20 个工作日")
        # nothing wider than the phone: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.select_option("#agency", index=1)
        page.fill("#applicant_name", "王五")
        page.fill("#id_number", "110101199001061235")  # wrong check digit
        page.fill("#phone", "13912345678")
        page.fill("#description", "2025年本区老旧小区改造项目的资金安排文件")
        page.set_input_files("#id_scan", {"name": "身份证.png", "mimeType": "image/png", "buffer": _png()})
        shoot(page, screenshots, "portal-apply-filled")
        with page.expect_navigation():
            page.get_by_role("button", name="提交申请").click()
        expect(page.locator("#id_number-error")).to_contain_text("校验位")
        expect(page.locator("#id_number")).to_have_value("110101199001061235")
        expect(page.locator("#applicant_name")).to_have_value("王五")
        expect(page.locator("#description")).to_have_value(re.compile("老旧小区"))
        expect(page.locator(".kept")).to_contain_text("身份证.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_chinese(page, "apply form with an error")
        shoot(page, screenshots, "portal-apply-error")

        page.fill("#id_number", "110101199001061234")
        with page.expect_navigation():
            page.get_by_role("button", name="提交申请").click()
        expect(page.locator("h1")).to_have_text("网上申请已提交")
        expect(page.locator("#submission-no")).to_have_text(re.compile(r"^W\d{8}-[A-Z2-9]{8}$"))
        expect(page.locator("#access-code")).to_have_text(re.compile(r"^[A-Z2-9]{12}$"))
        assert "王五" not in page.content()  # nothing personal on the page
        assert_chinese(page, "apply done")
        shoot(page, screenshots, "portal-apply-done")
        # the done page leads to the submission's own page (issue 18 / H): the number filled in
        access_code = page.locator("#access-code").inner_text()
        with page.expect_navigation():
            page.get_by_role("link", name="查询确认结果").click()
        page.fill("#code", access_code)
        with page.expect_navigation():
            page.get_by_role("button", name="查询").click()
        expect(page.locator("#status")).to_have_text("待确认")
        expect(page.locator("#awaiting")).to_contain_text("确认之日")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_chinese(page, "submission status")
    finally:
        context.close()
