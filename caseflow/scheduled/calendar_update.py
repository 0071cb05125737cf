"""Calendar updates: when a State Council notice is loaded, provisional deadlines are computed again.

A deadline is provisional when it runs into a year whose schedule is not yet published (the
calendar estimates it). Once the notice is loaded (``caseflow calendar load``, the admin page, or
by another instance: the calendar sees new notice files within seconds), every open request whose
deadline was provisional is recomputed from its own ledger; where a date or the provisional mark
changes, the request gets a ``recalculate_deadline`` evidence event with the old and new dates.
Deadlines that were not provisional are never selected, so they never move. A recomputed request
is no longer provisional (or gives the same answer), so a second run does nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from caseflow import clock, service
from caseflow.calendar import default_calendar
from caseflow.dates import SHANGHAI
from caseflow.models import Case
from caseflow.scheduled.runs import JobResult, skipped
from caseflow.states.machine import OPEN_STATES


def _changed(received: dt.date, ledger: list[dict[str, object]], current: tuple[object, ...]) -> bool:
    deadline = clock.compute(
        clock.Timeline.from_json({"received": received.isoformat(), "events": ledger}), default_calendar()
    )
    return (deadline.reply_due, deadline.supplement_notice_due, deadline.provisional) != current


def recompute_provisional(engine: Engine, now: dt.datetime) -> JobResult:
    """Record a new deadline for every open provisional request the calendar now answers differently."""
    moment = now.astimezone(SHANGHAI)
    result = JobResult()
    with Session(engine) as session:
        rows = session.execute(
            select(
                col(Case.id),
                col(Case.receipt_date),
                col(Case.ledger),
                col(Case.reply_due),
                col(Case.supplement_notice_due),
                col(Case.provisional),
            )
            .where(col(Case.provisional), col(Case.state).in_([s.value for s in OPEN_STATES]))
            .order_by(col(Case.id))
        ).all()
    for case_id, received, ledger, reply_due, notice_due, provisional in rows:
        with Session(engine, expire_on_commit=False) as session:
            try:
                if not _changed(received, ledger, (reply_due, notice_due, provisional)):
                    continue
                case = service.perform(
                    session=session,
                    case_id=case_id,
                    actor=service.SYSTEM_ACTOR,
                    action="recalculate_deadline",
                    now=moment,
                )
                result.done.append(
                    f"{case.tracking_no} recalculate_deadline {reply_due or '—'} -> {case.reply_due or '—'}"
                )
            except Exception as exc:  # logged, skipped, retried on the next run
                result.failed.append(skipped(session, case_id, "recalculate_deadline", exc))
    return result
