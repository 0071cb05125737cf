"""Intake checks (issue 16 item 6), in Chromium as the clerk registers a request.

- 证件类型 is a list of the seven documents (居民身份证 first), not free text;
- a 居民身份证 number typed in full-width digits with a wrong check digit, a landline without its area
  code and an e-mail without "@" are refused on the form, each with its Chinese message beside the
  field (naming GB 11643-1999 for the number), and everything typed is still in the form;
- an organisation's 统一社会信用代码 with a wrong check character is refused naming GB 32100-2015;
- 计算期限 for an application arriving tomorrow is refused exactly as 登记 refuses it;
- the corrected form (the same full-width number with the right check digit) registers the request.

Every page reached is checked for visible English (helpers.assert_chinese); screenshots are saved.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT_MS, assert_chinese, login, new_page, shoot
from tests.idnumbers import full_width, valid_ric, valid_uscc

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

expect.set_options(timeout=TIMEOUT_MS)
SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_TYPES = [
    "居民身份证",
    "统一社会信用代码",
    "护照",
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "外国人永久居留身份证",
    "其他",
]
#: A valid number typed with full-width digits, and the same number with its check digit wrong.
GOOD_ID = full_width(valid_ric(dt.date(1991, 3, 15), 258))
BAD_ID = GOOD_ID[:17] + ("１" if GOOD_ID[17] != "１" else "２")
CREDIT_CODE = valid_uscc("91110105MA01ABC2D")


def field_error(page: Page, field: str) -> str:
    """The error shown beside a field (the block that holds its input)."""
    return page.locator(f"div:has(> #{field}) > .error").inner_text()


def submit(page: Page, button: str, status: int) -> None:
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=button, exact=True).click()
    response = navigation.value
    assert response is not None and response.status == status, (button, response and response.status)


def fill(page: Page, *, id_number: str, phone: str, email: str, arrived: dt.datetime) -> None:
    page.select_option("#applicant_type", "natural_person")
    page.fill("#applicant_name", "赵核对")
    page.select_option("#id_type", label="居民身份证")
    page.fill("#id_number", id_number)
    page.fill("#phone", phone)
    page.fill("#email", email)
    page.fill("#description", "本区2026年道路养护项目的招标文件")
    page.select_option("#channel", "in_person")
    page.fill("#arrived_at", arrived.strftime("%Y-%m-%dT%H:%M"))


def test_intake_checks_identity_contact_and_arrival(server: str, browser: Browser, screenshots: Path) -> None:
    context, page = new_page(browser, server)
    try:
        login(page, "clerk")
        page.goto("/intake")
        expect(page.locator("h1")).to_have_text("登记政府信息公开申请")
        assert_chinese(page, "intake form")

        # 证件类型 is a list, 居民身份证 chosen unless the clerk picks another.
        id_type = page.locator("#id_type")
        assert id_type.evaluate("el => el.tagName") == "SELECT"
        assert [t.strip() for t in id_type.locator("option").all_inner_texts()] == ID_TYPES
        expect(id_type).to_have_value("resident_id")

        # A wrong check digit (typed in full-width digits), a bad phone and a bad e-mail: refused on
        # the form, each beside its field, everything typed kept.
        earlier = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)
        fill(page, id_number=BAD_ID, phone="6512 3456", email="zhao.example.cn", arrived=earlier)
        submit(page, "登记", 422)
        assert "居民身份证号码校验位不正确（GB 11643-1999）" in field_error(page, "id_number")
        assert "固定电话须带区号" in field_error(page, "phone")
        assert "电子邮箱地址“zhao.example.cn”缺少“@”" in field_error(page, "email")
        expect(page.locator("#id_number")).to_have_value(BAD_ID)
        expect(page.locator("#phone")).to_have_value("6512 3456")
        expect(page.locator("#email")).to_have_value("zhao.example.cn")
        expect(page.locator("#applicant_name")).to_have_value("赵核对")
        expect(page.locator("#id_type")).to_have_value("resident_id")
        assert_chinese(page, "intake refused: ID number, phone, e-mail")
        shoot(page, screenshots, "intake-checks-errors")

        # An organisation: a personal document is not its proof; its credit code must check.
        page.select_option("#applicant_type", "commercial")
        page.fill("#applicant_name", "某某建设工程有限公司")
        page.fill("#phone", "010-6512 3456 转 801")
        page.fill("#email", "office@example.cn")
        submit(page, "登记", 422)
        assert "申请人为法人或者其他组织的，身份证明应为统一社会信用代码" in field_error(page, "id_type")
        page.select_option("#id_type", label="统一社会信用代码")
        page.fill("#id_number", CREDIT_CODE[:17] + ("0" if CREDIT_CODE[17] != "0" else "1"))
        submit(page, "登记", 422)
        assert "统一社会信用代码校验码不正确（GB 32100-2015）" in field_error(page, "id_number")
        expect(page.locator("#id_type")).to_have_value("credit_code")
        expect(page.locator("#phone")).to_have_value("010-6512 3456 转 801")
        assert_chinese(page, "intake refused: credit code")
        shoot(page, screenshots, "intake-checks-credit-code")

        # 计算期限 for an application that arrives tomorrow: refused as 登记 refuses it.
        page.goto("/intake")
        tomorrow = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).replace(hour=10, minute=0)
        fill(page, id_number=GOOD_ID, phone="138 0013 8000", email="zhao@example.cn", arrived=tomorrow)
        refused = f"到达时间{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日 10:00晚于现在"
        submit(page, "计算期限", 422)
        computed_error = field_error(page, "arrived_at")
        assert refused in computed_error and "尚未到达的申请不能登记" in computed_error
        expect(page.locator("#computed")).to_have_count(0)
        expect(page.locator("#arrived_at")).to_have_value(tomorrow.strftime("%Y-%m-%dT%H:%M"))
        assert_chinese(page, "计算期限 refused")
        shoot(page, screenshots, "intake-checks-future-arrival")
        submit(page, "登记", 422)
        saved_error = field_error(page, "arrived_at")
        assert refused in saved_error and "尚未到达的申请不能登记" in saved_error
        assert computed_error.split("（")[0] == saved_error.split("（")[0]

        # Corrected: the full-width number with its right check digit computes and registers.
        page.fill("#arrived_at", earlier.strftime("%Y-%m-%dT%H:%M"))
        submit(page, "计算期限", 200)
        expect(page.locator("#computed")).to_contain_text("答复期限")
        expect(page.locator("#id_number")).to_have_value(GOOD_ID)
        with page.expect_navigation():
            page.get_by_role("button", name="登记", exact=True).click()
        expect(page).to_have_url(re.compile(r"/cases/\d+$"))
        expect(page.locator("main")).to_contain_text("赵核对")
        expect(page.locator("main")).to_contain_text("居民身份证")
        assert_chinese(page, "registered case")
        shoot(page, screenshots, "intake-checks-registered")
    finally:
        context.close()
