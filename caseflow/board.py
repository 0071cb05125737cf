"""The supervisor dashboard's figures, from one pass over an index.

Every figure counts open requests in the actor's agencies: overdue, due soon, waiting, by state,
by handler, by agency, and by working days left. One grouped query reads the partial index
``ix_request_open_board`` (open requests only: agency, state, handler, reply deadline, paused,
proposed lapse; migration 0022) in its own order, so the database neither reads the table nor
sorts; the figures are sums of its groups. The query names the index's condition literally
(``OPEN_SQL``): a partial index serves only a query that states the same condition.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.cases.actor import Actor
from caseflow.models import Agency, Case, User
from caseflow.states.machine import OPEN_STATES, State
from caseflow.visibility import visible_agencies

#: The open states as the index's condition names them (migration 0022; the same words, same order).
OPEN_SQL = (
    "request.state IN ('received', 'supplement-required', 'consultation', 'fee-pending', 'extended', "
    "'legal-review', 'ready-to-issue')"
)
assert {s.value for s in OPEN_STATES} == set(OPEN_SQL.split("(")[1].rstrip(")").replace("'", "").split(", "))

#: The columns of ``ix_request_open_board``, grouped in its order.
_GROUPS = (
    col(Case.agency_id),
    col(Case.state),
    col(Case.handler_id),
    col(Case.reply_due),
    col(Case.paused),
    col(Case.lapse_proposed),
)
_BUCKETS = ("overdue", "0-3", "4-10", "11-20", ">20")
_WAITING_APPLICANT = {State.SUPPLEMENT_REQUIRED.value, State.FEE_PENDING.value}


def dashboard(
    session: Session, actor: Actor, *, today: dt.date, calendar: WorkingCalendar | None = None
) -> dict[str, Any]:
    """Counts for supervisors: overdue, due soon (3 working days), waiting, by state, handler and
    agency, and open requests by working days left (each bucket a date range)."""
    cal = calendar or default_calendar()
    limits = [cal.add_working_days(today, n) for n in (3, 10, 20)]

    def bucket(due: dt.date) -> str:
        if due < today:
            return "overdue"
        return next((name for name, end in zip(_BUCKETS[1:], limits, strict=False) if due <= end), ">20")

    stmt = (
        sa_select(*_GROUPS, func.count())
        .where(visible_agencies(session, actor), text(OPEN_SQL))
        .group_by(*_GROUPS)
    )
    by_state: Counter[str] = Counter()
    by_handler_id: Counter[int | None] = Counter()
    by_agency_id: Counter[int] = Counter()
    buckets: Counter[str] = Counter()
    paused = lapse_proposed = 0
    for agency_id, state, handler_id, due, is_paused, lapse, n in session.execute(stmt):
        by_state[state] += n
        by_handler_id[handler_id] += n
        by_agency_id[agency_id] += n
        if due is not None:
            buckets[bucket(due)] += n
        paused += n if is_paused else 0
        lapse_proposed += n if lapse is not None else 0
    users = _names(session, User, [i for i in by_handler_id if i is not None])
    agencies = _names(session, Agency, list(by_agency_id))

    def person(i: int | None) -> tuple[str | None, str | None]:
        return users[i] if i is not None else (None, None)

    # Most requests first; equal counts by name (the unassigned first).
    counted = sorted(by_handler_id.items(), key=lambda item: (-item[1], person(item[0])[1] or ""))
    handlers = [
        {"username": person(i)[0], "name": person(i)[1] or person(i)[0] or "未分配", "count": n}
        for i, n in counted
    ]
    agency_rows = [
        {"code": agencies[i][0], "name": agencies[i][1], "count": n}
        for i, n in sorted(by_agency_id.items(), key=lambda item: (-item[1], agencies[item[0]][1] or ""))
    ]
    overdue = buckets["overdue"]
    return {
        "as_of": today.isoformat(),
        "overdue": overdue,
        "due_soon": buckets["0-3"],
        "waiting_applicant": sum(by_state[s] for s in _WAITING_APPLICANT),
        "waiting_third_party": by_state[State.CONSULTATION.value],
        "awaiting_review": by_state[State.LEGAL_REVIEW.value],
        # "补正期限已过，待确认" / "缴费期限已过，待确认": the clerk confirms or keeps waiting
        "lapse_proposed": lapse_proposed,
        "open": sum(by_state.values()),
        # Open requests only: the history by outcome is the statistics' business (reports).
        "by_state": dict(by_state),
        "by_handler": {person(i)[0] or "—": n for i, n in by_handler_id.items()},
        "by_agency": {agencies[i][0]: n for i, n in by_agency_id.items()},
        # The same, by the names people know (the pages show these; the keys above stay for the API).
        "handlers": handlers,
        "agencies": agency_rows,
        # open requests whose clock is stopped (no running deadline: not in by_working_days_left)
        "paused": paused,
        "by_working_days_left": {name: buckets[name] for name in _BUCKETS},
    }


def _names(session: Session, model: Any, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """(username or code, display name or name) of the few users or agencies counted."""
    if not ids:
        return {}
    if model is User:
        rows = session.execute(
            sa_select(col(User.id), col(User.username), col(User.display_name)).where(col(User.id).in_(ids))
        )
    else:
        rows = session.execute(
            sa_select(col(Agency.id), col(Agency.code), col(Agency.name)).where(col(Agency.id).in_(ids))
        )
    return {int(i): (str(a), b) for i, a, b in rows}
