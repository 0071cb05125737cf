"""What the handlers of several stages share: a clock event for the ledger, the date of the latest
one of a kind, and closing a request with an outcome."""

from __future__ import annotations

import datetime as dt

from caseflow import law
from caseflow.cases.engine import Ctx


def clock_event(kind: str, date: dt.date, **extra: object) -> dict[str, object]:
    return {"type": kind, "date": date.isoformat(), **{k: v for k, v in extra.items() if v is not None}}


def ledger_date(ctx: Ctx, kind: str) -> dt.date:
    """The date of the latest clock event of this kind on the request's ledger."""
    return dt.date.fromisoformat(next(e["date"] for e in reversed(ctx.case.ledger) if e["type"] == kind))


def conclude(ctx: Ctx, outcome_code: str) -> None:
    ctx.case.outcome = law.outcome(outcome_code).code
    ctx.case.closed_on = ctx.today
