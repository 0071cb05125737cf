"""The office's working figures for supervisors, over any period, for an agency (and its subtree):

- requests received, by channel as offices report them (当面, 网络, 信函, 传真, 其他);
- replies issued, on time (within the original period), on time after an extension, late;
- working days from receipt to reply (average and 90th percentile, and their distribution): the
  working days d with receipt < d <= reply, by the working-day calendar, pauses included (the
  statutory clock leaves pauses out; this figure is what the applicant waited);
- requests open now, by working days left, by handler and by agency (the dashboard's own counts).

All counts are SQL aggregations; the working days are computed from the distinct (receipt, reply)
date pairs the database returns, through the calendar's prefix table.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import and_, case, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from caseflow import law, queries
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.cases.engine import Actor
from caseflow.models import Agency, Case
from caseflow.reports.scope import agency_condition
from caseflow.states.machine import AUDITOR, CLERK

#: The distribution of working days to reply: (label, upper bound inclusive; None: no bound).
DAY_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-5", 5),
    ("6-10", 10),
    ("11-15", 15),
    ("16-20", 20),
    ("21-30", 30),
    ("31-40", 40),
    (">40", None),
)
CHANNEL_COLUMNS: dict[str, str] = {c.value: column for c, column in law.CHANNEL_REPORT_COLUMN.items()}
REPLY_KINDS = {"on_time": "按时答复", "extended": "延期后按时答复", "late": "逾期答复"}


def _sum(condition: Any) -> Any:
    return func.sum(case((condition, literal_column("1")), else_=literal_column("0")))


def percentile(pairs: list[tuple[int, int]], share: float) -> int | None:
    """Nearest-rank percentile of a weighted sample [(value, weight)], None when empty."""
    total = sum(w for _, w in pairs)
    if not total:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value, weight in sorted(pairs):
        seen += weight
        if seen >= rank:
            return value
    return sorted(pairs)[-1][0]


def office_figures(
    session: Session,
    agency: Agency,
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    subtree: bool = True,
    calendar: WorkingCalendar | None = None,
) -> dict[str, Any]:
    cal = calendar or default_calendar()
    scope = agency_condition(agency, subtree)

    channels = dict.fromkeys(law.REPORT_CHANNEL_COLUMNS, 0)
    for channel, n in session.execute(
        sa_select(col(Case.channel), func.count())
        .where(scope, col(Case.receipt_date).between(start, end))
        .group_by(col(Case.channel))
    ):
        channels[CHANNEL_COLUMNS.get(channel, "其他")] += int(n)

    answered = col(Case.answered_on)
    due = col(Case.reply_due)
    # One pass over the replies of the period, grouped by (receipt, reply) dates: the kinds of reply
    # are summed per group, the working days are counted once per distinct pair of dates.
    replies = {"on_time": 0, "extended": 0, "late": 0}
    undated = 0
    waited: dict[int, int] = {}
    for received, replied, n, on_time, extended, late, no_due in session.execute(
        sa_select(
            col(Case.receipt_date),
            answered,
            func.count(),
            _sum(and_(answered <= due, col(Case.extended).is_(False))),
            _sum(and_(answered <= due, col(Case.extended).is_(True))),
            _sum(answered > due),
            _sum(due.is_(None)),
        )
        .where(scope, answered.between(start, end))
        .group_by(answered, col(Case.receipt_date))
    ):
        replies["on_time"] += int(on_time or 0)
        replies["extended"] += int(extended or 0)
        replies["late"] += int(late or 0)
        undated += int(no_due or 0)
        days = max(cal.working_days_between(received, replied), 0)
        waited[days] = waited.get(days, 0) + int(n)
    count = sum(waited.values())
    buckets = dict.fromkeys((label for label, _ in DAY_BUCKETS), 0)
    for days, n in waited.items():
        label = next(lbl for lbl, upper in DAY_BUCKETS if upper is None or days <= upper)
        buckets[label] += n

    # Open now: the dashboard's counts, for this agency (and subtree) instead of the caller's.
    viewer = Actor(
        f"report:{agency.code}", frozenset({AUDITOR if subtree else CLERK}), agency.id, agency.path
    )
    board = queries.dashboard(session, viewer, today=today, calendar=cal)
    received_total = sum(channels.values())
    return {
        "agency": agency.code,
        "agency_name": agency.name,
        "subtree": subtree,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "as_of": today.isoformat(),
        "received": received_total,
        "by_channel": channels,
        "replies": {**replies, "total": sum(replies.values()), "without_deadline": undated},
        "working_days_to_reply": {
            "count": count,
            "average": round(sum(d * n for d, n in waited.items()) / count, 1) if count else None,
            "p90": percentile(list(waited.items()), 0.9),
            "max": max(waited) if waited else None,
            "distribution": buckets,
        },
        "open": {
            "total": board["open"],
            "overdue": board["overdue"],
            "by_working_days_left": board["by_working_days_left"],
            "by_handler": board["by_handler"],
            "by_agency": board["by_agency"],
        },
    }
