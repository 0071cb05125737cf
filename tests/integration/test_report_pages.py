"""The report pages (zh-CN, server-rendered) driven like a browser: the annual report laid out like the
official table with its downloads and the finalize form, the flag on the report and the dashboard
after a finalized figure changes, the office figures with their SVG charts, the candidates list, and
clear refusals of bad input. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient

from caseflow import law
from caseflow.reports import xlsx
from tests.integration.conftest import World
from tests.integration.reportdata import Builder, build
from tests.integration.test_pages import assert_html_page, text_of
from tests.integration.webapp import Web

#: The one script of every page: the layout's form keeping (caseflow/api/web/static/forms.js).
FORMS_SCRIPT = '<script src="/static/forms.js" defer>'

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ANNUAL = "/reports/annual?year=2025&agency=city&subtree=1"  # the aggregate (汇总); own is the default


@pytest.fixture
def data(world: World) -> Builder:
    return build(world)


def browser(web: Web, username: str) -> TestClient:
    client = web.browser(username)
    client.headers.update(HTML)
    return client


def figure(page: str, row: str, column: str) -> int:
    found = re.search(rf'<td data-row="{re.escape(row)}" data-col="{column}">(\d+)</td>', page)
    assert found, (row, column)
    return int(found.group(1))


def test_the_annual_report_page_and_its_downloads(web: Web, data: Builder) -> None:
    client = browser(web, "supervisor")
    page = assert_html_page(client.get(ANNUAL), 200, "政府信息公开工作年度报告")
    words = text_of(page)
    assert "某市人民政府办公室2025年政府信息公开工作年度报告（汇总）" in words
    assert "核对通过" in words and "尚未定稿" in words
    for row in law.TABLE3_ROWS:
        assert row.label in page
    assert figure(page, "received", "total") == 5
    assert figure(page, "carried_over", "public_interest") == 1
    assert figure(page, "total", "natural_person") == 3
    assert figure(page, "carried_forward", "commercial") == 2
    assert figure(page, "review", "total") == 2
    assert '<th rowspan="22" scope="row" class="label">三、本年度办理结果</th>' in page
    assert 'action="/reports/annual/finalize"' in page  # supervisors may finalize
    assert re.findall(r"<script[^>]*>", page) == [FORMS_SCRIPT]  # no script of its own (the layout's)
    link = re.search(r'href="(/reports/annual/download\?[^"]*format=xlsx[^"]*)"', page)
    assert link
    download = client.get(link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(download.content))[xlsx.SHEET3]
    assert sheet["A1"].value == law.TABLE3_TITLE
    # the department's report: the tree below the city, as chosen in the form
    dept = client.get("/reports/annual", params={"year": "2025", "agency": "dept", "subtree": "1"})
    assert figure(dept.text, "received", "total") == 1
    # auditors read the report but get no finalize form, and may not post one
    auditor = browser(web, "auditor")
    seen = auditor.get(ANNUAL)
    assert seen.status_code == 200 and 'action="/reports/annual/finalize"' not in seen.text
    token = web.csrf(auditor, ANNUAL)
    refused = auditor.post("/reports/annual/finalize", data={"csrf_token": token, "year": "2025"})
    assert refused.status_code == 403


def test_finalize_from_the_page_then_a_change_is_flagged(web: Web, data: Builder) -> None:
    client = browser(web, "supervisor")
    token = web.csrf(client, ANNUAL)
    missing = client.post("/reports/annual/finalize", data={"year": "2025", "agency": "city"})
    assert missing.status_code == 403  # no CSRF token
    done = client.post(
        "/reports/annual/finalize",
        data={"csrf_token": token, "year": "2025", "agency": "city", "subtree": "1"},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/reports/annual?year=2025")
    page = client.get(done.headers["location"]).text
    assert "已定稿：第1版" in text_of(page) and re.search(r"[0-9a-f]{64}", page)
    assert "定稿后有" not in page
    dashboard = client.get("/dashboard").text
    assert 'id="changed-report"' not in dashboard

    data.register("Z", "city", "research", "2025-10-13")  # a request registered late, for 2025
    page = client.get(ANNUAL).text
    words = text_of(page)
    assert "定稿后有4项数据发生变化" in words
    assert "一、本年新收政府信息公开申请数量 科研机构 1 2" in words  # finalized 1, now 2
    assert "四、结转下年度继续办理 总计 2 3" in words
    dashboard = client.get("/dashboard").text
    assert 'id="changed-report"' in dashboard
    assert "某市人民政府办公室2025年度报告（第1版）有4项数据在定稿后发生变化" in text_of(dashboard)

    # a second finalization is a revision: without a reason it is refused on the page
    token = web.csrf(client, ANNUAL)
    again = client.post(
        "/reports/annual/finalize",
        data={"csrf_token": token, "year": "2025", "agency": "city", "subtree": "1"},
    )
    assert again.status_code == 409 and "未能定稿" in text_of(again.text) and "reason" in again.text
    revised = client.post(
        "/reports/annual/finalize",
        data={
            "csrf_token": token,
            "year": "2025",
            "agency": "city",
            "subtree": "1",
            "reason": "补登记一件申请",
        },
    )
    assert revised.status_code == 303
    page = client.get(ANNUAL).text
    assert "已定稿：第2版" in text_of(page) and "修订说明：补登记一件申请" in text_of(page)
    assert 'id="changed-report"' not in client.get("/dashboard").text


def test_bad_input_on_the_pages(web: Web, data: Builder) -> None:
    client = browser(web, "supervisor")
    page = client.get("/reports/annual", params={"year": "abc"})
    assert page.status_code == 422 and "年度“abc”不是数字" in text_of(page.text)
    page = client.get("/reports/annual", params={"year": "2007"})
    assert page.status_code == 422 and "年度须在2008年至" in text_of(page.text)
    page = client.get("/reports/annual", params={"year": "2025", "agency": "nowhere"})
    assert page.status_code == 404 and "没有机关“nowhere”" in text_of(page.text)
    outsider = browser(web, "dept_supervisor").get(
        "/reports/annual", params={"year": "2025", "agency": "city"}
    )
    assert outsider.status_code == 404
    token = web.csrf(client, ANNUAL)
    early = client.post(
        "/reports/annual/finalize", data={"csrf_token": token, "year": "2026", "agency": "city"}
    )
    assert early.status_code == 409 and "尚未结束" in early.text
    empty = client.post("/reports/annual/finalize", data={"csrf_token": token})
    assert empty.status_code == 422 and "请选择要定稿的年度" in text_of(empty.text)
    dates = client.get("/reports/figures", params={"date_from": "2025-02-30"})
    assert dates.status_code == 422 and "起始日期“2025-02-30”不是有效日期" in text_of(dates.text)
    loose = client.get("/reports/candidates", params={"threshold": "x"})
    assert loose.status_code == 422
    bad = client.get("/reports/annual/download", params={"year": "2025", "format": "pdf"})
    assert bad.status_code == 422
    assert browser(web, "clerk").get(ANNUAL).status_code == 403


def test_office_figures_page_draws_its_charts_on_the_server(web: Web, data: Builder) -> None:
    client = browser(web, "supervisor")
    response = client.get(
        "/reports/figures", params={"agency": "city", "date_from": "2025-01-01", "date_to": "2025-12-31"}
    )
    page = assert_html_page(response, 200, "工作统计")
    assert re.findall(r"<script[^>]*>", page) == [FORMS_SCRIPT]  # no script of its own (the layout's)
    charts = re.findall(r'<svg [^>]*role="img" aria-label="([^"]+)"', page)
    assert charts == [
        "收到申请按渠道",
        "答复按时、延期与逾期",
        "收到申请至答复的工作日数分布",
        "办理中案件按剩余工作日",
        "办理中案件按经办人",
        "办理中案件按机关",
    ]
    assert re.search(r'<div class="stat" id="received">5</div>', page)
    assert re.search(r'<div class="stat" id="average">13.5</div>', page)
    assert re.search(r'<div class="stat" id="p90">29</div>', page)
    assert "<title>当面：5件</title>" in page and "<title>逾期答复：1件</title>" in page
    assert "<title>21-30：1件</title>" in page
    assert "<title>某市人民政府办公室：1件</title>" in page  # B6, open, named by its agency


def test_candidates_page_lists_requests_asked_by_several_applicants(web: Web, data: Builder) -> None:
    client = browser(web, "auditor")
    response = client.get("/reports/candidates", params={"date_from": "2023-01-01", "date_to": "2025-12-31"})
    page = assert_html_page(response, 200, "主动公开建议")
    words = text_of(page)
    assert re.search(r"10位申请人 ?，10件申请", words) and re.search(r"2位申请人 ?，3件申请", words)
    assert "可考虑纳入主动公开" in words
    assert data.cases["A1"].tracking_no in page
