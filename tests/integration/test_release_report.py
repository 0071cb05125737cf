"""The annual report's figures of released records (issue 19, item 5) on SQLite and PostgreSQL: pages
released with the replies issued in the year and pages redacted by withholding ground, for the
report's agency (and subtree), ignoring other years and other agencies; shown on the report page,
in the xlsx and on the office figures page; a report finalized before these figures still renders."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import load_workbook
from sqlmodel import col, select

from caseflow import law
from caseflow.models import Agency
from caseflow.reports import lock, render, xlsx
from caseflow.reports.annual import annual_report
from caseflow.reports.figures import PUBLISHED_LABELS, office_figures, published_lines
from tests.integration.conftest import T0, World
from tests.integration.releasing import answered_partial

INTERNAL, PROCESS = "withheld.internal_affairs", "withheld.process_info"
LAST_YEAR = T0 - dt.timedelta(days=365)  # 2025


def agency(world: World, code: str) -> Agency:
    return world.session.exec(select(Agency).where(col(Agency.code) == code)).one()


def box(page: int, ground: str) -> dict[str, Any]:
    return {"page": page, "box": [72.0, 72.0, 200.0, 120.0], "ground": ground}


def redacted(published: dict[str, Any]) -> dict[str, int]:
    return {g: n for g, n in published["pages_redacted"].items() if n}


def test_pages_released_and_redacted_by_ground_for_the_year_and_scope(world: World) -> None:
    answered_partial(world)  # city, 2026: 3 pages; internal affairs on pages 1 and 2, process info on 2
    answered_partial(world, agency="dept", pages=5, boxes=[box(4, PROCESS)])
    answered_partial(world, at=LAST_YEAR, pages=2, boxes=[box(1, INTERNAL)])
    world.new_case()  # an open request releases nothing
    city, dept = agency(world, "city"), agency(world, "dept")

    own = annual_report(world.session, city, 2026).published
    assert own["pages_released"] == 3
    assert redacted(own) == {INTERNAL: 2, PROCESS: 1}
    assert set(own["pages_redacted"]) == set(law.REDACTION_LABELS)  # every ground, zeros included
    both = annual_report(world.session, city, 2026, subtree=True).published
    assert both["pages_released"] == 8 and redacted(both) == {INTERNAL: 2, PROCESS: 2}
    dept_only = annual_report(world.session, dept, 2026).published
    assert dept_only["pages_released"] == 5 and redacted(dept_only) == {PROCESS: 1}
    earlier = annual_report(world.session, city, 2025).published
    assert earlier["pages_released"] == 2 and redacted(earlier) == {INTERNAL: 1}

    # shown: the report's HTML, its xlsx, and the office figures (any period)
    report = annual_report(world.session, city, 2026)
    page = render.document(report)
    assert PUBLISHED_LABELS["pages_released"] in page
    assert "第十六条 内部事务 2页；第十六条 过程性信息 1页" in page
    sheet = load_workbook(io.BytesIO(xlsx.workbook(report)))["说明"]
    rows = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert str(rows[PUBLISHED_LABELS["pages_released"]]) == "3"
    assert rows[PUBLISHED_LABELS["pages_redacted"]] == "第十六条 内部事务 2页；第十六条 过程性信息 1页"
    figures = office_figures(
        world.session, city, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), today=dt.date(2026, 11, 1)
    )
    assert figures["published"]["pages_released"] == 8  # the figures page: the subtree by default
    assert redacted(figures["published"]) == {INTERNAL: 2, PROCESS: 2}


def test_a_report_finalized_before_these_figures_still_renders(world: World) -> None:
    answered_partial(world, at=LAST_YEAR)
    city = agency(world, "city")
    kept = lock.finalize(
        world.session,
        actor=world["supervisor"],
        agency=city,
        year=2025,
        now=dt.datetime(2026, 1, 5, 9, tzinfo=T0.tzinfo),
    )
    assert set(kept.figures) == {"table3", "table4"}  # the lock keeps the tables only: nothing to migrate
    status = lock.status(world.session, city, annual_report(world.session, city, 2025))
    assert status is not None and status["intact"] and not status["changed"]
    finalized = lock.finalized_report(kept, city)
    assert "随答复提供" not in render.document(finalized)
    xlsx.workbook(finalized)  # renders without the figures
    # published figures computed before the new keys existed (e.g. kept by a client) still read
    older = {
        "supplement_notices": 1,
        "unable_not_held": 0,
        "unable_not_ours": 0,
        "fees_charged": {"count": 0, "yuan": 0},
        "fees_reduced": {"count": 0, "yuan": 0},
    }
    lines = dict(published_lines(older))
    assert lines[PUBLISHED_LABELS["supplement_notices"]] == "1"
    assert PUBLISHED_LABELS["pages_released"] not in lines
    report = annual_report(world.session, city, 2025)
    report.published = older
    assert "发出补正申请告知书" in str(render.extra(report)) and "随答复提供" not in str(render.extra(report))
