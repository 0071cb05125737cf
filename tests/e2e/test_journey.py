"""The browser journey of issue 5: a posted request from intake to delivery, seen by every role.

clerk registers a posted request (computing the deadline first), asks for a supplement, records it,
drafts a withholding reply; the reviewer approves; the clerk issues and records delivery; the
supervisor's dashboard no longer lists the request as overdue; the auditor finds it, reads it without
any action and verifies every evidence chain. Screenshots of each role's main page and of the case
page are saved as test artifacts. A second test checks the public status page (no login).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from caseflow.evidence.verify import verify_package
from tests.e2e import helpers
from tests.e2e.helpers import assert_chinese

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
APPLICANT = "𠀾王小明"  # U+2003E: outside the Basic Multilingual Plane
#: Full-width digits (FULLWIDTH DIGIT ONE ...), normalised before the GB 11643 check digit is checked.
ID_NUMBER = "１１０１０１１９９００１１４１２３４"
POST_TRACKING = "EMS-EA123456789CN"
DESCRIPTION = "2026年本市老旧小区改造项目的立项批复及资金安排情况"
LATE_TRACKING = "EMS-EA987654321CN"
PASSWORD = "caseflow-demo"  # the demo users' password (caseflow.demo_data.DEFAULT_PASSWORD)
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)


def zh(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


# --- helpers -----------------------------------------------------------------------------------


def new_page(browser: Browser, base: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def login(page: Page, username: str, home: str) -> None:
    page.goto("/login")
    expect(page.locator("h1")).to_have_text("登录")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(re.escape(home) + r"$"))
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def problems(page: Page) -> str:
    """The flash message and field errors a re-rendered form shows, for assertion messages."""
    texts = page.locator(".flash, .error").all_inner_texts()
    return " | ".join(t.strip() for t in texts) or "(no message on the page)"


def state_badge(page: Page) -> Locator:
    return page.locator("h1 .badge").first


def act(
    page: Page,
    action: str,
    label: str,
    fields: dict[str, str] | None = None,
    selects: dict[str, str] | None = None,
) -> None:
    """Open the action's <details>, fill its form and submit it; the answer must be the case page."""
    box = page.locator(f"#action-{action}")
    expect(box, f"the action {label} ({action}) is offered").to_be_visible()
    box.locator("summary").click()
    for name, value in (selects or {}).items():
        page.locator(f"#{action}-{name}").select_option(value)
    for name, value in (fields or {}).items():
        page.locator(f"#{action}-{name}").fill(value)
    with page.expect_navigation() as navigation:
        box.get_by_role("button", name=label, exact=True).click()
    response = navigation.value
    assert response is not None
    assert response.status == 200, f"{action}: HTTP {response.status}: {problems(page)}"
    assert_chinese(page, f"the case page after {action}")
    expect(page).to_have_url(re.compile(rf"/cases/\d+\?done={action}$"))  # the page says what was done
    expect(page.locator("#done-notice")).to_have_text(f"已完成：{label}")


def section_table(page: Page, heading: str) -> Locator:
    return page.locator(f"xpath=//h2[normalize-space()='{heading}']/following-sibling::table[1]")


def shoot(page: Page, folder: Path, name: str) -> Path:
    """Every page the journey photographs is also checked for English sentences."""
    assert_chinese(page, name)
    return helpers.shoot(page, folder, name)


def register(
    page: Page,
    *,
    applicant: str,
    id_number: str,
    arrived: dt.datetime,
    confirmed: dt.date,
    proof: str,
    compute_first: bool,
) -> dict[str, str]:
    """Fill the intake form for a posted request (optionally computing the deadline first), save it
    and return what the case page shows: tracking number, query code, case URL."""
    page.get_by_role("link", name="登记申请").click()
    expect(page).to_have_url(re.compile(r"/intake$"))
    expect(page.locator("h1")).to_have_text("登记政府信息公开申请")
    page.select_option("#applicant_type", "natural_person")
    page.fill("#applicant_name", applicant)
    page.select_option("#id_type", label="居民身份证")
    page.fill("#id_number", id_number)
    page.fill("#phone", "13800138000")
    page.fill("#address", "某市某区幸福路8号3单元501室")
    page.fill("#description", DESCRIPTION)
    page.select_option("#provision_form", "email")
    page.select_option("#channel", "post")
    page.fill("#arrived_at", arrived.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#confirmed_on", confirmed.isoformat())
    page.fill("#receipt_proof", proof)

    if compute_first:
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="计算期限").click()
        response = navigation.value
        assert response is not None and response.status == 200, f"计算期限: {problems(page)}"
        computed = page.locator("#computed")
        expect(computed).to_be_visible()
        from caseflow import clock

        expected = clock.compute(clock.Timeline(confirmed))
        assert expected.reply_due is not None
        expect(computed).to_contain_text(f"收到申请日期：{zh(confirmed)}")
        expect(computed).to_contain_text(f"答复期限：{zh(expected.reply_due)}")
        assert ZH_DATE.search(computed.inner_text())
        # Nothing saved yet, and the form kept what was entered.
        expect(page).to_have_url(re.compile(r"/intake$"))
        expect(page.locator("#applicant_name")).to_have_value(applicant)
        expect(page.locator("#id_number")).to_have_value(id_number)
        expect(page.locator("#receipt_proof")).to_have_value(proof)
        expect(page.locator("#channel")).to_have_value("post")

    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="登记", exact=True).click()
    response = navigation.value
    assert response is not None and response.status == 200, f"登记: {problems(page)}"
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(state_badge(page)).to_have_text("已受理")
    expect(page.locator("main")).to_contain_text(f"凭证 {proof}")
    expect(page.locator("main")).to_contain_text(applicant)
    heading = page.locator("h1").inner_text()
    tracking = heading.replace(state_badge(page).inner_text(), "").strip()
    assert tracking, f"no tracking number in the heading {heading!r}"
    code = re.search(r"查询码\s*(\S+)", page.locator("main").inner_text())
    assert code, "the case page shows no 查询码"
    return {"tracking_no": tracking, "query_code": code.group(1), "url": page.url}


