"""Lists that scale, in Chromium: a clerk with more than 500 requests finds today's work on the first
screen, pages through the list with visible links that keep the filters, and filters by state; a
supervisor filters the search by agency name and pages the dashboard's tables; the reviewer's queue
is paged too. Every page reached is checked for English sentences and photographed.

The server is this module's own: ``caseflow demo --cases 30`` and then 500 more requests for the demo
clerk inserted by ``caseflow.bulk.bulk_requests`` (valid ledgers and evidence, two years of history, so
most are concluded and a few still open). What the pages show is compared with the database, read
here directly and sorted by the rule the lists promise (not by the query under test).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, text

from caseflow.dates import today
from tests.e2e.conftest import demo_server
from tests.e2e.helpers import assert_chinese, login, new_page, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BULK = 500
DRAFTS = 4
PAGE_SIZE = 50
OPEN = (
    "received",
    "supplement-required",
    "consultation",
    "fee-pending",
    "extended",
    "legal-review",
    "ready-to-issue",
)

_BULK_SCRIPT = f"""
from caseflow.bulk import bulk_requests
from caseflow.dates import today
from caseflow.db import get_engine
bulk_requests(get_engine(), count={BULK}, seed=11, today=today(), agency_codes=["city"], handler="clerk")
# Drafts for the reviewer's queue, through the engine: the clerk drafts a withholding reply (it needs
# legal review) for the four most recently received open requests.
from sqlmodel import Session, col, select
from caseflow import service
from caseflow.models import Case, User
with Session(get_engine()) as session:
    clerk = service.Actor.of(session, session.exec(select(User).where(User.username == "clerk")).one())
    received = session.exec(
        select(Case.id).where(Case.state == "received", Case.handler_id == clerk.user_id)
        .order_by(col(Case.receipt_date).desc()).limit({DRAFTS})
    ).all()
    for case_id in received:
        service.perform(session=session, case_id=case_id, actor=clerk, action="draft_reply",
                        facts={{"outcome": "withheld.process_info", "reasons": "属于内部讨论记录"}})
"""


@dataclass(frozen=True)
class Served:
    base: str
    db_url: str


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A demo database whose clerk handles more than 500 requests, served by ``caseflow serve``."""
    with demo_server(tmp_path_factory.mktemp("e2e-lists"), ["-c", _BULK_SCRIPT]) as (base, db_url):
        yield Served(base, db_url)


def rows_of(served: Served, where: str = "1=1", **params: Any) -> list[dict[str, Any]]:
    """The requests matching ``where``, in the order the lists promise: open with a running deadline
    by the deadline (most overdue first), open with a stopped clock by receipt (oldest first), then
    concluded, most recently concluded first."""
    engine = create_engine(served.db_url)
    with engine.connect() as conn:
        found = [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT r.id, r.tracking_no, r.state, r.reply_due, r.receipt_date, r.answered_on, "
                    "r.closed_on "
                    "FROM request r JOIN agency a ON a.id = r.agency_id "
                    f"LEFT JOIN app_user u ON u.id = r.handler_id WHERE {where}"
                ),
                params,
            )
        ]
    engine.dispose()

    def day(value: Any) -> dt.date | None:
        return dt.date.fromisoformat(str(value)[:10]) if value else None

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        due, received = day(r["reply_due"]), day(r["receipt_date"])
        assert received is not None
        if r["state"] in OPEN and due is not None:
            return (0, due.toordinal(), r["id"])
        if r["state"] in OPEN:
            return (1, received.toordinal(), r["id"])
        ended = day(r["answered_on"]) or day(r["closed_on"]) or received
        return (2, -ended.toordinal(), -r["id"])

    return sorted(found, key=key)


def shown_ids(page: Page, table: str = "table") -> list[int]:
    return [
        int(x)
        for x in page.locator(f"{table} tbody tr[data-id]").evaluate_all("rs => rs.map(r => r.dataset.id)")
    ]


def pager_text(page: Page) -> str:
    return page.locator("nav.pager").first.inner_text()


