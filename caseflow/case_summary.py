"""A request as the lists show it: one row of a list, and the head of a request's full view."""

from __future__ import annotations

import datetime as dt
from typing import Any

from caseflow import law
from caseflow.calendar import WorkingCalendar
from caseflow.models import Agency, Applicant, Case
from caseflow.states.machine import OPEN_STATES, STATE_NAMES, State


def summary(
    case: Case, applicant: Applicant, agency: Agency, *, today: dt.date, calendar: WorkingCalendar
) -> dict[str, Any]:
    """A request as a list shows it (identity masked)."""
    left = None
    if case.reply_due is not None and case.state in {s.value for s in OPEN_STATES}:
        left = calendar.working_days_between(today, case.reply_due)
        if today > case.reply_due:
            left = min(left, -1)
    return {
        "id": case.id,
        "tracking_no": case.tracking_no,
        "state": case.state,
        "state_name": STATE_NAMES[State(case.state)],
        "agency": agency.code,
        "agency_name": agency.name,
        "applicant": applicant.name,
        "applicant_type": applicant.type,
        "applicant_id_number": applicant.id_number_masked,
        "description": case.description,
        # A disclosure request or a correction request (Art. 41).
        "kind": case.kind,
        "kind_name": law.REQUEST_KIND_NAMES[law.RequestKind(case.kind)],
        "channel": case.channel,
        "receipt_date": case.receipt_date.isoformat(),
        "reply_due": case.reply_due.isoformat() if case.reply_due else None,
        "supplement_notice_due": case.supplement_notice_due.isoformat()
        if case.supplement_notice_due
        else None,
        "paused": case.paused,
        "pause_reason": case.pause_reason,
        "provisional": case.provisional,
        # still being handled (the lists show its working days left, or that its clock is stopped)
        "open": case.state in {s.value for s in OPEN_STATES},
        "working_days_left": left,
        "outcome": case.outcome,
        "outcome_name": law.OUTCOMES_BY_CODE[case.outcome].name if case.outcome else None,
        "complex": case.complex,
        "version": case.version,
        "handler_id": case.handler_id,
        # A lapse the sweep proposed and the clerk has to confirm or answer (caseflow.cases.delivery).
        "lapse_proposed": case.lapse_proposed if case.state in {s.value for s in OPEN_STATES} else None,
        "lapse_proposed_name": law.LAPSE_PROPOSED_NAMES[law.LapseKind(case.lapse_proposed)]
        if case.lapse_proposed and case.state in {s.value for s in OPEN_STATES}
        else None,
    }
