"""What a report is about: an agency (with or without its subtree) the actor may see, a year, a period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.cases.actor import Actor
from caseflow.dates import zh
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.models import Agency, Case

#: The first year a report can cover: the Regulation came into force in it.
FIRST_YEAR = law.REGULATION_2007_IN_FORCE.year


def resolve_agency(session: Session, actor: Actor, code: str | None) -> Agency:
    """The agency ``code`` (default: the actor's own) if the actor may see it; else NotFound, so that
    another branch's agencies answer like agencies that do not exist."""
    if code is None or not code.strip():
        if actor.agency_id is None:
            raise FactsError([("agency", "请填写机关代码")])
        agency = session.get(Agency, actor.agency_id)
    else:
        wanted = code.strip()
        agency = (
            None
            if "\x00" in wanted
            else session.exec(select(Agency).where(col(Agency.code) == wanted)).first()
        )
    if agency is None or not actor.sees(agency.path):
        raise NotFound(f"没有代码为 {code} 的机关")
    return agency


def agency_condition(agency: Agency, subtree: bool) -> ColumnElement[bool]:
    """A filter on requests: handled by the agency (and, with ``subtree``, by any agency below it)."""
    if not subtree:
        return col(Case.agency_id) == agency.id
    return col(Case.agency_id).in_(select(Agency.id).where(col(Agency.path).startswith(agency.path)))


def check_year(year: int, today: dt.date) -> int:
    """A year a report can cover: from the Regulation's first year to the current one. A year
    before is invalid input; a year that has not begun has no report yet (not found)."""
    if year < FIRST_YEAR:
        raise FactsError(
            [("year", f"{year}年早于《条例》施行，年度报告的年份为{FIRST_YEAR}年至{today.year}年")]
        )
    if year > today.year:
        raise NotFound(f"没有{year}年度报告：该年尚未开始（年度报告的年份为{FIRST_YEAR}年至{today.year}年）")
    return year


def check_period(start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """A period of receipt or reply dates (default: this year up to today), trimmed to the days a
    request can have (from the Regulation's first day to today); refused when it ends before it
    starts (a rule of periods, answered like the other rules: 409)."""
    first = max(start or dt.date(today.year, 1, 1), law.REGULATION_2007_IN_FORCE)
    last = min(end or today, today)
    if last < first:
        raise RuleViolation(
            f"统计期间的结束日期（{zh(last)}）早于开始日期（{zh(first)}）"
            + ("（统计期间最晚截至今天）" if end and end > today else ""),
            code="period_reversed",
        )
    return first, last
