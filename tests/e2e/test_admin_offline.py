"""Issue 16 items 4, 8, 9 in Chromium: the admin keeps an agency's settings (pre-filled form, one
field changed, a required one refused), a clerk of an agency lacking settings is told what to set,
a calendar notice typed as a form, /docs without the internet, the favicon, and Back after
sign-out showing nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.e2e.helpers import PASSWORD, assert_chinese, login, new_page, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route


def test_admin_keeps_agency_settings_and_a_clerk_learns_what_is_missing(
    server: str, browser: Browser, screenshots: Path
) -> None:
    context, page = new_page(browser, server)
    login(page, "admin")
    assert_chinese(page)
    shoot(page, screenshots, "admin-page")
    # Choose an agency by name: its form is pre-filled.
    page.goto("/admin")
    first = page.locator("#pick-agency option").first
    name = first.inner_text()
    page.select_option("#pick-agency", label=name)
    page.get_by_role("button", name="打开").click()
    prefix = page.locator("#s-prefix").input_value()
    assert prefix, "the letter prefix is pre-filled"
    expect(page.locator("#s-name")).to_have_value(name)
    page.fill("#s-address", "某市人民大道100号")
    page.get_by_role("button", name="保存机关设置").click()
    expect(page.locator("#agency-saved")).to_contain_text("已保存机关设置，修改了：地址")
    expect(page.locator("#s-address")).to_have_value("某市人民大道100号")
    expect(page.locator("#s-prefix")).to_have_value(prefix)
    assert_chinese(page)
    shoot(page, screenshots, "admin-agency-saved")
    # Blank a required setting: a Chinese error beside it, nothing saved.
    page.fill("#s-prefix", "")
    page.fill("#s-address", "不应保存的地址")
    page.get_by_role("button", name="保存机关设置").click()
    expect(page.locator("#agency-form .error")).to_contain_text("文号前缀为必填项")
    expect(page.locator("#s-address")).to_have_value("不应保存的地址")  # the form as typed
    assert_chinese(page)
    shoot(page, screenshots, "admin-agency-refused")
    page.goto(f"/admin?agency={page.locator('#agency-form input[name=code]').input_value()}")
    expect(page.locator("#s-prefix")).to_have_value(prefix)
    expect(page.locator("#s-address")).to_have_value("某市人民大道100号")

    # A new agency without letter settings and a clerk of it.
    page.fill("#a-code", "e2e-new")
    page.fill("#a-name", "某市测试新设局")
    page.locator("#agency-new").get_by_role("button", name="新增").click()
    expect(page.locator("#agency-missing")).to_contain_text("尚未设置：文号前缀")
    assert_chinese(page)
    page.fill("#u-username", "newclerk")
    page.fill("#u-display", "新设局经办人")
    page.fill("#u-password", PASSWORD)
    page.select_option("#u-agency", label="某市测试新设局")
    page.locator("form:has(#u-username) input[name=roles][value=clerk]").check()
    page.locator("form:has(#u-username)").get_by_role("button", name="新增").click()
    expect(page.get_by_role("cell", name="newclerk", exact=True).first).to_be_visible()
    context.close()

    context, page = new_page(browser, server)
    login(page, "newclerk", "/cases")
    page.goto("/intake")
    notice = page.locator("#settings-missing")
    expect(notice).to_contain_text("本机关尚未设置：文号前缀、行政复议机关")
    expect(notice).to_contain_text("请联系系统管理员在“系统管理 → 机关设置”中填写")
    assert_chinese(page)
    shoot(page, screenshots, "intake-settings-missing")
    context.close()


def test_calendar_notice_form(server: str, browser: Browser, screenshots: Path) -> None:
    context, page = new_page(browser, server)
    login(page, "admin")
    page.fill("#cal-year", "2029")
    page.fill("#h0_from", "2029-01-01")
    page.fill("#h0_to", "2029-01-01")
    page.fill("#h1_from", "2029-02-12")
    page.fill("#h1_to", "2029-02-18")
    page.fill("#h1_work0", "2029-02-19")  # a Monday: refused
    page.get_by_role("button", name="载入通知").click()
    expect(page.locator("#calendar-form")).to_contain_text("只有星期六或星期日可以调为上班日")
    expect(page.locator("#h1_from")).to_have_value("2029-02-12")
    assert_chinese(page)
    page.fill("#h1_work0", "2029-02-24")  # a Saturday
    page.get_by_role("button", name="载入通知").click()
    expect(page.get_by_text("已载入 国务院办公厅关于2029年部分节假日安排的通知")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^2029 国务院办公厅关于2029年"))).to_be_visible()
    assert_chinese(page)
    shoot(page, screenshots, "admin-calendar-loaded")
    context.close()


def test_docs_offline_favicon_and_back_after_sign_out(
    server: str, browser: Browser, screenshots: Path
) -> None:
    context, page = new_page(browser, server)
    outside: list[str] = []

    def only_here(route: Route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    page.goto("/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/requests").first).to_be_visible()
    assert outside == []
    shoot(page, screenshots, "docs-offline")
    assert page.request.get(f"{server}/favicon.ico").status == 200
    assert page.locator('link[rel="icon"]').count() == 1

    # Back after sign-out shows no personal data (the pages were sent no-store).
    login(page, "clerk")
    link = page.locator("table a[href^='/cases/']").first
    link.click()
    expect(page).to_have_url(re.compile(r"/cases/\d+"))
    page.goto("/cases")
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login"))
    assert page.locator("table a[href^='/cases/']").count() == 0
    assert_chinese(page)
    context.close()
