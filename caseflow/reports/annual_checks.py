"""The checks of the annual report: 一 + 二 = 三(七) + 四 in every column, requests whose state and dates
disagree, applicant types outside table 三's columns, each with the first requests behind it and what
is wrong with each."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from caseflow import law
from caseflow.models import Applicant, Case
from caseflow.reports.annual_tables import AnnualReport
from caseflow.reports.year_sql import (
    KNOWN_OUTCOMES,
    OPEN,
    TYPED_COLUMNS,
    concluded_on,
    dated_wrong,
    in_open_state,
    relevant_in,
    year_bounds,
)

#: How many requests a check lists (the count of all of them is given too).
CASES_LISTED = 20


def add_checks(
    session: Session,
    report: AnnualReport,
    scope: ColumnElement[bool],
    unclassified: dict[str, int],
    early: dict[str, int],
    state_mismatch: int,
    untyped: int,
) -> None:
    start, end = year_bounds(report.year)
    concl = concluded_on()
    in_year = concl.between(start, end)
    t3 = report.table3
    for column in law.REPORT_COLUMNS:
        left = t3["received"][column] + t3["carried_over"][column]
        right = t3["total"][column] + t3["carried_forward"][column]
        if left == right and not unclassified[column] and not early[column]:
            continue
        where = [
            scope,
            or_(
                and_(in_year, or_(col(Case.outcome).is_(None), col(Case.outcome).not_in(KNOWN_OUTCOMES))),
                dated_wrong(start, end),
            ),
        ]
        if column != "total":
            where.append(col(Applicant.type) == column)
        cases, count = _cases(session, where, report.year)
        report.checks.append(
            {
                "kind": "balance",
                "column": column,
                "column_name": law.REPORT_COLUMN_NAMES[column],
                "received": t3["received"][column],
                "carried_over": t3["carried_over"][column],
                "total": t3["total"][column],
                "carried_forward": t3["carried_forward"][column],
                "difference": left - right,
                "message": f"{law.REPORT_COLUMN_NAMES[column]}：一 + 二 = {left}，三(七) + 四 = {right}"
                + ("（差错相互抵消）" if left == right else ""),
                "cases": cases,
                "count": count,
            }
        )
    relevant = relevant_in(start, end)
    if state_mismatch:
        open_state = in_open_state(col(Case.state))
        where = [
            scope,
            relevant,
            or_(and_(open_state, concl.is_not(None)), and_(not_(open_state), concl.is_(None))),
        ]
        cases, count = _cases(session, where, report.year)
        report.checks.append(
            {
                "kind": "state_dates",
                "message": f"{count}件申请的状态与办结日期不一致，按日期计数",
                "cases": cases,
                "count": count,
            }
        )
    if untyped:
        where = [scope, relevant, col(Applicant.type).not_in(TYPED_COLUMNS)]
        cases, count = _cases(session, where, report.year)
        report.checks.append(
            {
                "kind": "applicant_type",
                "message": f"{count}件申请的申请人类型不在表三各列之列，只计入总计列",
                "cases": cases,
                "count": count,
            }
        )


def _cases(session: Session, where: list[ColumnElement[bool]], year: int) -> tuple[list[dict[str, Any]], int]:
    """The first requests matching ``where`` (with what is wrong with each) and how many match."""
    base = (
        sa_select(func.count()).select_from(Case).join(Applicant, col(Applicant.id) == col(Case.applicant_id))
    )
    count = int(session.execute(base.where(*where)).scalar_one())
    rows = session.execute(
        sa_select(
            col(Case.id),
            col(Case.tracking_no),
            col(Case.receipt_date),
            concluded_on(),
            col(Case.state),
            col(Case.outcome),
            col(Applicant.type),
        )
        .select_from(Case)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .where(*where)
        .order_by(col(Case.id))
        .limit(CASES_LISTED)
    )
    cases = []
    for case_id, tracking_no, receipt, concl, state, outcome, kind in rows:
        cases.append(
            {
                "id": case_id,
                "tracking_no": tracking_no,
                "receipt_date": receipt.isoformat(),
                "concluded_on": concl.isoformat() if concl else None,
                "state": state,
                "outcome": outcome,
                "applicant_type": kind,
                "problem": _problem(receipt, concl, state, outcome, kind, year),
            }
        )
    return cases, count


def _problem(
    receipt: dt.date, concl: dt.date | None, state: str, outcome: str | None, kind: str, year: int
) -> str:
    _, end = year_bounds(year)
    is_open = state in OPEN
    wrong = f"办结日期{concl.isoformat()}早于收到申请日期{receipt.isoformat()}" if concl else ""
    if concl is not None and concl < receipt and receipt > end:
        return f"{wrong}：计入{year}年三，未计入一、二"
    if concl is not None and concl < receipt and concl.year < year:
        return f"{wrong}：计入{year}年一，未计入三、四"
    if concl is not None and is_open:
        return f"状态为{state}却有办结日期{concl.isoformat()}"
    if concl is None and not is_open:
        return f"状态为{state}却没有办结日期：按尚未办结计数"
    if concl is not None and outcome is None:
        return f"于{concl.isoformat()}办结但未记录办理结果：计入一或二，未计入三的任何一行"
    if outcome is not None and outcome not in law.OUTCOMES_BY_CODE:
        return f"办理结果{outcome!r}不在表三之列：计入一或二，未计入三的任何一行"
    if kind not in TYPED_COLUMNS:
        return f"申请人类型{kind!r}不在表三各列之列"
    return "日期或办理结果与表三的计数规则不一致"