def test_clerk_finds_todays_work_first_and_pages_through(
    big: Served, browser: Browser, screenshots: Path
) -> None:
    mine = rows_of(big, "u.username = :who", who="clerk")
    assert len(mine) > BULK
    pages = math.ceil(len(mine) / PAGE_SIZE)
    context, page = new_page(browser, big.base)
    try:
        login(page, "clerk")
        assert_chinese(page)
        shoot(page, screenshots, "lists-clerk-page1")
        assert page.locator("h1").inner_text() == f"我的案件（{len(mine)}件）"
        nav = pager_text(page)
        assert f"共 {len(mine)} 件" in nav and f"第1页/共{pages}页" in nav
        # the first screen: the most urgent open work, exactly as the database orders it
        assert shown_ids(page) == [r["id"] for r in mine[:PAGE_SIZE]]
        first = page.locator("tbody tr[data-id]").first
        top = mine[0]
        assert top["state"] in OPEN and top["reply_due"] is not None
        if dt.date.fromisoformat(str(top["reply_due"])[:10]) < today():
            assert re.search(r"已逾期\d+个工作日", first.locator("td.days-left").inner_text())
        assert top["tracking_no"] in first.inner_text()
        # every open request with a running deadline shows its working days; concluded ones do not
        cells = page.locator("tbody tr[data-id] td.days-left").all_inner_texts()
        for row, cell in zip(mine[:PAGE_SIZE], cells, strict=True):
            if row["state"] in OPEN and row["reply_due"]:
                assert re.fullmatch(r"(已逾期|剩余)\d+个工作日", cell), cell
            elif row["state"] in OPEN:
                assert cell == "已暂停"
            else:
                assert cell == "—"

        # 下一页: the next fifty, in order
        with page.expect_navigation():
            page.locator("nav.pager").first.get_by_role("link", name="下一页").click()
        assert parse_qs(urlsplit(page.url).query)["page"] == ["2"]
        assert shown_ids(page) == [r["id"] for r in mine[PAGE_SIZE : 2 * PAGE_SIZE]]
        assert f"第2页/共{pages}页" in pager_text(page)
        assert_chinese(page)
        shoot(page, screenshots, "lists-clerk-page2")
        # 末页 and 首页
        with page.expect_navigation():
            page.locator("nav.pager").first.get_by_role("link", name="末页").click()
        assert shown_ids(page) == [r["id"] for r in mine[(pages - 1) * PAGE_SIZE :]]
        with page.expect_navigation():
            page.locator("nav.pager").first.get_by_role("link", name="首页").click()
        assert shown_ids(page) == [r["id"] for r in mine[:PAGE_SIZE]]
        # 每页100件
        with page.expect_navigation():
            page.locator("nav.pager").first.get_by_role("link", name="100件").click()
        assert shown_ids(page) == [r["id"] for r in mine[:100]]
        assert f"第1页/共{math.ceil(len(mine) / 100)}页" in pager_text(page)
    finally:
        context.close()