# --- the journey -------------------------------------------------------------------------------


def test_journey(server: str, browser: Browser, screenshots: Path, journey_record: dict[str, Any]) -> None:
    day = today()
    yesterday = day - dt.timedelta(days=1)

    # 1. The clerk registers a posted request: computes the deadline first, then saves.
    clerk_ctx, clerk = new_page(browser, server)
    login(clerk, "clerk", "/cases")
    expect(clerk.locator("h1")).to_contain_text("我的案件")
    case = register(
        clerk,
        applicant=APPLICANT,
        id_number=ID_NUMBER,
        arrived=dt.datetime.combine(yesterday, dt.time(15, 30)),
        confirmed=day,
        proof=POST_TRACKING,
        compute_first=True,
    )
    tracking, case_url = case["tracking_no"], case["url"]
    journey_record.update(case)
    main = clerk.locator("main")
    expect(main).to_contain_text(f"收到日期 {zh(day)}")
    expect(main).to_contain_text("邮寄")
    # The identity number is masked on the page until the full view is asked for (a form posted
    # with the CSRF token; the view is recorded in the evidence chain).
    expect(main).not_to_contain_text(ID_NUMBER)
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="查看完整号码（将记入证据链）").click()
    expect(main).to_contain_text(ID_NUMBER)

    # A request entered late (arrived two months ago): overdue on arrival, so that the supervisor's
    # overdue list is never empty whatever the demo data holds.
    late = register(
        clerk,
        applicant="欧阳娜娜",
        id_number="110101198807151234",
        arrived=dt.datetime.combine(day - dt.timedelta(days=60), dt.time(10, 0)),
        confirmed=day - dt.timedelta(days=60),
        proof=LATE_TRACKING,
        compute_first=False,
    )
    expect(clerk.locator(".stat.overdue")).to_be_visible()
    expect(clerk.locator("main")).to_contain_text("已逾期")

    # 2. Supplement: a notice with two items, then the supplement is received; the period restarts.
    clerk.goto(case_url)
    act(
        clerk,
        "request_supplement",
        "发出补正告知",
        fields={"items": "请明确所需信息的文号或形成时间\n请说明所需信息涉及的具体小区名称"},
    )
    expect(state_badge(clerk)).to_have_text("待补正")
    letters = section_table(clerk, "文书")
    expect(letters).to_contain_text("补正申请告知书")
    expect(clerk.locator("#action-receive_supplement")).to_be_visible()
    act(
        clerk,
        "receive_supplement",
        "收到补正",
        fields={"summary": "申请人补充了文号及小区名称"},
    )
    expect(state_badge(clerk)).to_have_text("已受理")
    explanation = clerk.locator("details:has(summary:text-is('期限计算说明'))")
    explanation.locator("summary").click()
    expect(explanation.locator("ol")).to_be_visible()
    expect(explanation).to_contain_text("重新计算")

    # 3. A withholding reply (process information) with its reasons: it goes to legal review.
    act(
        clerk,
        "draft_reply",
        "拟定答复",
        selects={"outcome": "withheld.process_info"},
        fields={"reasons": "申请公开的信息属于行政机关在履行行政管理职能过程中形成的讨论记录、过程稿。"},
    )
    expect(state_badge(clerk)).to_have_text("法制审核中")
    expect(clerk.locator("main")).to_contain_text("拟答复：")
    expect(clerk.locator("#action-issue_reply")).to_have_count(0)

    # 4. The reviewer finds it in the review queue and approves it.
    reviewer_ctx, reviewer = new_page(browser, server)
    login(reviewer, "reviewer", "/review")
    queue = reviewer.locator("h1:has-text('待审核的答复') + nav.pager + table")
    expect(queue).to_contain_text(tracking)
    shoot(reviewer, screenshots, "reviewer-review")
    with reviewer.expect_navigation():
        queue.get_by_role("link", name=tracking).click()
    expect(reviewer).to_have_url(re.compile(re.escape(case_url.split("/", 3)[-1]) + "$"))
    expect(reviewer.locator("#action-issue_reply")).to_have_count(0)
    act(reviewer, "approve_reply", "审核通过", fields={"comments": "同意，理由充分。"})
    expect(state_badge(reviewer)).to_have_text("待签发")
    reviewer_ctx.close()

    # 5. The clerk issues the reply and records its delivery by e-mail.
    clerk.goto(case_url)
    expect(state_badge(clerk)).to_have_text("待签发")
    act(clerk, "issue_reply", "签发答复")
    expect(state_badge(clerk)).to_have_text("已答复")
    act(
        clerk,
        "record_delivery",
        "登记送达",
        selects={"method": "email"},
        fields={"proof": "电子邮件送达回执 2026-ER-0001"},
    )
    expect(state_badge(clerk)).to_have_text("已答复")
    expect(clerk.locator("#action-record_delivery")).to_have_count(0)
    letters = section_table(clerk, "文书")
    expect(letters).to_contain_text("补正申请告知书")
    expect(letters).to_contain_text("政府信息公开申请答复书")
    # an answered request shows when it was answered and its deadline, no longer a countdown
    expect(clerk.locator("main")).to_contain_text("答复期限为")
    due_text = clerk.locator("p.muted", has_text="答复期限为").first.inner_text()
    journey_record["reply_due"] = due_text.strip().removeprefix("答复期限为")
    journey_record["state"] = "已答复"
    shoot(clerk, screenshots, "case-page")
    reply_row = letters.locator("tr", has_text="政府信息公开申请答复书")
    href = reply_row.get_by_role("link", name="查看").get_attribute("href")
    assert href and href.endswith("format=html"), href
    response = clerk.goto(href)
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    letter_text = clerk.locator("body").inner_text()
    assert "政府信息公开申请答复书" in letter_text
    assert "行政复议" in letter_text
    assert "应当先申请行政复议" in letter_text, "a refusal issued after 2024 must require review first"
    assert APPLICANT in letter_text
    clerk.goto("/cases")
    expect(clerk.locator("h1")).to_contain_text("我的案件")
    expect(clerk.locator("main table")).to_contain_text(tracking)
    shoot(clerk, screenshots, "clerk-cases")
    clerk_ctx.close()

    # 6. The supervisor's dashboard: counts, chart, overdue list without the answered request.
    sup_ctx, sup = new_page(browser, server)
    login(sup, "supervisor", "/dashboard")
    expect(sup.locator("h1")).to_contain_text(f"督办看板 截至{zh(day)}")
    overdue_card = sup.locator(".card", has=sup.locator(".muted", has_text=re.compile("^已逾期$")))
    soon_card = sup.locator(".card", has=sup.locator(".muted", has_text="3个工作日内到期"))
    expect(overdue_card.locator(".stat")).to_have_text(re.compile(r"^\d+$"))
    expect(soon_card.locator(".stat")).to_have_text(re.compile(r"^\d+$"))
    overdue_count = int(overdue_card.locator(".stat").inner_text())
    expect(sup.locator("svg[role=img]")).to_be_visible()
    expect(sup.locator("svg[role=img] rect")).to_have_count(6)  # five groups of days left, and paused
    overdue_table = sup.locator("#overdue + nav.pager + table")
    expect(overdue_table).to_be_visible()
    expect(overdue_table).not_to_contain_text(tracking)
    expect(overdue_table).to_contain_text(late["tracking_no"])
    overdue_links = overdue_table.locator("tbody a")
    assert overdue_count >= 1
    assert overdue_links.count() == min(overdue_count, 20), (
        "the table's first page lists the overdue requests"
    )
    shoot(sup, screenshots, "supervisor-dashboard")
    first = overdue_links.first
    picked = first.inner_text().strip()
    with sup.expect_navigation():
        first.click()
    expect(sup.locator("h1")).to_contain_text(picked)
    expect(sup.locator("main")).to_contain_text("已逾期")
    sup_ctx.close()

    # 7. The auditor searches the tracking number, reads the case (no actions), verifies all chains.
    aud_ctx, aud = new_page(browser, server)
    login(aud, "auditor", "/search")
    shoot(aud, screenshots, "auditor-search")
    aud.fill("#q", tracking)
    with aud.expect_navigation():
        aud.get_by_role("button", name="检索").click()
    expect(aud.locator("h1")).to_have_text("案件检索（1件）")
    results = aud.locator("main > table")
    expect(results).to_contain_text(tracking)
    expect(results).to_contain_text("已答复")
    with aud.expect_navigation():
        results.get_by_role("link", name=tracking).click()
    expect(state_badge(aud)).to_have_text("已答复")
    expect(aud.locator("main")).to_contain_text("当前没有您可以办理的操作。")
    expect(aud.locator("details[id^='action-']")).to_have_count(0)
    expect(aud.get_by_role("button", name="签发答复")).to_have_count(0)
    # no action forms; the only forms are the evidence downloads, the recorded full identity view and
    # the evidence check of this request (POSTs with the CSRF token; none changes the request)
    others = "main form:not(.evidence-download):not(#identity-view):not(.verify-case)"
    expect(aud.locator(others)).to_have_count(0)
    events = section_table(aud, "证据记录")
    expect(events).to_contain_text("发出补正告知")  # the actions by their Chinese names
    expect(events).to_contain_text("登记送达")
    expect(events).not_to_contain_text("request_supplement")
    # The auditor downloads the evidence package; it verifies offline, and the page checks it too.
    with aud.expect_download() as download_info:
        aud.locator("#evidence-download").click()
    package = screenshots.parent / f"{tracking}-evidence.zip"
    download_info.value.save_as(package)
    summary = verify_package(package)
    assert summary.tracking_nos == [tracking] and summary.exporter == "auditor"
    assert summary.events >= 8
    aud.goto("/search")
    aud.set_input_files("#package", str(package))
    with aud.expect_navigation():
        aud.get_by_role("button", name="校验证据包").click()
    expect(aud.locator("main")).to_contain_text("证据包完整")
    aud.goto("/search")
    with aud.expect_navigation():
        aud.get_by_role("button", name="校验全部证据链").click()
    # a background job (the page follows its progress until it is done)
    expect(aud.locator("main")).to_contain_text("未发现问题", timeout=60_000)
    expect(aud.locator("main")).to_contain_text(re.compile(r"已核验 (\d+)/\1 件申请"))
    assert_chinese(aud, "the verification job")
    aud_ctx.close()

    # 8. The admin's main page.
    admin_ctx, admin = new_page(browser, server)
    login(admin, "admin", "/admin")
    expect(admin.locator("main")).to_contain_text("clerk")
    shoot(admin, screenshots, "admin-admin")
    admin_ctx.close()

    for name in ("clerk-cases", "reviewer-review", "supervisor-dashboard", "auditor-search", "admin-admin"):
        assert (screenshots / f"{name}.png").exists(), name
    assert (screenshots / "case-page.png").exists()


