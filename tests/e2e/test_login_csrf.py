"""Login CSRF in a real browser (issue 13, item 11): a page of another site posting the login form
with an account of its choosing does not sign the visitor in; the system's own login page does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import expect

from caseflow.demo_data import DEFAULT_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

EVIL = "http://evil.test/"


def test_a_login_form_on_another_site_signs_nobody_in(server: str, browser: Browser) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    attacker_page = (
        f'<!DOCTYPE html><html><body><form method="post" action="{server}/login">'
        '<input name="username" value="clerk">'
        f'<input name="password" value="{DEFAULT_PASSWORD}"><input name="next" value="/cases">'
        '<button type="submit">领奖</button></form></body></html>'
    )

    def serve_attacker(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=attacker_page)

    page.route(f"{EVIL}**", serve_attacker)
    page.goto(EVIL)
    with page.expect_navigation():
        page.get_by_role("button", name="领奖").click()
    expect(page.get_by_role("alert")).to_contain_text("登录请求来自其他网站，已拒绝")
    assert not [c for c in context.cookies(server) if c["name"] == "caseflow_session"]
    # the system's own login page signs in (same origin)
    page.goto(f"{server}/login")
    page.fill("#username", "clerk")
    page.fill("#password", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    assert [c for c in context.cookies(server) if c["name"] == "caseflow_session"]
    context.close()
