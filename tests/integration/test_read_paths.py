"""The lists and the text search at scale (caseflow.case_list, caseflow.search_index), on SQLite and
PostgreSQL: the index-driven order and keyset pages equal the old order (computed here from the rows
as the old SQL did), the index-served search finds exactly what the old ``LIKE`` scan found (short
Chinese queries included), the index follows every write, a rebuild repairs a dropped index, and
SQLite's plans use the indexes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, or_, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from caseflow import queries, search_index
from caseflow.bulk import bulk_requests
from caseflow.calendar import default_calendar
from caseflow.case_list import END, Cursor, conditions, list_page, text_match
from caseflow.models import Applicant, Case
from caseflow.states.machine import OPEN_STATES
from tests.integration.conftest import T0, World

TODAY = T0.date() + dt.timedelta(days=30)
OPEN = {s.value for s in OPEN_STATES}
QUERIES = (
    "财政",
    "财",
    "政",
    "申请公开",
    "预算及决算",
    "DEPT",
    "dept-",
    "B0000",
    "申请人1",
    "人",
    "0",
    "x",
    "专项资金分配",
)


@pytest.fixture
def many(world: World, engine: Engine) -> Engine:
    world.session.rollback()
    bulk_requests(engine, count=120, seed=3, today=TODAY, agency_codes=["dept", "district"])
    with Session(engine) as s:  # a few whose text needs care: ASCII case, quotes, the end of a text
        s.execute(text("UPDATE request SET description = description || ' ABC\"财' WHERE id % 17 = 0"))
        s.execute(text("UPDATE applicant SET name = '财政' WHERE id % 29 = 0"))
        s.commit()
    return engine


def old_order(rows: list[Any]) -> list[int]:
    """The lists' order as the old SQL (CASE expressions, computed per query) put it."""

    def key(r: Any) -> tuple[Any, ...]:
        is_open = r.state in OPEN
        running = is_open and r.reply_due is not None
        concluded = r.answered_on or r.closed_on or r.receipt_date
        return (
            0 if running else 1 if is_open else 2,
            r.reply_due if running else dt.date.min,
            r.receipt_date if is_open and not running else dt.date.min,
            -concluded.toordinal() if not is_open else 0,
            -r.id if not is_open else r.id,
        )

    return [r.id for r in sorted(rows, key=key)]


def test_pages_walked_by_cursor_are_the_old_order(world: World, many: Engine) -> None:
    with Session(many) as s:
        rows = s.exec(select(Case)).all()
        expected = old_order(list(rows))
        actor = world["supervisor"]
        flt = queries.CaseFilter()
        seen: list[int] = []
        cursor: Cursor | None = None
        page = 0
        while True:
            found = list_page(s, actor, flt, today=TODAY, size=23, after=cursor)
            if not found.rows:
                break
            page += 1
            assert found.total == len(expected)
            # a page number alone (older links) gives the same page
            assert [r["id"] for r in list_page(s, actor, flt, today=TODAY, page=page, size=23).rows] == [
                r["id"] for r in found.rows
            ]
            seen += [r["id"] for r in found.rows]
            cursor = found.last
        assert seen == expected
        # backwards from the end, page by page
        back: list[int] = []
        before: Cursor | str | None = END
        while before is not None:
            found = list_page(s, actor, flt, today=TODAY, size=23, before=before)
            back = [r["id"] for r in found.rows] + back
            before = found.first if found.rows else None
        assert back == expected


@pytest.mark.parametrize(
    "flt", [{"overdue": True}, {"due_within": 3}, {"open_only": True}, {"state": "received"}]
)
def test_filtered_lists_keep_the_old_rows_and_order(world: World, many: Engine, flt: dict[str, Any]) -> None:
    cal = default_calendar()
    with Session(many) as s:
        rows = list(s.exec(select(Case)).all())
        limit = cal.add_working_days(TODAY, 3)
        keeps: dict[str, Callable[[Case], bool]] = {
            "overdue": lambda r: r.state in OPEN and r.reply_due is not None and r.reply_due < TODAY,
            "due_within": lambda r: (
                r.state in OPEN and r.reply_due is not None and TODAY <= r.reply_due <= limit
            ),
            "open_only": lambda r: r.state in OPEN,
            "state": lambda r: r.state == "received",
        }
        keep = keeps[next(iter(flt))]
        expected = old_order([r for r in rows if keep(r)])
        found = list_page(s, world["supervisor"], queries.CaseFilter(**flt), today=TODAY, size=1000)
        assert [r["id"] for r in found.rows] == expected and found.total == len(expected)


