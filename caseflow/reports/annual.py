"""Tables 三 and 四 of the annual report (Report Format 国办公开办函〔2021〕30号) with their checks.

Counting rules, for an agency and a year Y. An agency's report counts its own requests (Regulation
Arts. 49-50: each agency reports its own work); an aggregate (``subtree``) counts every agency below
it too, is titled 汇总 and lists each agency's share (``shares``):

- a request belongs to the agency that handled it (``request.agency_id``);
- its conclusion date is the reply's issue date (``answered_on``) or, for a request that ended
  without a reply (withdrawn, deemed abandoned), the day it ended (``closed_on``);
- 一 本年新收: received in Y; 二 上年结转: received before Y and not concluded before 1 January
  (open at the start of 1 January); 三 本年度办理结果: concluded in Y, one row per outcome
  (law.OUTCOMES' ``report_row``), by applicant type, (七) their sum; 四 结转下年度继续办理: received
  by 31 December and not concluded by its end;
- table 四: review and litigation records of those requests: concluded in Y by result (维持, 纠正,
  其他), pending (尚未审结) when filed by 31 December and not concluded by then.

So 一 + 二 = 三(七) + 四 holds in every column whenever each request's dates and outcome agree;
``checks`` lists every column where it does not, with the requests behind it, and the requests whose
state and dates disagree (a withdrawn request without a closing date would be counted open forever).

Everything is one aggregation in SQL (GROUP BY applicant type and outcome over the scoped requests
relevant to the year); only the few requests behind a failed check are read one by one.

This module counts; the report's rows and record are in ``annual_tables``, the year's conditions in
SQL in ``year_sql``, and the checks with the requests behind them in ``annual_checks``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from caseflow import law
from caseflow.cases import correction
from caseflow.models import Agency, Applicant, Case, RemedyRecord
from caseflow.reports.annual_checks import add_checks
from caseflow.reports.annual_tables import AnnualReport, empty_table3, empty_table4
from caseflow.reports.figures import published_figures
from caseflow.reports.scope import agency_condition
from caseflow.reports.year_sql import (
    KNOWN_OUTCOMES,
    TYPED_COLUMNS,
    concluded_on,
    dated_wrong,
    in_open_state,
    relevant_in,
    tally,
    year_bounds,
)


def annual_report(session: Session, agency: Agency, year: int, *, subtree: bool = False) -> AnnualReport:
    """Tables 三 and 四 for ``agency``'s own requests (with ``subtree``: the aggregate over every agency
    below it, with each one's share) and ``year``."""
    start, end = year_bounds(year)
    # Correction requests (Art. 41) are not disclosure requests: left out unless the office counts them.
    scope = and_(agency_condition(agency, subtree), correction.report_condition())
    report = AnnualReport(year, agency.code, agency.name, subtree, empty_table3(), empty_table4())
    concl = concluded_on()
    received = col(Case.receipt_date)
    in_year = concl.between(start, end)
    open_state = in_open_state(col(Case.state))
    stmt = (
        sa_select(
            col(Applicant.type),
            col(Case.outcome),
            tally(received.between(start, end)),
            tally(and_(received < start, or_(concl.is_(None), concl >= start))),
            tally(in_year),
            tally(and_(received <= end, or_(concl.is_(None), concl > end))),
            tally(dated_wrong(start, end)),
            tally(or_(and_(open_state, concl.is_not(None)), and_(not_(open_state), concl.is_(None)))),
        )
        .select_from(Case)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .where(scope, relevant_in(start, end))
        .group_by(col(Applicant.type), col(Case.outcome))
    )
    t3 = report.table3
    unclassified = dict.fromkeys(law.REPORT_COLUMNS, 0)
    early = dict.fromkeys(law.REPORT_COLUMNS, 0)
    state_mismatch = 0
    untyped = 0
    for kind, outcome, n_received, n_over, n_concluded, n_forward, n_early, n_mismatch in session.execute(
        stmt
    ):
        columns = (kind, "total") if kind in TYPED_COLUMNS else ("total",)
        if kind not in TYPED_COLUMNS:
            untyped += int(n_received or 0) + int(n_over or 0) + int(n_concluded or 0) + int(n_forward or 0)
        spec = law.OUTCOMES_BY_CODE.get(outcome) if outcome else None
        if spec is not None and spec.kind is law.RequestKind.CORRECTION:  # counted: 三(六)3 其他
            spec = law.outcome(law.CORRECTION_REPORT_ROW)
        for column in columns:
            t3["received"][column] += int(n_received or 0)
            t3["carried_over"][column] += int(n_over or 0)
            t3["carried_forward"][column] += int(n_forward or 0)
            early[column] += int(n_early or 0)
            if spec is None:
                unclassified[column] += int(n_concluded or 0)
                continue
            t3[law.REPORT_ROW_KEYS[spec.code]][column] += int(n_concluded or 0)
            if spec.group != spec.code:
                t3[spec.group][column] += int(n_concluded or 0)
            t3["total"][column] += int(n_concluded or 0)
        state_mismatch += int(n_mismatch or 0)
    _table4(session, report, scope, start, end)
    add_checks(session, report, scope, unclassified, early, state_mismatch, untyped)
    report.published = published_figures(session, scope, start, end)
    if subtree:
        report.shares = _shares(session, agency, scope, start, end)
    return report


