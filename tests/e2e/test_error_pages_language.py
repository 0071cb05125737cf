"""Every error a person can reach on the pages speaks Chinese (issue 16, item 1), in Chromium.

A clerk submits the registration form empty and with bad values (each error named by the field's
Chinese label, never its machine name, the values typed kept), then registers the request; on its
page an action with missing facts, the same request changed in another tab (stale version), and a
form whose security token no longer fits (CSRF). A supervisor extends the deadline twice (the
engine's refusal). The clerk opens the admin page (403), a request and an address that do not
exist (404), addresses that only take forms (405, with the Allow header), sends an upload over the
limit (413); someone tries wrong passwords until the sign-in is throttled (429). On every page:
the expected Chinese text is visible, no English sentence is (``assert_chinese``), a screenshot.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT_MS, assert_chinese, login, new_page, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

expect.set_options(timeout=TIMEOUT_MS)

PHONE = "13912345678"
DESCRIPTION = "2026年本区道路维修工程的预算及招标文件"
ID_NUMBER = "11010519491231002X"  # a valid GB 11643 number (check character X)
MACHINE_NAMES = ("applicant_name", "id_number", "description", "arrived_at", "period_days", "items")


def flash(page: Page) -> str:
    """The text of the page's notices (the form's summary of errors, the refusal)."""
    return " ".join(page.locator("[role=alert]").all_inner_texts())


def no_machine_names(page: Page) -> None:
    shown = page.locator("main").inner_text()
    for name in MACHINE_NAMES:
        assert f"{name}：" not in shown and f"{name}:" not in shown, f"{name} shown on {page.url}"


def action_form(page: Page, action: str) -> None:
    """Open the action's form on the case page (a <details> element)."""
    details = page.locator(f"#action-{action}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def register_with_errors_then_properly(page: Page, screenshots: Path) -> int:
    page.goto("/intake")
    expect(page.locator("h1")).to_have_text("登记政府信息公开申请")
    # empty name and description: refused, each error under the field's Chinese label
    page.fill("#applicant_name", "")
    page.fill("#phone", PHONE)
    page.fill("#description", "")
    with page.expect_navigation():
        page.get_by_role("button", name="登记").click()
    summary = flash(page)
    assert "申请未保存" in summary and "姓名或名称：" in summary, summary
    assert "所需政府信息的描述：" in summary, summary
    expect(page.locator("#phone")).to_have_value(PHONE)  # what was typed is kept
    no_machine_names(page)
    assert_chinese(page)
    shoot(page, screenshots, "errors-01-intake-empty")
    # bad values: an ID number whose check character is wrong
    page.select_option("#applicant_type", "natural_person")
    page.fill("#applicant_name", "赵六")
    page.select_option("#id_type", label="居民身份证")
    page.fill("#id_number", "110105194912310021")
    page.fill("#description", DESCRIPTION)
    page.select_option("#channel", "in_person")
    with page.expect_navigation():
        page.get_by_role("button", name="登记").click()
    assert "证件号码：" in flash(page), flash(page)
    expect(page.locator("#applicant_name")).to_have_value("赵六")
    expect(page.locator("#description")).to_have_value(DESCRIPTION)
    no_machine_names(page)
    assert_chinese(page)
    shoot(page, screenshots, "errors-02-intake-bad-values")
    # put right: registered, the request's page
    page.fill("#id_number", ID_NUMBER)
    with page.expect_navigation():
        page.get_by_role("button", name="登记").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+"))
    found = re.search(r"/cases/(\d+)", page.url)
    assert found
    return int(found.group(1))


def test_every_error_page_speaks_chinese(server: str, browser: Browser, screenshots: Path) -> None:
    context, page = new_page(browser, server)
    login(page, "clerk")
    case_id = register_with_errors_then_properly(page, screenshots)
    case_url = f"/cases/{case_id}"

    # an action with its facts missing: the form again, the field named by its label
    action_form(page, "request_supplement")
    with page.expect_navigation():
        page.locator("#action-request_supplement button[type=submit]").click()
    assert "需补正的事项：" in flash(page), flash(page)
    expect(page.locator("#action-request_supplement .error")).not_to_have_count(0)
    no_machine_names(page)
    assert_chinese(page)
    shoot(page, screenshots, "errors-03-action-facts")

    # the same request in two tabs: a note in one, then in the other (stale version)
    other = context.new_page()
    other.goto(case_url)
    page.goto(case_url)
    action_form(page, "add_note")
    page.fill("#add_note-text", "第一个标签页的说明")
    with page.expect_navigation():
        page.locator("#action-add_note button[type=submit]").click()
    action_form(other, "add_note")
    other.fill("#add_note-text", "第二个标签页的说明")
    with other.expect_navigation():
        other.locator("#action-add_note button[type=submit]").click()
    assert "已被修改" in flash(other) and "请刷新后重试" in flash(other), flash(other)
    expect(other.locator("#add_note-text")).to_have_value("第二个标签页的说明")  # kept
    assert_chinese(other)
    shoot(other, screenshots, "errors-04-stale-version")
    other.close()

    # a form whose security token no longer fits this session
    page.goto(case_url)
    action_form(page, "add_note")
    page.fill("#add_note-text", "令牌被换掉的表单")
    page.eval_on_selector("#action-add_note input[name=csrf_token]", "el => { el.value = 'forged' }")
    with page.expect_navigation():
        page.locator("#action-add_note button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("403 · 表单已失效")
    expect(page.locator("#error")).to_contain_text("表单的安全令牌缺失或已失效")
    expect(page.get_by_role("link", name="返回上一页")).to_have_attribute("href", case_url)
    assert_chinese(page)
    shoot(page, screenshots, "errors-05-csrf")

    # 403: the admin page is not the clerk's
    page.goto("/admin")
    expect(page.locator("h1")).to_contain_text("403 · 无权访问")
    expect(page.locator("#error")).to_contain_text("经办人")
    assert_chinese(page)
    shoot(page, screenshots, "errors-06-forbidden")

    # 404: no such request, no such address
    page.goto("/cases/99999999")
    expect(page.locator("h1")).to_contain_text("404 · 未找到")
    expect(page.locator("#error")).to_contain_text("没有编号为 99999999 的申请")
    assert_chinese(page)
    shoot(page, screenshots, "errors-07-no-such-request")
    page.goto("/nonexistent")
    expect(page.locator("h1")).to_contain_text("404 · 未找到")
    expect(page.locator("#error")).to_contain_text("没有这个地址")
    assert_chinese(page)

    # 405: the address of a button opened directly
    for target in ("/logout", f"{case_url}/actions/extend"):
        response = page.goto(target)
        assert response is not None and response.status == 405, target
        assert "POST" in response.headers["allow"], response.headers
        expect(page.locator("h1")).to_contain_text("405 · 请求方式不正确")
        expect(page.locator("#error")).to_contain_text("只能通过页面上的按钮或表单提交")
        assert_chinese(page)
    shoot(page, screenshots, "errors-08-method-not-allowed")

    # 413: an upload over the limit (refused in the browser before sending, or by the server)
    page.goto("/intake")
    page.fill("#applicant_name", "钱七")
    page.set_input_files(
        "#application_scan",
        files=[{"name": "扫描件.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * (21 << 20)}],
    )
    page.get_by_role("button", name="登记").click()
    expect(page.locator("body")).to_contain_text("20 MB")
    expect(page.locator("#applicant_name")).to_have_value("钱七")
    assert_chinese(page)
    shoot(page, screenshots, "errors-09-too-large")
    context.close()

    # the engine's refusal: a supervisor extends the same request twice
    context, page = new_page(browser, server)
    login(page, "supervisor")
    page.goto(case_url)
    action_form(page, "extend")
    page.fill("#extend-reason", "需要检索多年档案")
    with page.expect_navigation():
        page.locator("#action-extend button[type=submit]").click()
    page.goto(case_url)
    if page.locator("#action-extend").count():
        action_form(page, "extend")
        page.fill("#extend-reason", "仍需更多时间")
        with page.expect_navigation():
            page.locator("#action-extend button[type=submit]").click()
    else:  # not offered any more: the form's target is refused the same way
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        html = page.request.post(
            f"{case_url}/actions/extend",
            form={"reason": "仍需更多时间", "csrf_token": token or ""},
            headers={"Accept": "text/html"},
        )
        assert html.status == 409
        page.set_content(html.text())
    refusal = flash(page)
    assert refusal and re.search(r"[\u4e00-\u9fff]", refusal), refusal
    assert "extend" not in refusal, refusal
    assert_chinese(page)
    shoot(page, screenshots, "errors-10-engine-refusal")
    context.close()

    # 429: wrong passwords for one user name until the sign-in is throttled
    context, page = new_page(browser, server)
    for _ in range(6):
        page.goto("/login")
        page.fill("#username", "no-such-user-429")
        page.fill("#password", "wrong-password")
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("登录失败次数过多：该用户名")
    assert_chinese(page)
    shoot(page, screenshots, "errors-11-sign-in-throttled")
    context.close()