def like_ids(s: Session, q: str) -> set[int]:
    like = f"%{q}%"
    cond = or_(
        col(Case.tracking_no).like(like),
        col(Case.description).like(like),
        col(Case.applicant_id).in_(select(Applicant.id).where(col(Applicant.name).like(like))),
    )
    return {int(i or 0) for i in s.exec(select(Case.id).where(cond)).all()}


def search_ids(s: Session, q: str) -> set[int]:
    return {int(i or 0) for i in s.exec(select(Case.id).where(text_match(s, q))).all()}


def test_search_finds_what_the_like_scan_found(many: Engine) -> None:
    with Session(many) as s:
        for q in QUERIES + ('abc"财', '"', "ABC"):
            assert search_index.served(q)
            assert search_ids(s, q) == like_ids(s, q), q
        assert like_ids(s, "财政") and like_ids(s, "财") and like_ids(s, "申请公开")


def test_the_index_follows_every_write(world: World, many: Engine) -> None:
    with Session(many) as s:
        first = s.exec(select(Case).order_by(col(Case.id))).first()
        assert first is not None
        first.description = "关于某水库移民安置资金的说明"
        s.add(first)
        s.commit()
        s.execute(text("UPDATE applicant SET name = '陈某某' WHERE id = :i"), {"i": first.applicant_id})
        s.commit()
        for q in ("水库移民", "库移", "陈某某", "陈某", first.tracking_no):
            assert first.id in search_ids(s, q) and search_ids(s, q) == like_ids(s, q), q
        assert search_ids(s, "财政专项资金分配") == like_ids(s, "财政专项资金分配")  # the old text