# --- the public status page --------------------------------------------------------------------


def test_public_status(
    server: str, browser: Browser, screenshots: Path, journey_record: dict[str, Any]
) -> None:
    """Tracking number and query code show state and dates, nothing personal (no login)."""
    record = dict(journey_record)
    if "tracking_no" not in record:  # run on its own: register a request of our own first
        ctx, clerk = new_page(browser, server)
        login(clerk, "clerk", "/cases")
        day = today()
        record = register(
            clerk,
            applicant=APPLICANT,
            id_number=ID_NUMBER,
            arrived=dt.datetime.combine(day - dt.timedelta(days=1), dt.time(15, 30)),
            confirmed=day,
            proof=POST_TRACKING,
            compute_first=False,
        )
        record["state"] = "已受理"
        record["reply_due"] = clerk.locator(".stat").first.inner_text().strip()
        ctx.close()

    ctx, page = new_page(browser, server)
    page.goto("/public/status")
    expect(page.locator("h1")).to_have_text("政府信息公开申请办理进度查询")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)

    page.fill("#tracking_no", record["tracking_no"])
    page.fill("#code", "WRONG0")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert")).to_contain_text("未找到")

    page.fill("#tracking_no", record["tracking_no"])
    page.fill("#code", record["query_code"])
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    table = page.locator("main table")
    expect(table).to_be_visible()
    row = dict(zip(table.locator("th").all_inner_texts(), table.locator("td").all_inner_texts(), strict=True))
    assert row["查询编号"] == record["tracking_no"]
    assert row["办理状态"] == record["state"]
    assert row["收到申请日期"] == zh(today())
    assert ZH_DATE.fullmatch(row["答复期限"].removesuffix("（暂定）")), row
    assert row["答复期限"] == record["reply_due"] or row["答复期限"].startswith(record["reply_due"]), row
    if record["state"] == "已答复":
        assert row["答复日期"] == zh(today())
    content = page.content()
    for personal in (APPLICANT, ID_NUMBER, "13800138000", "幸福路", DESCRIPTION):
        assert personal not in content, f"the public page shows {personal!r}"
    shoot(page, screenshots, "public-status")
    ctx.close()
