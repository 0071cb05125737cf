"""The period lock: a supervisor finalizes a year's report; its figures and their hash are kept.

A finalization is a row of ``report_lock`` (append-only: the database refuses UPDATE and DELETE) with
who, when, the figures as finalized and the SHA-256 of their canonical JSON. Finalizing again with
different figures is a revision: it needs a reason and adds the next version, carrying the hash of
the version it replaces. Whenever the report is computed later, its figures are compared with the
finalized ones; a change (a request corrected, a late conclusion recorded, a row edited behind the
application's back) is listed cell by cell on the report and flagged on the supervisors' dashboard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from caseflow.cases.actor import Actor
from caseflow.dates import now as current_moment
from caseflow.db import begin_write
from caseflow.errors import FactsError, Forbidden, RuleViolation
from caseflow.models import Agency, Case, RemedyRecord, ReportLock
from caseflow.reports.annual import annual_report
from caseflow.reports.annual_tables import AnnualReport
from caseflow.states.roles import SUPERVISOR, SYSTEM

#: How long the dashboard may reuse a comparison while nothing changed through caseflow (edits made
#: behind its back show up after this at the latest; the report page always compares afresh).
DASHBOARD_RECHECK_SECONDS = 600.0


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def figures_hash(agency_code: str, year: int, subtree: bool, figures: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of what the report says and what it is about."""
    subject = {"agency": agency_code, "year": year, "subtree": subtree, **figures}
    return hashlib.sha256(canonical(subject)).hexdigest()


def current_lock(session: Session, agency_id: int, year: int, subtree: bool) -> ReportLock | None:
    """The latest finalization of this report, if any."""
    return session.exec(
        select(ReportLock)
        .where(
            col(ReportLock.agency_id) == agency_id,
            col(ReportLock.year) == year,
            col(ReportLock.subtree) == subtree,
        )
        .order_by(col(ReportLock.version).desc())
        .limit(1)
    ).first()


def history(session: Session, agency_id: int, year: int, subtree: bool) -> list[ReportLock]:
    return list(
        session.exec(
            select(ReportLock)
            .where(
                col(ReportLock.agency_id) == agency_id,
                col(ReportLock.year) == year,
                col(ReportLock.subtree) == subtree,
            )
            .order_by(col(ReportLock.version))
        )
    )


def finalize(
    session: Session,
    *,
    actor: Actor,
    agency: Agency,
    year: int,
    subtree: bool = False,
    reason: str = "",
    now: dt.datetime | None = None,
) -> ReportLock:
    """Finalize the report as it stands: refused before the year has ended, while its check fails,
    and (without a reason) when it was finalized before; the same figures again change nothing."""
    role = SUPERVISOR if SUPERVISOR in actor.roles else SYSTEM if SYSTEM in actor.roles else None
    if role is None:
        raise Forbidden("只有负责人可以将年度报告定稿")
    moment = now or current_moment()
    if year >= moment.date().year:
        raise RuleViolation(
            f"{year}年尚未结束，该年度报告自{year + 1}年1月1日起才能定稿", code="year_not_ended"
        )
    reason = reason.strip()
    if len(reason) > 4000:
        raise FactsError([("reason", "理由不超过4000字")])
    assert agency.id is not None
    begin_write(session)
    try:
        report = annual_report(session, agency, year, subtree=subtree)
        failed = [c for c in report.checks if c["kind"] == "balance"]
        if failed:
            columns = "、".join(c["column_name"] for c in failed)
            raise RuleViolation(
                f"报告核对“一 + 二 = 三(七) + 四”在{columns}栏不平衡；请先更正核对结果中列出的申请，再定稿",
                code="report_unbalanced",
            )
        figures = report.figures()
        digest = figures_hash(agency.code, year, subtree, figures)
        previous = current_lock(session, agency.id, year, subtree)
        if previous is not None:
            if previous.sha256 == digest:
                raise RuleViolation(
                    f"{year}年度报告已按相同数据定稿（第{previous.version}版，"
                    f"{previous.finalized_at:%Y年%m月%d日 %H:%M}由 {previous.finalized_by} 定稿）",
                    code="report_already_finalized",
                )
            if not reason:
                raise RuleViolation(
                    f"{year}年度报告此前已经定稿（第{previous.version}版），修订须写明理由",
                    code="revision_reason_missing",
                )
        lock = ReportLock(
            agency_id=agency.id,
            year=year,
            subtree=subtree,
            version=previous.version + 1 if previous else 1,
            figures=figures,
            sha256=digest,
            previous_sha256=previous.sha256 if previous else "",
            reason=reason,
            finalized_by=actor.username,
            finalized_role=role,
            finalized_at=moment,
        )
        session.add(lock)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RuleViolation(
            "该报告刚刚已由他人定稿，请刷新后查看", code="report_finalized_concurrently"
        ) from None
    except BaseException:
        session.rollback()
        raise
    return lock