def test_rebuild_restores_a_dropped_index(many: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseflow.cli import app

    with many.begin() as conn:
        search_index.drop(conn)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", str(many.url.render_as_string(hide_password=False)))
    import caseflow.db

    monkeypatch.setattr(caseflow.db, "get_engine", lambda: many)
    result = CliRunner().invoke(app, ["search-index", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "搜索索引已重建" in result.output
    with Session(many) as s:
        for q in ("财政", "财", "申请公开"):
            assert search_ids(s, q) == like_ids(s, q)


def _plan(s: Session, stmt: Any) -> str:
    compiled = stmt.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
    return " | ".join(str(r[-1]) for r in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))


def test_sqlite_plans_use_the_indexes(world: World, many: Engine) -> None:
    if many.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    with Session(many) as s:
        s.execute(text("ANALYZE"))
        for actor, index in (("clerk", "ix_request_list_agency"), ("supervisor", "ix_request_list")):
            cond = conditions(s, world[actor], queries.CaseFilter(), today=TODAY, cal=default_calendar())
            plan = _plan(s, select(Case.id).where(cond).order_by(*queries.list_order()).limit(50))
            assert index in plan and "TEMP B-TREE" not in plan, plan
        plan = _plan(s, select(func.count()).select_from(Case).where(text_match(s, "申请公开")))
        assert "VIRTUAL TABLE INDEX" in plan and "request_text" in plan, plan


def test_api_pages_by_cursor(web: Any) -> None:
    """``GET /api/v1/requests``: ``next``/``previous`` walk the list; ``page=`` still works; a
    malformed cursor is a 422."""
    from caseflow.bulk import bulk_requests as bulk

    web.world.session.rollback()
    import caseflow.db

    bulk(caseflow.db.get_engine(), count=45, seed=9, today=TODAY, agency_codes=["city"])
    api = web.api("supervisor")
    everything = api.get("/api/v1/requests", params={"size": 200}).json()
    walked, after = [], None
    while True:
        reply = api.get("/api/v1/requests", params={"size": 20, **({"after": after} if after else {})}).json()
        walked += [r["id"] for r in reply["items"]]
        after = reply["next"]
        if not after:
            break
    assert walked == [r["id"] for r in everything["items"]] and everything["total"] == len(walked)
    last = api.get("/api/v1/requests", params={"size": 20, "before": "end"}).json()
    assert [r["id"] for r in last["items"]] == walked[40:]
    back = api.get("/api/v1/requests", params={"size": 20, "before": last["previous"]}).json()
    assert [r["id"] for r in back["items"]] == walked[20:40]
    assert [
        r["id"] for r in api.get("/api/v1/requests", params={"size": 20, "page": 2}).json()["items"]
    ] == walked[20:40]
    assert api.get("/api/v1/requests", params={"after": "9~x~~1"}).status_code == 422


def test_totals_stop_counting_at_the_cap(world: World, many: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A list longer than the cap says "N+" (``capped``); below it the total stays exact; the pages
    still walk the whole list and the last page is the last ``size`` rows."""
    import caseflow.case_list

    with Session(many) as s:
        expected = old_order(list(s.exec(select(Case)).all()))
        actor, flt = world["supervisor"], queries.CaseFilter()
        monkeypatch.setattr(caseflow.case_list, "COUNT_CAP", len(expected) - 1)
        found = list_page(s, actor, flt, today=TODAY, size=23)
        assert (found.total, found.capped, found.total_text) == (
            len(expected) - 1,
            True,
            f"{len(expected) - 1}+",
        )
        assert found.more_after and not found.more_before
        seen, cursor = [r["id"] for r in found.rows], found.last
        while cursor is not None:
            found = list_page(s, actor, flt, today=TODAY, size=23, after=cursor)
            seen += [r["id"] for r in found.rows]
            cursor = found.last if found.more_after else None
        assert seen == expected
        last = list_page(s, actor, flt, today=TODAY, size=23, before=END)
        assert [r["id"] for r in last.rows] == expected[-23:] and last.more_before and not last.more_after
        # a search with more matches than the cap: the first matches along the order (SQLite walks)
        monkeypatch.setattr(caseflow.case_list, "COUNT_CAP", 5)
        wanted = [i for i in expected if i in like_ids(s, "申请公开")]
        walked = list_page(s, actor, queries.CaseFilter(q="申请公开"), today=TODAY, size=10)
        assert walked.capped and len(wanted) > 10 and [r["id"] for r in walked.rows] == wanted[:10]
        monkeypatch.setattr(caseflow.case_list, "COUNT_CAP", len(expected))
        exact = list_page(s, actor, flt, today=TODAY, size=23)
        assert (exact.total, exact.capped, exact.total_text) == (len(expected), False, str(len(expected)))


def test_capped_pages_and_api(web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list page shows "共 30+ 件" with no page count; its 末页 is the last rows, walked back from
    there without page numbers; the API says ``total_capped``."""
    import html
    import re

    import caseflow.case_list
    import caseflow.db
    from caseflow.bulk import bulk_requests as bulk

    web.world.session.rollback()
    bulk(caseflow.db.get_engine(), count=45, seed=9, today=TODAY, agency_codes=["city"])
    monkeypatch.setattr(caseflow.case_list, "COUNT_CAP", 30)
    api = web.api("supervisor")
    everything = [r["id"] for r in api.get("/api/v1/requests", params={"size": 200}).json()["items"]]
    reply = api.get("/api/v1/requests", params={"size": 20}).json()
    assert reply["total"] == 30 and reply["total_capped"] is True and reply["next"]
    client = web.browser("supervisor")
    client.headers.update({"Accept": "text/html"})
    body = html.unescape(client.get("/cases", params={"size": 20}).text)
    assert "案件列表（30+件）" in body and "共 30+ 件" in body and "第1页<" in body and "/共" not in body
    last_link = re.search(r'<a href="([^"]+)" rel="last">末页</a>', body)
    assert last_link is not None and "page=" not in last_link.group(1).replace("page_before", "")
    last = html.unescape(client.get(html.unescape(last_link.group(1))).text)
    assert [int(x) for x in re.findall(r'<tr data-id="(\d+)">', last)] == everything[-20:]
    assert ">末页</span>" in last and 'rel="next"' not in last and "本页第" not in last
    prev = re.search(r'<a href="([^"]+)" rel="prev">上一页</a>', last)
    assert prev is not None
    before = html.unescape(client.get(html.unescape(prev.group(1))).text)
    assert [int(x) for x in re.findall(r'<tr data-id="(\d+)">', before)] == everything[-40:-20]


def test_dashboard_counts_from_the_index_equal_the_rows(world: World, many: Engine) -> None:
    """Every dashboard figure equals what the rows say; on SQLite the one grouped query reads the
    covering partial index and neither the table nor a sort."""
    from sqlalchemy import event

    from caseflow.board import dashboard

    cal = default_calendar()
    with Session(many) as s:
        rows = [r for r in s.exec(select(Case)).all() if r.state in OPEN]
        seen: list[str] = []
        listen = lambda *a: seen.append(a[2]) if "GROUP BY" in a[2] else None  # noqa: E731
        event.listen(many, "before_cursor_execute", listen)
        try:
            board = dashboard(s, world["supervisor"], today=TODAY, calendar=cal)
        finally:
            event.remove(many, "before_cursor_execute", listen)
        l3, l10 = cal.add_working_days(TODAY, 3), cal.add_working_days(TODAY, 10)
        due = [r.reply_due for r in rows if r.reply_due is not None]
        assert board["open"] == len(rows) and board["overdue"] == sum(d < TODAY for d in due)
        assert board["due_soon"] == sum(TODAY <= d <= l3 for d in due)
        assert board["by_working_days_left"]["4-10"] == sum(l3 < d <= l10 for d in due)
        assert board["paused"] == sum(bool(r.paused) for r in rows)
        assert board["lapse_proposed"] == sum(r.lapse_proposed is not None for r in rows)
        assert board["by_state"] == {st: sum(r.state == st for r in rows) for st in {r.state for r in rows}}
        assert sum(h["count"] for h in board["handlers"]) == len(rows)
        assert sum(a["count"] for a in board["agencies"]) == len(rows) == sum(board["by_agency"].values())
        if many.dialect.name == "sqlite":
            (grouped,) = seen
            s.execute(text("ANALYZE"))
            plan = " | ".join(
                str(r[-1]) for r in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + grouped, ("/1/",))
            )
            assert "COVERING INDEX ix_request_open_board" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize(
    "bounds",
    [
        {"COUNT_CAP": 5, "WALK_ROWS": 4, "WALK_COUNT_ROWS": 30, "FEW_MATCHES": 2, "APPLICANT_IDS_MAX": 1},
        {
            "COUNT_CAP": 5,
            "WALK_ROWS": 1000,
            "WALK_COUNT_ROWS": 1000,
            "FEW_MATCHES": 3,
            "APPLICANT_IDS_MAX": 1000,
        },
        {"COUNT_CAP": 5, "FEW_MATCHES": 1000},
    ],
)
def test_walked_searches_equal_the_like_scan(
    world: World, many: Engine, monkeypatch: pytest.MonkeyPatch, bounds: dict[str, int]
) -> None:
    """A search with more matches than the cap walks the lists' index testing each row, bounded
    (then the index's matches are sorted after all); small bounds take every branch (count walk
    capped or not, page walks stopped at the bound, many names tested per row): every page, forward
    by cursor, back from the end and by number, is the LIKE scan's rows in the lists' order."""
    import caseflow.case_list

    for name, value in bounds.items():
        module = search_index if name == "APPLICANT_IDS_MAX" else caseflow.case_list
        monkeypatch.setattr(module, name, value)
    with Session(many) as s:
        everything = old_order(list(s.exec(select(Case)).all()))
        actor = world["supervisor"]
        for q in ("申请公开", "财政", "财", "人", "B0000", "x", "预算及决算", "0"):
            wanted = [i for i in everything if i in like_ids(s, q)]
            flt = queries.CaseFilter(q=q)
            first = list_page(s, actor, flt, today=TODAY, size=7)
            assert (first.total, first.capped) == (min(len(wanted), 5), len(wanted) > 5), q
            seen, cursor = [r["id"] for r in first.rows], first.last if first.more_after else None
            while cursor is not None:
                found = list_page(s, actor, flt, today=TODAY, size=7, after=cursor)
                seen += [r["id"] for r in found.rows]
                cursor = found.last if found.more_after else None
            assert seen == wanted, q
            back = list_page(s, actor, flt, today=TODAY, size=7, before=END)
            tail = wanted[-7:] if first.capped else wanted[len(wanted) - ((len(wanted) - 1) % 7 + 1) :]
            assert [r["id"] for r in back.rows] == (tail if wanted else []), q
            second = list_page(s, actor, flt, today=TODAY, size=7, page=2)
            assert [r["id"] for r in second.rows] == wanted[7:14], q