def _shares(
    session: Session, agency: Agency, scope: ColumnElement[bool], start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Each agency of the subtree (the parent first, then by path) with its 一, 三(七) and 四 totals."""
    concl = concluded_on()
    received = col(Case.receipt_date)
    counted = {
        agency_id: (int(a or 0), int(b or 0), int(c or 0))
        for agency_id, a, b, c in session.execute(
            sa_select(
                col(Case.agency_id),
                tally(received.between(start, end)),
                tally(and_(concl.between(start, end), col(Case.outcome).in_(KNOWN_OUTCOMES))),
                tally(and_(received <= end, or_(concl.is_(None), concl > end))),
            )
            .where(scope, relevant_in(start, end))
            .group_by(col(Case.agency_id))
        )
    }
    agencies = session.execute(
        sa_select(col(Agency.id), col(Agency.code), col(Agency.name))
        .where(col(Agency.path).startswith(agency.path))
        .order_by(col(Agency.path))
    ).all()
    shares = []
    for agency_id, code, name in agencies:
        n_received, n_concluded, n_forward = counted.get(agency_id, (0, 0, 0))
        shares.append(
            {
                "agency": code,
                "agency_name": name,
                "own": agency_id == agency.id,
                "received": n_received,
                "concluded": n_concluded,
                "carried_forward": n_forward,
            }
        )
    shares.sort(key=lambda s: not s["own"])
    return shares


def _table4(
    session: Session, report: AnnualReport, scope: ColumnElement[bool], start: dt.date, end: dt.date
) -> None:
    concluded = col(RemedyRecord.concluded_on)
    done_by_end = and_(col(RemedyRecord.result).is_not(None), concluded.is_not(None), concluded <= end)
    stmt = (
        sa_select(
            col(RemedyRecord.kind),
            col(RemedyRecord.path),
            col(RemedyRecord.result),
            tally(and_(col(RemedyRecord.result).is_not(None), concluded.between(start, end))),
            tally(and_(col(RemedyRecord.filed_on) <= end, not_(done_by_end))),
        )
        .select_from(RemedyRecord)
        .join(Case, col(Case.id) == col(RemedyRecord.case_id))
        .where(scope, col(RemedyRecord.filed_on) <= end, or_(concluded.is_(None), concluded >= start))
        .group_by(col(RemedyRecord.kind), col(RemedyRecord.path), col(RemedyRecord.result))
    )
    unplaced = 0
    for kind, path, result, n_concluded, n_pending in session.execute(stmt):
        section = (
            "review"
            if kind == "review"
            else f"litigation_{path}"
            if kind == "litigation" and path in ("direct", "after_review")
            else None
        )
        if section is None or (n_concluded and result not in law.REMEDY_RESULTS):
            unplaced += int(n_concluded or 0) + int(n_pending or 0)
            continue
        row = report.table4[section]
        if n_concluded:
            row[result] += int(n_concluded)
        row["pending"] += int(n_pending or 0)
    for row in report.table4.values():
        row["total"] = sum(row[c] for c in law.TABLE4_COLUMNS if c != "total")
    if unplaced:
        report.checks.append(
            {
                "kind": "remedy",
                "message": f"{unplaced}条行政复议或行政诉讼记录的类别或结果不在表四之列，未计入",
                "count": unplaced,
            }
        )
