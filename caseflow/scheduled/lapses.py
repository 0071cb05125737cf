"""The lapse sweep.

A supplement period or a fee-payment period that has ended closes the request (deemed abandoned,
``other.no_supplement`` / ``other.fee_unpaid``); a consultation window that has ended without an
opinion resumes the clock. Each is a transition by the system actor through the same service as
any other, in its own transaction, so one bad request never stops the sweep, and a request that
has been handled is no longer selected: running the sweep twice does nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlmodel import Session, col

from caseflow import service
from caseflow.dates import SHANGHAI, legal_date
from caseflow.models import Case, Consultation, FeeAssessment
from caseflow.scheduled.runs import JobResult, skipped
from caseflow.states.machine import State

log = logging.getLogger("caseflow.scheduled")


def lapse_queries(today: dt.date) -> dict[str, Select[Any]]:
    """Per lapse action, the requests whose period ended before ``today`` (index ranges on
    ``request`` by state and date, or by state joined to the few pending fees and consultations)."""
    return {
        "lapse_supplement": select(col(Case.id)).where(
            col(Case.state) == State.SUPPLEMENT_REQUIRED.value, col(Case.supplement_due) < today
        ),
        "lapse_fee": select(col(Case.id))
        .join(FeeAssessment, col(FeeAssessment.case_id) == col(Case.id))
        .where(
            col(Case.state) == State.FEE_PENDING.value,
            col(FeeAssessment.status) == "pending",
            col(FeeAssessment.pay_by) < today,
        ),
        "lapse_consultation": select(col(Case.id))
        .join(Consultation, col(Consultation.case_id) == col(Case.id))
        .where(
            col(Case.state) == State.CONSULTATION.value,
            col(Consultation.opinion_date).is_(None),
            col(Consultation.window_end) < today,
        ),
    }


def _due(session: Session, today: dt.date) -> list[tuple[int, str]]:
    """(request id, lapse action) for every period that ended before ``today``."""
    found = {
        (int(case_id), action)
        for action, query in lapse_queries(today).items()
        for case_id in session.execute(query).scalars()
    }
    return sorted(found)


def sweep_lapses(engine: Engine, now: dt.datetime) -> JobResult:
    """Apply every lapse that is due as of ``now`` (an aware moment)."""
    moment = now.astimezone(SHANGHAI)
    report = JobResult()
    with Session(engine) as session:
        due = _due(session, legal_date(moment))
    for case_id, action in due:
        with Session(engine, expire_on_commit=False) as session:
            try:
                case = service.perform(
                    session=session, case_id=case_id, actor=service.SYSTEM_ACTOR, action=action, now=moment
                )
                report.done.append(f"{case.tracking_no} {action}")
            except Exception as exc:  # any request's fault: logged, skipped, retried on the next run
                report.failed.append(skipped(session, case_id, action, exc))
    return report
