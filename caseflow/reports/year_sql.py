"""A year's conditions in SQL, shared by the counting of the annual report and its checks: the year's
bounds, a request's conclusion date, the requests a year counts, and those dated across its boundary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_
from sqlmodel import col

from caseflow import law
from caseflow.models import Case
from caseflow.states.machine import OPEN_STATES

TYPED_COLUMNS: tuple[str, ...] = tuple(t.value for t in law.ApplicantType)
KNOWN_OUTCOMES: tuple[str, ...] = tuple(law.OUTCOMES_BY_CODE)
OPEN = sorted(s.value for s in OPEN_STATES)


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def concluded_on() -> ColumnElement[dt.date]:
    """A request's conclusion date: the reply's issue date, or the day it ended without one."""
    return func.coalesce(col(Case.answered_on), col(Case.closed_on))


#: 1 and 0 written into the SQL: bound as parameters they make SQLite's CASE markedly slower.
ONE: ColumnElement[int] = literal_column("1")
ZERO: ColumnElement[int] = literal_column("0")


def tally(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, ONE), else_=ZERO))


def in_open_state(state: Any) -> ColumnElement[bool]:
    """The state is one of the open states (the names written into the SQL, like ONE and ZERO)."""
    condition: ColumnElement[bool] = state.in_([literal_column(f"'{name}'") for name in OPEN])
    return condition


def relevant_in(start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """The requests a year's table 三 counts anywhere: received in it, concluded in it, or open at
    its start (received before and not concluded before)."""
    concl, received = concluded_on(), col(Case.receipt_date)
    return or_(
        received.between(start, end),
        concl.between(start, end),
        and_(received < start, or_(concl.is_(None), concl >= start)),
    )


def dated_wrong(start: dt.date, end: dt.date) -> ColumnElement[bool]:
    """Concluded before received, across the year's boundary: counted on one side of the check only
    (三 of the year without 一 or 二, or 一 without 三 or 四)."""
    concl, received = concluded_on(), col(Case.receipt_date)
    return or_(
        and_(concl.between(start, end), received > end),
        and_(received.between(start, end), concl < start),
    )