def test_clerk_filters_by_state_and_the_pages_keep_the_filter(
    big: Served, browser: Browser, screenshots: Path
) -> None:
    context, page = new_page(browser, big.base)
    try:
        login(page, "clerk")
        # the state with the most of the clerk's requests, so that the filtered list has pages
        counts: dict[str, int] = {}
        for r in rows_of(big, "u.username = :who", who="clerk"):
            counts[r["state"]] = counts.get(r["state"], 0) + 1
        state = max(counts, key=lambda s: counts[s])
        wanted = rows_of(big, "u.username = :who AND r.state = :state", who="clerk", state=state)
        assert len(wanted) > PAGE_SIZE
        page.select_option("#state", value=state)
        with page.expect_navigation():
            page.get_by_role("button", name="筛选").click()
        assert_chinese(page)
        shoot(page, screenshots, "lists-clerk-state-filter")
        assert f"共 {len(wanted)} 件" in pager_text(page)
        assert shown_ids(page) == [r["id"] for r in wanted[:PAGE_SIZE]]
        with page.expect_navigation():
            page.locator("nav.pager").first.get_by_role("link", name="下一页").click()
        query = parse_qs(urlsplit(page.url).query)
        assert query["state"] == [state] and query["page"] == ["2"]
        assert page.locator("#state").input_value() == state, "the form keeps the filter"
        assert shown_ids(page) == [r["id"] for r in wanted[PAGE_SIZE : 2 * PAGE_SIZE]]
        assert_chinese(page)

        # the deadline filter: overdue only, most overdue first
        overdue = [
            r
            for r in rows_of(big, "u.username = :who", who="clerk")
            if r["state"] in OPEN and r["reply_due"] and str(r["reply_due"])[:10] < today().isoformat()
        ]
        page.select_option("#state", value="")
        page.select_option("#due", value="overdue")
        with page.expect_navigation():
            page.get_by_role("button", name="筛选").click()
        assert f"共 {len(overdue)} 件" in pager_text(page)
        assert shown_ids(page) == [r["id"] for r in overdue[:PAGE_SIZE]]
        assert all("已逾期" in c for c in page.locator("td.days-left").all_inner_texts())
        assert_chinese(page)
        shoot(page, screenshots, "lists-clerk-overdue")
    finally:
        context.close()


def test_supervisor_searches_by_agency_name_and_pages_the_dashboard(
    big: Served, browser: Browser, screenshots: Path
) -> None:
    context, page = new_page(browser, big.base)
    try:
        login(page, "supervisor")
        assert_chinese(page)
        shoot(page, screenshots, "lists-supervisor-dashboard")
        overdue_all = [
            r
            for r in rows_of(big)
            if r["state"] in OPEN and r["reply_due"] and str(r["reply_due"])[:10] < today().isoformat()
        ]
        overdue_nav = page.locator("h2#overdue + nav.pager")
        assert f"共 {len(overdue_all)} 件" in overdue_nav.inner_text()
        assert shown_ids(page, "h2#overdue ~ table")[: min(20, len(overdue_all))] == [
            r["id"] for r in overdue_all[:20]
        ]

        page.goto("/search")
        city = rows_of(big, "a.code = :code", code="city")
        options = page.locator("#agency option").all_inner_texts()
        assert "全部" in options and all(re.search(r"[\u4e00-\u9fff]", o) for o in options), options
        name = page.locator("#agency option[value=city]").inner_text()
        page.select_option("#agency", label=name)
        with page.expect_navigation():
            page.get_by_role("button", name="检索").click()
        assert_chinese(page)
        shoot(page, screenshots, "lists-search-agency")
        assert page.locator("h1").inner_text() == f"案件检索（{len(city)}件）"
        assert shown_ids(page) == [r["id"] for r in city[:PAGE_SIZE]]
        with page.expect_navigation():
            page.locator("nav.pager").first.get_by_role("link", name="下一页").click()
        assert parse_qs(urlsplit(page.url).query)["agency"] == ["city"]
        assert page.locator("#agency option:checked").inner_text() == name
        assert shown_ids(page) == [r["id"] for r in city[PAGE_SIZE : 2 * PAGE_SIZE]]
        assert_chinese(page)
    finally:
        context.close()


def test_reviewer_queue_is_ordered_and_counted(big: Served, browser: Browser, screenshots: Path) -> None:
    drafts = rows_of(big, "r.state = 'legal-review' AND a.code = 'city'")
    context, page = new_page(browser, big.base)
    try:
        login(page, "reviewer")
        assert_chinese(page)
        shoot(page, screenshots, "lists-reviewer-queue")
        assert len(drafts) >= DRAFTS
        assert page.locator("h1#drafts").inner_text() == f"待审核的答复（{len(drafts)}件）"
        assert f"共 {len(drafts)} 件" in page.locator("h1#drafts + nav.pager").inner_text()
        first_table = page.locator("h1#drafts ~ table").first
        ids = [
            int(x)
            for x in first_table.locator("tbody tr[data-id]").evaluate_all("rs => rs.map(r => r.dataset.id)")
        ]
        assert ids == [r["id"] for r in drafts[:PAGE_SIZE]]
    finally:
        context.close()
