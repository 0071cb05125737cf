"""The lapse sweep.

Every period here runs from the day after its recipient received the notice, so only a recorded
delivery (``caseflow.cases.delivery``) gives it an end; before that the request waits, however long.

A supplement period or a fee-payment period that has ended does not close the request: 逾期不补正
needs 无正当理由 (Art. 30), a human judgement, and a letter may still be in the post. The sweep
proposes the lapse (``propose_lapse``: "补正期限已过，待确认", with a notification to the handler) and
the clerk confirms it (``lapse_supplement`` / ``lapse_fee``) or keeps waiting (``keep_waiting``, until a
date: the sweep does not propose again before it). A consultation window that has ended without an
opinion resumes the clock by itself (it decides nothing against anyone). Each is a transition by
the system actor through the same service as any other, in its own transaction, so one bad request
never stops the sweep, and a request that has been handled is no longer selected: running the sweep
twice does nothing more.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, cast

from sqlalchemy import Engine, Select, or_, select
from sqlmodel import Session, col

from caseflow import law, service
from caseflow.dates import SHANGHAI, legal_date
from caseflow.models import Case, Consultation, FeeAssessment
from caseflow.scheduled.runs import JobResult, skipped
from caseflow.states.machine import State

log = logging.getLogger("caseflow.scheduled")


def _not_proposed(kind: law.LapseKind, today: dt.date) -> Any:
    """Not proposed already, and not waiting by the clerk's decision (until a date before today)."""
    return (
        col(Case.lapse_proposed).is_(None),
        or_(
            col(Case.lapse_waiting).is_(None),
            col(Case.lapse_waiting) != kind.value,
            col(Case.lapse_wait_until) < today,
        ),
    )


#: Sweep entry -> (action, facts).
SWEEP_ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "propose_lapse:supplement": ("propose_lapse", {"kind": law.LapseKind.SUPPLEMENT.value}),
    "propose_lapse:fee": ("propose_lapse", {"kind": law.LapseKind.FEE.value}),
    "lapse_consultation": ("lapse_consultation", {}),
}


def lapse_queries(today: dt.date) -> dict[str, Select[Any]]:
    """Per sweep entry (``SWEEP_ACTIONS``), the requests whose period ended before ``today`` (index
    ranges on ``request`` by state and date, or by state joined to the few pending fees and
    consultations). A period whose notice is not delivered has no end (NULL) and is never selected."""
    return {
        "propose_lapse:supplement": select(col(Case.id)).where(
            col(Case.state) == State.SUPPLEMENT_REQUIRED.value,
            col(Case.supplement_due) < today,
            *_not_proposed(law.LapseKind.SUPPLEMENT, today),
        ),
        "propose_lapse:fee": select(col(Case.id))
        .join(FeeAssessment, col(FeeAssessment.case_id) == col(Case.id))
        .where(
            col(Case.state) == State.FEE_PENDING.value,
            col(FeeAssessment.status) == "pending",
            col(FeeAssessment.pay_by) < today,
            *_not_proposed(law.LapseKind.FEE, today),
        ),
        # One row per consultation whose window ended (several may be open at once): its id is named.
        "lapse_consultation": cast(
            "Select[Any]",
            select(col(Case.id), col(Consultation.id))
            .join(Consultation, col(Consultation.case_id) == col(Case.id))
            .where(
                col(Case.state) == State.CONSULTATION.value,
                col(Consultation.opinion_date).is_(None),
                col(Consultation.window_end) < today,
            ),
        ),
    }


def _due(session: Session, today: dt.date) -> list[tuple[int, str, int]]:
    """(request id, sweep entry, consultation id or 0) for every period that ended before ``today``."""
    found = {
        (int(row[0]), action, int(row[1]) if len(row) > 1 else 0)
        for action, query in lapse_queries(today).items()
        for row in session.execute(query).all()
    }
    return sorted(found)


def sweep_lapses(engine: Engine, now: dt.datetime) -> JobResult:
    """Apply every lapse that is due as of ``now`` (an aware moment)."""
    moment = now.astimezone(SHANGHAI)
    report = JobResult()
    with Session(engine) as session:
        due = _due(session, legal_date(moment))
    for case_id, entry, consultation_id in due:
        action, facts = SWEEP_ACTIONS[entry]
        if consultation_id:
            facts = {**facts, "consultation_id": consultation_id}
        with Session(engine, expire_on_commit=False) as session:
            try:
                case = service.perform(
                    session=session,
                    case_id=case_id,
                    actor=service.SYSTEM_ACTOR,
                    action=action,
                    facts=facts,
                    now=moment,
                )
                report.done.append(f"{case.tracking_no} {entry}")
            except Exception as exc:  # any request's fault: logged, skipped, retried on the next run
                report.failed.append(skipped(session, case_id, action, exc))
    return report
