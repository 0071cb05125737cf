"""The annual report (tables 三 and 四), its checks, the period lock, the office figures and the
proactive-disclosure candidates, on SQLite and PostgreSQL, from requests built through the service.

The expected tables are written out by hand from the fixture's story (tests/integration/reportdata.py);
nothing here recomputes them with the report's own code.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.dates import today
from caseflow.errors import FactsError, Forbidden, NotFound, RuleViolation
from caseflow.models import Agency, ReportLock
from caseflow.reports import candidates as candidates_module
from caseflow.reports import figures as figures_module
from caseflow.reports import lock, service, xlsx
from caseflow.reports.annual import annual_report
from caseflow.reports.annual_tables import TABLE3_KEYS
from tests.integration.conftest import World
from tests.integration.reportdata import Builder, at, build
from tests.integration.webapp import Web

COLUMNS = (
    "natural_person",
    "commercial",
    "research",
    "public_interest",
    "legal_services",
    "other_org",
    "total",
)
TODAY = dt.date(2026, 11, 22)


def r(
    np: int = 0, com: int = 0, res: int = 0, pi: int = 0, legal: int = 0, org: int = 0, total: int = 0
) -> dict[str, int]:
    """One row of table 三, every column written out (the total too)."""
    return dict(zip(COLUMNS, (np, com, res, pi, legal, org, total), strict=True))


def table3(**rows: dict[str, int]) -> dict[str, dict[str, int]]:
    """Table 三 with the given rows (keys with dots written with "__"), every other row zero."""
    given = {key.replace("__", "."): value for key, value in rows.items()}
    assert set(given) <= set(TABLE3_KEYS), set(given) - set(TABLE3_KEYS)
    return {key: given.get(key, r()) for key in TABLE3_KEYS}


def t4(
    maintained: int = 0, corrected: int = 0, other: int = 0, pending: int = 0, total: int = 0
) -> dict[str, int]:
    return {
        "maintained": maintained,
        "corrected": corrected,
        "other": other,
        "pending": pending,
        "total": total,
    }


# --- the tables, computed by hand ----------------------------------------------------------------

CITY_2023 = table3(
    received=r(np=1, com=1, res=1, total=3),
    disclosed=r(np=1, total=1),
    disclosed__provided=r(np=1, total=1),
    unable=r(res=1, total=1),
    unable__not_held=r(res=1, total=1),
    total=r(np=1, res=1, total=2),
    carried_forward=r(com=1, total=1),
)
CITY_2024 = table3(
    received=r(np=2, com=1, pi=1, legal=1, org=1, total=6),
    carried_over=r(com=1, total=1),
    partial=r(np=1, total=1),
    withheld=r(com=1, total=1),
    withheld__third_party=r(com=1, total=1),
    rejected=r(org=1, total=1),
    rejected__duplicate=r(org=1, total=1),
    other=r(np=1, legal=1, total=2),
    other__no_supplement=r(legal=1, total=1),
    other__other=r(np=1, total=1),
    total=r(np=2, com=1, legal=1, org=1, total=5),
    carried_forward=r(com=1, pi=1, total=2),
)
CITY_2025 = table3(
    received=r(np=3, com=1, res=1, total=5),
    carried_over=r(com=1, pi=1, total=2),
    disclosed=r(np=1, pi=1, total=2),
    disclosed__public=r(pi=1, total=1),
    disclosed__provided=r(np=1, total=1),
    withheld=r(res=1, total=1),
    withheld__state_secret=r(res=1, total=1),
    unable=r(np=1, total=1),
    unable__needs_creation=r(np=1, total=1),
    other=r(np=1, total=1),
    other__other=r(np=1, total=1),
    total=r(np=3, res=1, pi=1, total=5),
    carried_forward=r(com=2, total=2),
)
EMPTY_T4 = {"review": t4(), "litigation_direct": t4(), "litigation_after_review": t4()}
CITY_2024_T4 = {**EMPTY_T4, "review": t4(pending=1, total=1), "litigation_after_review": t4(other=1, total=1)}
CITY_2025_T4 = {
    **EMPTY_T4,
    "review": t4(maintained=1, corrected=1, total=2),
    "litigation_direct": t4(pending=1, total=1),
}


@pytest.fixture
def data(world: World) -> Builder:
    return build(world)


def agency(session: Session, code: str) -> Agency:
    return session.exec(select(Agency).where(col(Agency.code) == code)).one()


def report(session: Session, code: str, year: int, subtree: bool = True) -> Any:
    session.rollback()  # a fresh read: the tests change rows behind the session's back
    return annual_report(session, agency(session, code), year, subtree=subtree)


def test_three_years_for_the_whole_tree(world: World, data: Builder) -> None:
    s = world.session
    for year, expected3, expected4 in (
        (2023, CITY_2023, EMPTY_T4),
        (2024, CITY_2024, CITY_2024_T4),
        (2025, CITY_2025, CITY_2025_T4),
    ):
        got = report(s, "city", year)
        for key in TABLE3_KEYS:
            assert got.table3[key] == expected3[key], (year, key)
        assert got.table4 == expected4, year
        assert got.checks == [], (year, got.checks)
    # the JSON of INTERFACES.md: year, agency, table3 {ROW: {COL: n}}, table4, checks
    payload = report(s, "city", 2025).to_json()
    assert {"year", "agency", "table3", "table4", "checks"} <= set(payload)
    assert (payload["year"], payload["agency"]) == (2025, "city")
    assert list(payload["table3"]) == TABLE3_KEYS
    assert all(list(row) == list(COLUMNS) for row in payload["table3"].values())
    # every outcome of DOMAIN.md section 5 and every group is a row (correction requests' are not)
    disclosure = {law.REPORT_ROW_KEYS[o.code] for o in law.outcomes_for(law.RequestKind.DISCLOSURE)}
    assert disclosure | set(law.OUTCOME_GROUPS) <= set(payload["table3"])
    assert not {o.code for o in law.outcomes_for(law.RequestKind.CORRECTION)} & set(payload["table3"])


def test_the_subtree_and_the_agency_alone(world: World, data: Builder) -> None:
    s = world.session
    dept = report(s, "dept", 2025)
    assert dept.table3["received"] == r(np=1, total=1)
    assert dept.table3["unable.needs_creation"] == r(np=1, total=1)
    assert dept.table3["total"] == r(np=1, total=1)
    assert dept.table4 == {**EMPTY_T4, "litigation_direct": t4(pending=1, total=1)}
    district = report(s, "district", 2024)
    assert district.table3["received"] == r(pi=1, total=1)
    assert district.table3["carried_forward"] == r(pi=1, total=1)
    assert district.table3["total"] == r()
    own = report(s, "city", 2024, subtree=False)  # the city office's own requests only
    assert own.table3 == table3(
        received=r(np=2, com=1, legal=1, total=4),
        carried_over=r(com=1, total=1),
        partial=r(np=1, total=1),
        withheld=r(com=1, total=1),
        withheld__third_party=r(com=1, total=1),
        other=r(np=1, legal=1, total=2),
        other__no_supplement=r(legal=1, total=1),
        other__other=r(np=1, total=1),
        total=r(np=2, com=1, legal=1, total=4),
        carried_forward=r(com=1, total=1),
    )
    assert own.table4 == CITY_2024_T4  # both records are on the city's own requests


def test_a_request_answered_the_next_year_counts_in_both_reports(world: World) -> None:
    b = Builder(world)
    b.register("X", "city", "legal_services", "2024-12-23")
    first = report(world.session, "city", 2024)
    assert first.table3["received"] == r(legal=1, total=1)
    assert first.table3["carried_forward"] == r(legal=1, total=1)
    assert first.table3["total"] == r()
    b.answer("X", "partial", "2025-01-08", withheld_grounds=["withheld.process_info"])
    first = report(world.session, "city", 2024)
    second = report(world.session, "city", 2025)
    # 四 of the first year (open on 31 December), 二 and 三 of the second
    assert first.table3["carried_forward"] == r(legal=1, total=1)
    assert first.table3["total"] == r()
    assert second.table3["received"] == r()
    assert second.table3["carried_over"] == r(legal=1, total=1)
    assert second.table3["partial"] == r(legal=1, total=1)
    assert second.table3["total"] == r(legal=1, total=1)
    assert second.table3["carried_forward"] == r()
    assert first.checks == second.checks == []


def _sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def test_the_per_column_check_lists_the_requests_behind_a_violation(
    world: World, data: Builder, engine: Engine
) -> None:
    s = world.session
    c1, c2, c5 = (data.cases[k] for k in ("C1", "C2", "C5"))
    # A reply without its outcome: counted in 一, in no row of 三.
    _sql(engine, "UPDATE request SET outcome = NULL WHERE id = :id", id=c1.id)
    checks = report(s, "city", 2025).checks
    assert [(c["kind"], c["column"]) for c in checks] == [("balance", "natural_person"), ("balance", "total")]
    np = checks[0]
    assert (np["received"], np["carried_over"], np["total"], np["carried_forward"]) == (3, 0, 2, 0)
    assert np["difference"] == 1
    assert [c["tracking_no"] for c in np["cases"]] == [c1.tracking_no] and np["count"] == 1
    assert "未记录办理结果" in np["cases"][0]["problem"]
    assert [c["tracking_no"] for c in checks[1]["cases"]] == [c1.tracking_no]
    _sql(engine, "UPDATE request SET outcome = 'disclosed.provided' WHERE id = :id", id=c1.id)
    assert report(s, "city", 2025).checks == []

    # Concluded before it was received, across the year boundary: both years fail in 科研机构.
    _sql(engine, "UPDATE request SET answered_on = :d WHERE id = :id", d=dt.date(2024, 12, 31), id=c2.id)
    early = report(s, "city", 2024).checks
    assert [(c["column"], c["difference"]) for c in early] == [("research", -1), ("total", -1)]
    assert [c["tracking_no"] for c in early[0]["cases"]] == [c2.tracking_no]
    assert "早于收到申请日期" in early[0]["cases"][0]["problem"]
    late = report(s, "city", 2025).checks
    assert [(c["column"], c["difference"]) for c in late] == [("research", 1), ("total", 1)]
    assert [c["tracking_no"] for c in late[0]["cases"]] == [c2.tracking_no]
    _sql(engine, "UPDATE request SET answered_on = :d WHERE id = :id", d=dt.date(2025, 5, 20), id=c2.id)

    # A withdrawn request without its closing date is counted open (the check holds) and listed.
    _sql(engine, "UPDATE request SET closed_on = NULL WHERE id = :id", id=c5.id)
    got = report(s, "city", 2025)
    assert got.table3["carried_forward"] == r(com=2, np=1, total=3)
    assert [c["kind"] for c in got.checks] == ["state_dates"]
    assert [c["tracking_no"] for c in got.checks[0]["cases"]] == [c5.tracking_no]
    assert "没有办结日期" in got.checks[0]["cases"][0]["problem"]


# --- the period lock -----------------------------------------------------------------------------


def test_a_finalized_report_flags_a_later_change(world: World, data: Builder) -> None:
    s = world.session
    city = agency(s, "city")
    kept = lock.finalize(
        s, subtree=True, actor=world["supervisor"], agency=city, year=2025, now=at("2026-02-01")
    )
    assert (kept.version, kept.finalized_by, kept.finalized_role) == (1, "supervisor", "supervisor")
    assert kept.figures == {"table3": CITY_2025, "table4": CITY_2025_T4}
    assert kept.sha256 == lock.figures_hash("city", 2025, True, kept.figures) and len(kept.sha256) == 64
    status = lock.status(s, city, report(s, "city", 2025))
    assert status is not None and status["changed"] is False and status["intact"] is True
    assert status["sha256"] == status["current_sha256"] == kept.sha256
    assert lock.changed_locks(s, world["supervisor"]) == []

    # Later, the litigation on C3 (dept) is recorded as concluded in 2025: table 四 changes.
    record = data.remedy("C3")
    data.act(
        "C3",
        "conclude_remedy",
        {"record_id": record.id, "result": "maintained", "concluded_on": "2025-12-01"},
        "2026-03-02",
    )
    status = lock.status(s, city, report(s, "city", 2025))
    assert status is not None and status["changed"] is True
    assert status["changes"] == [
        {"table": "table4", "row": "litigation_direct", "column": "maintained", "finalized": 0, "current": 1},
        {"table": "table4", "row": "litigation_direct", "column": "pending", "finalized": 1, "current": 0},
    ]
    assert status["sha256"] == kept.sha256 != status["current_sha256"]
    flagged = lock.changed_locks(s, world["supervisor"])
    assert [(f["agency"], f["year"], f["version"], f["changed_cells"]) for f in flagged] == [
        ("city", 2025, 1, 2)
    ]
    assert lock.changed_locks(s, world["dept_supervisor"]) == []  # the city's report is not theirs

    # A revision needs a reason, and chains to the version it replaces.
    with pytest.raises(RuleViolation, match="修订须写明理由"):
        lock.finalize(
            s, subtree=True, actor=world["supervisor"], agency=city, year=2025, now=at("2026-03-03")
        )
    again = lock.finalize(
        s,
        subtree=True,
        actor=world["supervisor"],
        agency=city,
        year=2025,
        reason="补录诉讼结果",
        now=at("2026-03-03"),
    )
    assert (again.version, again.previous_sha256, again.reason) == (2, kept.sha256, "补录诉讼结果")
    assert lock.changed_locks(s, world["supervisor"]) == []
    with pytest.raises(RuleViolation, match="已按相同数据定稿"):
        lock.finalize(
            s,
            subtree=True,
            actor=world["supervisor"],
            agency=city,
            year=2025,
            reason="再次",
            now=at("2026-03-04"),
        )
    assert [h.version for h in lock.history(s, city.id or 0, 2025, True)] == [1, 2]


def test_finalization_refusals_and_the_record_cannot_be_edited(
    world: World, data: Builder, engine: Engine
) -> None:
    s = world.session
    city = agency(s, "city")
    with pytest.raises(RuleViolation, match="尚未结束"):
        lock.finalize(
            s, subtree=True, actor=world["supervisor"], agency=city, year=2026, now=at("2026-11-22")
        )
    with pytest.raises(Forbidden):
        lock.finalize(s, subtree=True, actor=world["auditor"], agency=city, year=2025, now=at("2026-02-01"))
    _sql(engine, "UPDATE request SET outcome = NULL WHERE id = :id", id=data.cases["C1"].id)
    with pytest.raises(RuleViolation, match="自然人"):
        lock.finalize(
            s, subtree=True, actor=world["supervisor"], agency=city, year=2025, now=at("2026-02-01")
        )
    _sql(engine, "UPDATE request SET outcome = 'disclosed.provided' WHERE id = :id", id=data.cases["C1"].id)
    kept = lock.finalize(
        s, subtree=True, actor=world["supervisor"], agency=city, year=2025, now=at("2026-02-01")
    )
    for statement in (
        "UPDATE report_lock SET sha256 = 'x' WHERE id = :id",
        "DELETE FROM report_lock WHERE id = :id",
    ):
        with pytest.raises(Exception, match="append-only"):
            _sql(engine, statement, id=kept.id)
    with Session(engine) as fresh:
        assert fresh.get(ReportLock, kept.id).sha256 == kept.sha256  # type: ignore[union-attr]


# --- xlsx and HTML -------------------------------------------------------------------------------


def _label_rows(sheet: Any) -> dict[str, list[int]]:
    """Table 三's figures by the row's own label (the rightmost label cell of each row)."""
    out = {}
    for row in sheet.iter_rows(min_row=5, values_only=True):
        labels = [v for v in row[:3] if isinstance(v, str)]
        if labels:
            out[labels[-1]] = list(row[3:10])
    return out


def test_the_xlsx_holds_the_json_numbers(world: World, data: Builder) -> None:
    s = world.session
    got = report(s, "city", 2025)
    book = openpyxl.load_workbook(io.BytesIO(xlsx.workbook(got)))
    assert book.sheetnames == [xlsx.SHEET3, xlsx.SHEET4, "说明"]
    sheet = book[xlsx.SHEET3]
    assert sheet["A1"].value == law.TABLE3_TITLE
    assert sheet["A2"].value == law.REPORT_BALANCE_NOTE
    assert [sheet.cell(row=4, column=c).value for c in range(4, 11)] == [
        None,
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        None,
    ]  # under the merged 自然人 and 总计 headers
    rows = _label_rows(sheet)
    json_rows = got.to_json()["table3"]
    for row in law.TABLE3_ROWS:
        assert rows[row.label] == [json_rows[row.key][c] for c in COLUMNS], row.key
    assert rows["（七）总计"] == [3, 0, 1, 1, 0, 0, 5]
    assert "A7:A28" in {str(m) for m in sheet.merged_cells.ranges}  # 三、本年度办理结果 spans its 22 rows
    sheet4 = book[xlsx.SHEET4]
    figures = [sheet4.cell(row=5, column=c).value for c in range(1, 16)]
    assert figures == [
        got.table4[section][column]
        for section in ("review", "litigation_direct", "litigation_after_review")
        for column in ("maintained", "corrected", "other", "pending", "total")
    ]
    assert figures == [1, 1, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def test_the_html_lays_out_the_official_table(world: World, data: Builder) -> None:
    result = service.annual(
        world.session, world["supervisor"], year=2025, agency_code="city", today=TODAY, subtree=True
    )
    page = result.render(service.ReportFormat.HTML).decode()
    assert "某市人民政府办公室2025年政府信息公开工作年度报告（汇总）" in page  # the aggregate's title
    assert page.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in page
    for row in law.TABLE3_ROWS:
        assert row.label in page
    assert '<th rowspan="22" scope="row" class="label">三、本年度办理结果</th>' in page
    assert '<th rowspan="8" scope="row" class="label">（三）不予公开</th>' in page
    assert '<td data-row="total" data-col="total">5</td>' in page
    assert '<td data-row="carried_forward" data-col="commercial">2</td>' in page


# --- scope and bad input -------------------------------------------------------------------------


def test_bad_input_is_refused_clearly(world: World, data: Builder) -> None:
    s = world.session
    with pytest.raises(NotFound, match="没有代码为 nowhere 的机关"):
        service.annual(s, world["supervisor"], year=2025, agency_code="nowhere", today=TODAY)
    with pytest.raises(NotFound, match="没有代码为 city 的机关"):  # above the dept supervisor's agency
        service.annual(s, world["dept_supervisor"], year=2025, agency_code="city", today=TODAY)
    with pytest.raises(FactsError, match="早于《条例》施行") as refused:
        service.annual(s, world["supervisor"], year=2007, agency_code="city", today=TODAY)
    assert refused.value.errors[0][0] == "year"
    with pytest.raises(NotFound, match="没有2027年度报告：该年尚未开始"):
        service.annual(s, world["supervisor"], year=2027, agency_code="city", today=TODAY)
    with pytest.raises(FactsError, match="format"):
        service.parse_format("pdf")
    with pytest.raises(NotFound, match="尚未定稿"):
        service.annual(s, world["supervisor"], year=2025, agency_code="city", today=TODAY, as_finalized=True)
    own = service.annual(s, world["dept_supervisor"], year=2025, agency_code=None, today=TODAY)
    assert own.report.agency_code == "dept"


# --- office figures ------------------------------------------------------------------------------


def test_office_figures_over_a_period(world: World, data: Builder) -> None:
    s = world.session
    got = figures_module.office_figures(
        s, agency(s, "city"), start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), today=TODAY
    )
    assert got["received"] == 5
    assert got["by_channel"] == {"当面": 5, "网络": 0, "信函": 0, "传真": 0, "其他": 0}
    # replies issued in 2025: B4 (late: due 2024-12-23), C1, C2, C3 on time
    assert got["replies"] == {"on_time": 3, "extended": 0, "late": 1, "total": 4, "without_deadline": 0}
    # working days to reply: B4 29 (2024-11-26..2025-01-06), C1 5, C2 10, C3 10
    waited = got["working_days_to_reply"]
    assert (waited["count"], waited["average"], waited["p90"], waited["max"]) == (4, 13.5, 29, 29)
    assert waited["distribution"] == {
        "0-5": 1,
        "6-10": 2,
        "11-15": 0,
        "16-20": 0,
        "21-30": 1,
        "31-40": 0,
        ">40": 0,
    }
    # open now: B6 only (received 2024-12-30, never answered)
    assert got["open"]["total"] == 1 and got["open"]["overdue"] == 1
    assert got["open"]["by_handler"] == {"clerk": 1} and got["open"]["by_agency"] == {"city": 1}
    dept = figures_module.office_figures(
        s, agency(s, "dept"), start=dt.date(2023, 1, 1), end=dt.date(2025, 12, 31), today=TODAY
    )
    assert (dept["received"], dept["replies"]["total"], dept["open"]["total"]) == (3, 3, 0)


# --- candidates for proactive disclosure ---------------------------------------------------------


def test_candidates_group_near_duplicates_from_several_applicants(world: World) -> None:
    b = Builder(world)
    asks = [
        ("P1", "city", "2025-03-03", "申请公开2025年本市道路维修工程的预算", "ID-1"),
        ("P2", "city", "2025-03-10", "请提供２０２５年本市道路维修工程预算。", "ID-2"),
        ("P3", "city", "2025-04-07", "2025年本市道路维修工程的预算（电子版）", "ID-3"),
        (
            "P4",
            "city",
            "2025-04-14",
            "申请公开2025年本市道路维修工程的预算",
            "ID-1",
        ),  # the same applicant again
        ("P5", "city", "2025-05-06", "申请公开2024年本市道路维修工程的预算", "ID-4"),  # another year
        ("P6", "dept", "2025-05-12", "申请公开2025年本市道路维修工程的预算", "ID-5"),  # another agency
        ("P7", "city", "2025-06-02", "本市公园绿化养护合同", "ID-6"),
        ("P8", "city", "2025-06-09", "关于本市公园绿化养护合同的信息", "ID-6"),  # one applicant only
    ]
    for code, where, day, description, identity in asks:
        b.register(code, where, "natural_person", day, description=description, id_number=identity)
    b.answer("P1", "disclosed.provided", "2025-03-17")
    found = candidates_module.candidates(
        world.session, agency(world.session, "city"), start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31)
    )
    assert [(c["agency"], c["requests"], c["applicants"], c["exact"]) for c in found["candidates"]] == [
        ("city", 4, 3, False)
    ]
    best = found["candidates"][0]
    assert [c["tracking_no"] for c in best["cases"]] == [
        b.cases[k].tracking_no for k in ("P1", "P2", "P3", "P4")
    ]
    assert best["description"] == "申请公开2025年本市道路维修工程的预算"
    assert best["disclosable"] is True and best["outcomes"] == {"open": 3, "disclosed.provided": 1}
    assert found["requests_compared"] == 8 and found["basis"] == law.PROACTIVE_DISCLOSURE_BASIS.label
    # asking for three different applicants leaves nothing; a looser threshold changes nothing here
    stricter = candidates_module.candidates(
        world.session,
        agency(world.session, "city"),
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 12, 31),
        min_applicants=4,
    )
    assert stricter["candidates"] == []


# --- the API -------------------------------------------------------------------------------------


def test_api_annual_report_and_finalization(web: Web, data: Builder) -> None:
    sup = web.api("supervisor")
    got = sup.get("/api/v1/reports/annual", params={"year": 2025, "agency": "city", "subtree": True})
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["year"], body["agency"], body["checks"], body["finalized"]) == (2025, "city", [], None)
    assert body["table3"] == CITY_2025 and body["table4"] == CITY_2025_T4
    workbook = sup.get(
        "/api/v1/reports/annual", params={"year": 2025, "agency": "city", "format": "xlsx", "subtree": True}
    )
    assert workbook.headers["content-type"].startswith(service.MEDIA_TYPES[service.ReportFormat.XLSX])
    assert "attachment" in workbook.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))[xlsx.SHEET3]
    assert _label_rows(sheet)["一、本年新收政府信息公开申请数量"] == [3, 1, 1, 0, 0, 0, 5]
    # refusals: unknown agency, another branch, year, format, roles
    missing = sup.get("/api/v1/reports/annual", params={"year": 2025, "agency": "nowhere"})
    assert (missing.status_code, missing.json()["detail"]) == (404, "没有代码为 nowhere 的机关")
    outside = web.api("dept_supervisor").get(
        "/api/v1/reports/annual", params={"year": 2025, "agency": "city"}
    )
    assert outside.status_code == 404
    early = sup.get("/api/v1/reports/annual", params={"year": 2007})
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "query.year"
    assert sup.get("/api/v1/reports/annual").status_code == 422  # no year
    bad = sup.get("/api/v1/reports/annual", params={"year": 2025, "format": "pdf"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["query.format"]
    future = sup.get("/api/v1/reports/annual", params={"year": 2030})
    assert future.status_code == 404 and "该年尚未开始" in future.json()["detail"]
    assert web.api("clerk").get("/api/v1/reports/annual", params={"year": 2025}).status_code == 403
    assert web.api("auditor").get("/api/v1/reports/annual", params={"year": 2025}).status_code == 200
    refused = web.api("auditor").post("/api/v1/reports/annual/finalize", json={"year": 2025})
    assert refused.status_code == 403
    assert sup.post("/api/v1/reports/annual/finalize", json={"year": 2026}).status_code == 409

    done = sup.post("/api/v1/reports/annual/finalize", json={"year": 2025, "agency": "city", "subtree": True})
    assert done.status_code == 201, done.text
    assert (done.json()["version"], done.json()["finalized_by"]) == (1, "supervisor")
    again = sup.post(
        "/api/v1/reports/annual/finalize", json={"year": 2025, "agency": "city", "subtree": True}
    )
    assert again.status_code == 409 and "已按相同数据定稿" in again.json()["detail"]
    assert sup.get("/api/v1/dashboard").json()["changed_reports"] == []

    # a reply recorded late changes 2025: flagged on the report and on the dashboard
    b = data
    b.register("Z", "city", "public_interest", "2025-06-02")
    b.answer("Z", "disclosed.provided", "2025-06-09")
    body = sup.get("/api/v1/reports/annual", params={"year": 2025, "agency": "city", "subtree": True}).json()
    assert body["finalized"]["changed"] is True
    changed = {(c["row"], c["column"]): (c["finalized"], c["current"]) for c in body["finalized"]["changes"]}
    assert changed[("received", "public_interest")] == (0, 1)
    assert changed[("disclosed.provided", "total")] == (1, 2)
    assert len(changed) == 8  # received, disclosed, disclosed.provided, total: public_interest and total
    flags = sup.get("/api/v1/dashboard").json()["changed_reports"]
    assert [(f["agency"], f["year"], f["changed_cells"]) for f in flags] == [("city", 2025, 8)]
    kept = sup.get(
        "/api/v1/reports/annual",
        params={"year": 2025, "agency": "city", "finalized": "true", "subtree": True},
    ).json()
    assert kept["as_finalized"] is True and kept["table3"] == CITY_2025
    assert json.dumps(kept["finalized"]["sha256"]) == json.dumps(done.json()["sha256"])


def test_api_figures_and_candidates(web: Web, data: Builder) -> None:
    sup = web.api("supervisor")
    got = sup.get("/api/v1/reports/figures", params={"from": "2025-01-01", "to": "2025-12-31"})
    assert got.status_code == 200, got.text
    assert got.json()["replies"]["late"] == 1 and got.json()["agency"] == "city"
    wrong = sup.get("/api/v1/reports/figures", params={"from": "2025-12-31", "to": "2025-01-01"})
    assert wrong.status_code == 409 and wrong.json()["code"] == "period_reversed"
    assert wrong.json()["detail"].startswith("统计期间的结束日期（2025年1月1日）早于开始日期")
    early = sup.get("/api/v1/reports/figures", params={"from": "1999-01-01", "to": "2030-01-01"})
    assert early.status_code == 200  # trimmed to the days a request can have
    assert early.json()["period"] == {"from": "2008-05-01", "to": today().isoformat()}
    assert sup.get("/api/v1/reports/figures", params={"from": "2025-13-01"}).status_code == 422
    assert web.api("clerk").get("/api/v1/reports/figures").status_code == 403
    # the fixture's requests all ask for the same text, each from another applicant but B5 (a repeat
    # of A3): one candidate per agency with several applicants (the district had one request only)
    found = sup.get("/api/v1/reports/candidates", params={"from": "2023-01-01", "to": "2025-12-31"})
    assert found.status_code == 200, found.text
    groups = [
        (c["agency"], c["requests"], c["applicants"], c["exact"], c["disclosable"])
        for c in found.json()["candidates"]
    ]
    # B5 repeats A3 (the same applicant, rejected.duplicate): the dept asked by 2 applicants
    assert groups == [("city", 10, 10, True, True), ("dept", 3, 2, True, False)]
    assert sup.get("/api/v1/reports/candidates", params={"min_applicants": 1}).status_code == 422


# --- the command line ----------------------------------------------------------------------------


def test_cli_report_annual(db_url: str, data: Builder, tmp_path: Any) -> None:
    from tests.integration.test_cli_db import run_cli

    done = run_cli(db_url, tmp_path, "report", "annual", "--year", "2025", "--agency", "city", "--aggregate")
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert (body["year"], body["agency"], body["table3"], body["table4"]) == (
        2025,
        "city",
        CITY_2025,
        CITY_2025_T4,
    )
    own = run_cli(db_url, tmp_path, "report", "annual", "--year", "2024", "--agency", "city")  # own: default
    assert json.loads(own.stdout)["table3"]["received"] == r(np=2, com=1, legal=1, total=4)
    assert json.loads(own.stdout)["scope"] == "own" and body["scope"] == "aggregate"
    out = tmp_path / "city-2025.xlsx"
    written = run_cli(
        db_url,
        tmp_path,
        "report",
        "annual",
        "--year",
        "2025",
        "--agency",
        "city",
        "--format",
        "xlsx",
        "--out",
        str(out),
    )
    assert written.exit_code == 0, written.output
    sheet = openpyxl.load_workbook(out)[xlsx.SHEET3]
    assert _label_rows(sheet)["四、结转下年度继续办理"] == [0, 2, 0, 0, 0, 0, 2]
    page = run_cli(
        db_url, tmp_path, "report", "annual", "--year", "2025", "--agency", "dept", "--format", "html"
    )
    assert page.exit_code == 0 and "某市自然资源和规划局2025年政府信息公开工作年度报告" in page.stdout
    for args, message in (
        (("--year", "2025", "--agency", "nowhere"), "没有代码为 nowhere 的机关"),
        (("--year", "2030", "--agency", "city"), "尚未开始"),
        (("--year", "2007", "--agency", "city"), "早于《条例》施行"),
        (("--year", "2025", "--agency", "city", "--format", "pdf"), "--format"),
        (("--year", "2025", "--agency", "city", "--finalized"), "尚未定稿"),
    ):
        refused = run_cli(db_url, tmp_path, "report", "annual", *args)
        assert refused.exit_code == 2, (args, refused.output)
        assert message in refused.output, (args, refused.output)
