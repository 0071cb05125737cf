"""The clerks' inbox of online applications in Chromium (issue 18 / B): two applications submitted
through the public API appear in the demo clerk's inbox with how long they have waited; one is
returned with a standard reason (the returned tab shows it), the other confirmed (the request page
opens). Every page is checked for English and photographed."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import expect

from tests.e2e.helpers import assert_chinese, login, new_page, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def _submit(base: str, description: str) -> dict[str, Any]:
    body = {
        "agency": "city",
        "applicant_type": "natural_person",
        "applicant_name": "王五",
        "id_type": "居民身份证",
        "id_number": "110101199001061234",
        "phone": "13912345678",
        "description": description,
        "provision_form": "electronic",
    }
    request = urllib.request.Request(
        f"{base}/api/v1/public/applications",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http://127.0.0.1
        assert response.status == 201
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def test_clerk_confirms_and_returns_from_the_inbox(server: str, browser: Browser, screenshots: Path) -> None:
    kept = _submit(server, "2025年本区老旧小区改造项目的招标文件")
    returned = _submit(server, "投诉楼下商铺油烟扰民，请求查处")
    context, page = new_page(browser, server)
    try:
        login(page, "clerk")
        expect(page.locator("header a[href='/applications']")).to_contain_text("网上申请")
        page.goto("/applications")
        assert_chinese(page, "inbox")
        first = page.locator(f"[data-submission='{kept['submission_no']}']")
        second = page.locator(f"[data-submission='{returned['submission_no']}']")
        expect(first).to_contain_text("已等待")
        expect(first).to_contain_text("老旧小区改造")
        expect(first.get_by_role("button", name="确认受理")).to_be_visible()
        expect(second).to_contain_text("油烟扰民")
        shoot(page, screenshots, "portal-inbox")

        second.get_by_label("申请内容属于投诉、举报，不是获取政府信息的申请").check()
        with page.expect_navigation():
            second.get_by_role("button", name="退回并出具退回告知书").click()
        expect(page).to_have_url(f"{server}/applications?tab=returned")
        returned_card = page.locator(f"[data-submission='{returned['submission_no']}']")
        expect(returned_card).to_contain_text("申请内容属于投诉、举报")
        assert_chinese(page, "inbox: returned")
        shoot(page, screenshots, "portal-inbox-returned")

        page.goto("/applications")
        with page.expect_navigation():
            page.locator(f"[data-submission='{kept['submission_no']}']").get_by_role(
                "button", name="确认受理"
            ).click()
        assert "/cases/" in page.url
        expect(page.locator("body")).to_contain_text("老旧小区改造")
        assert_chinese(page, "registered request")
    finally:
        context.close()
