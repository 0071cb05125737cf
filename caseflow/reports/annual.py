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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from caseflow import law
from caseflow.cases import correction
from caseflow.models import Agency, Applicant, Case, RemedyRecord
from caseflow.reports.figures import published_figures
from caseflow.reports.scope import agency_condition
from caseflow.states.machine import OPEN_STATES

TYPED_COLUMNS: tuple[str, ...] = tuple(t.value for t in law.ApplicantType)
KNOWN_OUTCOMES: tuple[str, ...] = tuple(law.OUTCOMES_BY_CODE)
OPEN = sorted(s.value for s in OPEN_STATES)
#: How many requests a check lists (the count of all of them is given too).
CASES_LISTED = 20


def table3_keys() -> list[str]:
    """Table 三's JSON rows in order: 一, 二, each group followed by its outcomes, (七), 四."""
    keys = ["received", "carried_over"]
    for group in law.OUTCOME_GROUPS:
        keys.append(group)
        keys.extend(
            o.code
            for o in law.OUTCOMES
            if o.group == group and o.code != group and law.REPORT_ROW_KEYS[o.code] == o.code
        )
    return [*keys, "total", "carried_forward"]


TABLE3_KEYS = table3_keys()


def empty_table3() -> dict[str, dict[str, int]]:
    return {key: dict.fromkeys(law.REPORT_COLUMNS, 0) for key in TABLE3_KEYS}


def empty_table4() -> dict[str, dict[str, int]]:
    return {section: dict.fromkeys(law.TABLE4_COLUMNS, 0) for section in law.TABLE4_SECTIONS}


@dataclass
class AnnualReport:
    year: int
    agency_code: str
    agency_name: str
    subtree: bool
    table3: dict[str, dict[str, int]]
    table4: dict[str, dict[str, int]]
    checks: list[dict[str, Any]] = field(default_factory=list)
    #: Aggregate only: each agency of the subtree with its 一, 三(七) and 四 totals (the parent first).
    shares: list[dict[str, Any]] = field(default_factory=list)
    #: The figures published reports state beside the tables (figures.published_figures).
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The report's title: an aggregate over the subtree is marked 汇总."""
        suffix = "（汇总）" if self.subtree else ""
        return f"{self.agency_name}{self.year}年政府信息公开工作年度报告{suffix}"

    @property
    def scope_label(self) -> str:
        return "本机关及下级机关（汇总）" if self.subtree else "本机关"

    def figures(self) -> dict[str, Any]:
        """What a finalization keeps (and hashes): the two tables."""
        return {"table3": self.table3, "table4": self.table4}

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "agency": self.agency_code,
            "agency_name": self.agency_name,
            "subtree": self.subtree,
            "scope": "aggregate" if self.subtree else "own",
            "title": self.title,
            "period": {"from": f"{self.year}-01-01", "to": f"{self.year}-12-31"},
            "format": law.REPORT_FORMAT,
            "table3": self.table3,
            "table4": self.table4,
            "shares": self.shares,
            "published": self.published,
            "checks": self.checks,
        }


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def concluded_on() -> ColumnElement[dt.date]:
    """A request's conclusion date: the reply's issue date, or the day it ended without one."""
    return func.coalesce(col(Case.answered_on), col(Case.closed_on))


#: 1 and 0 written into the SQL: bound as parameters they make SQLite's CASE markedly slower.
ONE: ColumnElement[int] = literal_column("1")
ZERO: ColumnElement[int] = literal_column("0")


def _tally(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, ONE), else_=ZERO))


def _is_open(state: Any) -> ColumnElement[bool]:
    """The state is one of the open states (the names written into the SQL, like ONE and ZERO)."""
    condition: ColumnElement[bool] = state.in_([literal_column(f"'{name}'") for name in OPEN])
    return condition


def _relevant(start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """The requests a year's table 三 counts anywhere: received in it, concluded in it, or open at
    its start (received before and not concluded before)."""
    concl, received = concluded_on(), col(Case.receipt_date)
    return or_(
        received.between(start, end),
        concl.between(start, end),
        and_(received < start, or_(concl.is_(None), concl >= start)),
    )


def _dated_wrong(start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """Concluded before received, across the year's boundary: counted on one side of the check only
    (三 of the year without 一 or 二, or 一 without 三 or 四)."""
    concl, received = concluded_on(), col(Case.receipt_date)
    return or_(
        and_(concl.between(start, end), received > end),
        and_(received.between(start, end), concl < start),
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
    open_state = _is_open(col(Case.state))
    stmt = (
        sa_select(
            col(Applicant.type),
            col(Case.outcome),
            _tally(received.between(start, end)),
            _tally(and_(received < start, or_(concl.is_(None), concl >= start))),
            _tally(in_year),
            _tally(and_(received <= end, or_(concl.is_(None), concl > end))),
            _tally(_dated_wrong(start, end)),
            _tally(or_(and_(open_state, concl.is_not(None)), and_(not_(open_state), concl.is_(None)))),
        )
        .select_from(Case)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .where(scope, _relevant(start, end))
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
    _checks(session, report, scope, unclassified, early, state_mismatch, untyped)
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
                _tally(received.between(start, end)),
                _tally(and_(concl.between(start, end), col(Case.outcome).in_(KNOWN_OUTCOMES))),
                _tally(and_(received <= end, or_(concl.is_(None), concl > end))),
            )
            .where(scope, _relevant(start, end))
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
            _tally(and_(col(RemedyRecord.result).is_not(None), concluded.between(start, end))),
            _tally(and_(col(RemedyRecord.filed_on) <= end, not_(done_by_end))),
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


# --- checks ------------------------------------------------------------------------------------


def _checks(
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
                _dated_wrong(start, end),
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
    relevant = _relevant(start, end)
    if state_mismatch:
        open_state = _is_open(col(Case.state))
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