def lock_json(lock: ReportLock) -> dict[str, Any]:
    return {
        "version": lock.version,
        "sha256": lock.sha256,
        "previous_sha256": lock.previous_sha256 or None,
        "finalized_at": lock.finalized_at.isoformat(),
        "finalized_by": lock.finalized_by,
        "reason": lock.reason,
    }


def compare(lock: ReportLock, report: AnnualReport) -> list[dict[str, Any]]:
    """The cells whose figure differs from the finalized one."""
    changes = []
    current = report.figures()
    for table in ("table3", "table4"):
        kept: dict[str, dict[str, int]] = lock.figures.get(table, {})
        now_: dict[str, dict[str, int]] = current[table]
        for row in dict.fromkeys([*kept, *now_]):
            for column in dict.fromkeys([*kept.get(row, {}), *now_.get(row, {})]):
                before = kept.get(row, {}).get(column, 0)
                after = now_.get(row, {}).get(column, 0)
                if before != after:
                    changes.append(
                        {"table": table, "row": row, "column": column, "finalized": before, "current": after}
                    )
    return changes


def status(session: Session, agency: Agency, report: AnnualReport) -> dict[str, Any] | None:
    """The report's finalization, compared with the figures now (None: never finalized)."""
    assert agency.id is not None
    lock = current_lock(session, agency.id, report.year, report.subtree)
    if lock is None:
        return None
    changes = compare(lock, report)
    return {
        **lock_json(lock),
        "intact": figures_hash(agency.code, report.year, report.subtree, lock.figures) == lock.sha256,
        "current_sha256": figures_hash(agency.code, report.year, report.subtree, report.figures()),
        "changed": bool(changes),
        "changes": changes,
    }


def report_json(session: Session, agency: Agency, report: AnnualReport) -> dict[str, Any]:
    """The report's JSON (INTERFACES.md) with its finalization status (``finalized``: null if none)."""
    return {**report.to_json(), "finalized": status(session, agency, report)}


def finalized_report(lock: ReportLock, agency: Agency) -> AnnualReport:
    """The report exactly as finalized (its figures as kept; no checks)."""
    return AnnualReport(
        lock.year, agency.code, agency.name, lock.subtree, lock.figures["table3"], lock.figures["table4"]
    )


# --- the dashboard's flags ---------------------------------------------------------------------

_seen: dict[tuple[str, int], tuple[float, tuple[Any, ...], int]] = {}
_seen_lock = threading.Lock()


def _fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes through caseflow move one of these (all answered from indexes)."""
    request = session.execute(sa_select(func.max(col(Case.updated_at)), func.max(col(Case.id)))).one()
    remedy = session.execute(sa_select(func.max(col(RemedyRecord.id)))).scalar()
    return (*request, remedy)


def changed_locks(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The finalized reports within the actor's agencies whose figures have changed since."""
    agencies = {
        a.id: a for a in session.exec(select(Agency).where(col(Agency.path).startswith(actor.agency_path)))
    }
    if not agencies:
        return []
    latest: dict[tuple[int, int, bool], ReportLock] = {}
    for lock in session.exec(
        select(ReportLock)
        .where(col(ReportLock.agency_id).in_(list(agencies)))
        .order_by(col(ReportLock.version))
    ):
        latest[(lock.agency_id, lock.year, lock.subtree)] = lock
    if not latest:
        return []
    url = str(session.get_bind().engine.url)
    fingerprint = _fingerprint(session)
    flagged = []
    for (agency_id, year, subtree), lock in sorted(
        latest.items(), key=lambda item: (-item[0][1], item[0][0])
    ):
        assert lock.id is not None
        key = (url, lock.id)
        with _seen_lock:
            cached = _seen.get(key)
        if cached and cached[1] == fingerprint and time.monotonic() - cached[0] < DASHBOARD_RECHECK_SECONDS:
            changed = cached[2]
        else:
            report = annual_report(session, agencies[agency_id], year, subtree=subtree)
            changed = len(compare(lock, report))
            with _seen_lock:
                _seen[key] = (time.monotonic(), fingerprint, changed)
        if changed:
            agency = agencies[agency_id]
            flagged.append(
                {
                    "agency": agency.code,
                    "agency_name": agency.name,
                    "year": year,
                    "subtree": subtree,
                    "version": lock.version,
                    "finalized_at": lock.finalized_at.isoformat(),
                    "changed_cells": changed,
                }
            )
    return flagged
