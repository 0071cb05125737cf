"""The order and paging of every list (caseflow.queries.list_cases), on SQLite and PostgreSQL.

Open work with a running deadline comes first, by the reply deadline: that is the order of the working
days left (holiday calendar), most overdue first. Then open requests whose clock is stopped (waiting for
a supplement), oldest first; then concluded requests, the most recently concluded first. The database
sorts and pages: the pages put together are the whole list, each row once.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from caseflow import queries
from caseflow.calendar import default_calendar
from caseflow.models import Case
from tests.integration.conftest import T0, World
from tests.integration.webapp import Web

SUPPLEMENT = {"items": ["申请人身份证明复印件", "所需信息的具体名称或文号"]}
TODAY = dt.date(2026, 11, 20)  # a Friday; requests received from 2026-09-28 on
DAY = dt.timedelta(days=1)
VALID_ID = "110101199001011237"  # GB 11643 check digit 7


def new(world: World, **kw: Any) -> Case:
    return world.new_case(id_number=VALID_ID, **kw)


@pytest.fixture
def mixed(world: World) -> dict[str, int]:
    """Requests in every group, registered in an order unrelated to the expected one."""
    made: dict[str, Case] = {}
    made["running_late"] = new(world, at=T0 + 35 * DAY)  # due in December: running
    made["closed_early"] = new(world, at=T0 + 1 * DAY)
    made["overdue_most"] = new(world, at=T0)  # due in October: most overdue
    made["paused_new"] = new(world, at=T0 + 5 * DAY)
    made["overdue_less"] = new(world, at=T0 + 10 * DAY)
    made["closed_late"] = new(world, at=T0 + 4 * DAY)
    made["paused_old"] = new(world, at=T0 + 2 * DAY)
    made["running_soon"] = new(world, at=T0 + 28 * DAY)
    made["other_agency"] = new(world, agency="dept", actor="dept_clerk", at=T0 + 3 * DAY)
    world.act(made["paused_new"], "request_supplement", SUPPLEMENT, at=T0 + 6 * DAY)
    world.act(made["paused_old"], "request_supplement", SUPPLEMENT, at=T0 + 3 * DAY)
    world.act(made["closed_early"], "withdraw", {"reason": "申请人书面撤回"}, at=T0 + 3 * DAY)
    world.act(made["closed_late"], "withdraw", {"reason": "申请人书面撤回"}, at=T0 + 30 * DAY)
    return {name: int(case.id or 0) for name, case in made.items()}


def listed(
    world: World, who: str, flt: queries.CaseFilter | None = None, **kw: Any
) -> tuple[int, list[dict]]:
    return queries.list_cases(world.session, world[who], flt or queries.CaseFilter(), today=TODAY, **kw)


def test_open_work_first_by_working_days_left_then_stopped_then_concluded(
    world: World, mixed: dict[str, int]
) -> None:
    total, rows = listed(world, "clerk")
    names = {v: k for k, v in mixed.items()}
    order = [names[r["id"]] for r in rows]
    assert total == 8 and "other_agency" not in order  # the clerk sees the city's requests only
    assert order == [
        "overdue_most",
        "overdue_less",
        "running_soon",
        "running_late",
        "paused_old",  # stopped clocks: oldest first
        "paused_new",
        "closed_late",  # concluded: most recently first
        "closed_early",
    ]
    cal = default_calendar()
    running = rows[:4]
    for r in running:  # the column's figure is the holiday calendar's count
        due = dt.date.fromisoformat(r["reply_due"])
        expected = cal.working_days_between(TODAY, due)
        assert r["working_days_left"] == (min(expected, -1) if due < TODAY else expected)
    lefts = [r["working_days_left"] for r in running]
    assert lefts == sorted(lefts) and lefts[0] < lefts[1] < 0 < lefts[2]
    assert all(r["open"] and r["working_days_left"] is None and r["paused"] for r in rows[4:6])
    assert all(not r["open"] and r["working_days_left"] is None for r in rows[6:])
    assert rows[6]["state"] == rows[7]["state"] == "withdrawn"


def test_pages_put_together_are_the_whole_list(world: World, mixed: dict[str, int]) -> None:
    _, whole = listed(world, "supervisor")
    assert len(whole) == 9
    pages = []
    for page in (1, 2, 3, 4):
        total, rows = listed(world, "supervisor", page=page, size=4)
        assert total == 9
        pages.append([r["id"] for r in rows])
    assert [len(p) for p in pages] == [4, 4, 1, 0]
    assert [i for p in pages for i in p] == [r["id"] for r in whole]
    # the most overdue request of the subtree (the city's or the department's) leads the first page
    assert pages[0][0] == mixed["overdue_most"]


def test_filters_narrow_the_ordered_list(world: World, mixed: dict[str, int]) -> None:
    m = mixed
    total, overdue = listed(world, "supervisor", queries.CaseFilter(overdue=True))
    assert total == len(overdue) and overdue[0]["id"] == m["overdue_most"]
    assert {r["id"] for r in overdue} >= {m["overdue_most"], m["overdue_less"]}
    assert all(r["working_days_left"] < 0 for r in overdue)

    _, open_rows = listed(world, "clerk", queries.CaseFilter(open_only=True))
    assert [r["id"] for r in open_rows][-2:] == [m["paused_old"], m["paused_new"]]
    assert all(r["open"] for r in open_rows) and len(open_rows) == 6

    assert listed(world, "supervisor", queries.CaseFilter(agency="dept"))[0] == 1
    assert listed(world, "supervisor", queries.CaseFilter(agency="city"))[0] == 8
    assert (
        listed(world, "supervisor", queries.CaseFilter(state="supplement-required"))[1][0]["id"]
        == (m["paused_old"])
    )
    # a clerk's own list: registered by the city's clerk, so handled by them
    assert listed(world, "clerk", queries.CaseFilter(handler="clerk"))[0] == 8
    assert listed(world, "clerk", queries.CaseFilter(handler="clerk2"))[0] == 0

    world.act(world.session.get(Case, m["running_late"]), "mark_complex", {"reason": "涉及多个部门"})  # type: ignore[arg-type]
    total, complex_rows = listed(world, "reviewer", queries.CaseFilter(open_only=True, complex_only=True))
    assert (total, [r["id"] for r in complex_rows]) == (1, [m["running_late"]])


def test_agency_choices_are_names_of_what_the_actor_may_see(world: World) -> None:
    assert queries.agency_choices(world.session, world["clerk"]) == [("city", "某市人民政府办公室")]
    assert queries.agency_choices(world.session, world["dept_clerk"]) == [("dept", "某市自然资源和规划局")]
    assert sorted(queries.agency_choices(world.session, world["supervisor"])) == [
        ("city", "某市人民政府办公室"),
        ("dept", "某市自然资源和规划局"),
        ("district", "某市东区人民政府"),
    ]
    assert queries.agency_choices(world.session, world["supervisor"])[0][0] == "city"  # the tree's root first
    assert queries.agency_choices(world.session, world["dept_supervisor"]) == [
        ("dept", "某市自然资源和规划局")
    ]


# --- the pages: paging links that keep the filters, agencies by name --------------------------------


def test_list_pages_link_to_each_other_keeping_the_filters(web: Web) -> None:
    world = web.world
    made = [new(world, at=T0 + n * dt.timedelta(hours=20)) for n in range(22)]
    world.act(made[0], "withdraw", {"reason": "申请人书面撤回"}, at=T0 + 3 * DAY)
    client = web.browser("clerk")
    client.headers.update({"Accept": "text/html"})
    first = client.get("/cases", params={"state": "received", "size": 20, "q": "道路"})
    assert first.status_code == 200
    body = html.unescape(first.text)
    assert "共 21 件" in body and "第1页/共2页" in body and "（本页第1至20件）" in body
    nxt = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', body)
    assert nxt is not None
    query = parse_qs(urlsplit(nxt.group(1)).query)
    # the link carries the last row's place (keyset pagination: ``page_after``) and the page number
    after = query.pop("page_after")
    assert query == {"state": ["received"], "size": ["20"], "q": ["道路"], "page": ["2"]}
    assert queries.Cursor.parse(after[0]).rank == 0  # open with a running deadline
    second = html.unescape(client.get(nxt.group(1)).text)
    assert "第2页/共2页" in second and "（本页第21至21件）" in second
    assert 'rel="next"' not in second and 'rel="prev"' in second
    ids = [int(x) for x in re.findall(r'<tr data-id="(\d+)">', second)]
    assert len(ids) == 1 and made[0].id not in ids
    # a page past the end shows the last page; a size not offered falls back to 50
    assert "第2页/共2页" in html.unescape(
        client.get("/cases", params={"state": "received", "size": 20, "page": 9}).text
    )
    assert "第1页/共1页" in html.unescape(client.get("/cases", params={"size": 7}).text)
    # the deadline filter is a choice of three; anything else is refused
    assert client.get("/cases", params={"due": "tomorrow"}).status_code == 422


def test_search_filters_by_agency_name(web: Web) -> None:
    world = web.world
    new(world)
    dept = new(world, agency="dept", actor="dept_clerk")
    client = web.browser("supervisor")
    client.headers.update({"Accept": "text/html"})
    page = client.get("/search").text
    assert '<option value="dept" >某市自然资源和规划局</option>' in page
    assert '<option value="city" >某市人民政府办公室</option>' in page
    found = client.get("/search", params={"agency": "dept"}).text
    assert '<option value="dept" selected>某市自然资源和规划局</option>' in found
    assert re.findall(r'<tr data-id="(\d+)">', found) == [str(dept.id)] and "共 1 件" in found
    # a clerk's list offers no agency choice: there is only their own
    assert 'id="agency"' not in web.browser("clerk").get("/cases").text
