"""What the API, the pages and the command line ask of the reports, in one place: resolve the agency
within the caller's scope, check the year or period, compute, and present (JSON, HTML or xlsx)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from caseflow.cases.actor import Actor
from caseflow.errors import FactsError, NotFound
from caseflow.models import Agency
from caseflow.reports import lock, render, xlsx
from caseflow.reports.annual import annual_report
from caseflow.reports.annual_tables import AnnualReport
from caseflow.reports.scope import check_year, resolve_agency


class ReportFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ReportFormat.JSON: "application/json",
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Annual:
    """A computed annual report with its finalization status (or the finalized report itself)."""

    agency: Agency
    report: AnnualReport
    finalized: dict[str, Any] | None
    as_finalized: bool

    def to_json(self) -> dict[str, Any]:
        return {**self.report.to_json(), "finalized": self.finalized, "as_finalized": self.as_finalized}

    def filename(self, fmt: ReportFormat) -> str:
        suffix = "-定稿" if self.as_finalized else ""
        return f"{self.report.agency_code}-{self.report.year}年度报告表三表四{suffix}.{fmt.value}"

    def ascii_filename(self, fmt: ReportFormat) -> str:
        """The plain-ASCII name for clients that do not read RFC 5987 ``filename*``."""
        return f"{self.report.agency_code}-{self.report.year}-annual-report.{fmt.value}"

    def render(self, fmt: ReportFormat) -> bytes:
        if fmt is ReportFormat.XLSX:
            return xlsx.workbook(self.report, self.finalized)
        if fmt is ReportFormat.HTML:
            return render.document(self.report, self.finalized).encode("utf-8")
        return (json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def parse_format(value: str) -> ReportFormat:
    try:
        return ReportFormat(value.strip().lower())
    except ValueError:
        raise FactsError([("format", f"不支持的报告格式：{value}（可选：json、html、xlsx）")]) from None


def annual(
    session: Session,
    actor: Actor,
    *,
    year: int,
    agency_code: str | None,
    today: dt.date,
    subtree: bool = False,
    as_finalized: bool = False,
) -> Annual:
    """The report now (compared with its finalization), or exactly as finalized: the agency's own
    requests (Arts. 49-50), or with ``subtree`` the aggregate (汇总) over every agency below it."""
    agency = resolve_agency(session, actor, agency_code)
    check_year(year, today)
    if as_finalized:
        assert agency.id is not None
        kept = lock.current_lock(session, agency.id, year, subtree)
        if kept is None:
            raise NotFound(f"{agency.name}的{year}年度报告尚未定稿", code="report_not_finalized")
        return Annual(agency, lock.finalized_report(kept, agency), lock.lock_json(kept), True)
    report = annual_report(session, agency, year, subtree=subtree)
    return Annual(agency, report, lock.status(session, agency, report), False)


def finalize(
    session: Session,
    actor: Actor,
    *,
    year: int,
    agency_code: str | None,
    today: dt.date,
    subtree: bool = False,
    reason: str = "",
) -> dict[str, Any]:
    agency = resolve_agency(session, actor, agency_code)
    check_year(year, today)
    kept = lock.finalize(session, actor=actor, agency=agency, year=year, subtree=subtree, reason=reason)
    return {"year": year, "agency": agency.code, "subtree": subtree, **lock.lock_json(kept)}
