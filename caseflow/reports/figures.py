"""The office's working figures for supervisors, over any period, for an agency (and its subtree):

- requests received, by channel as offices report them (当面, 网络, 信函, 传真, 其他);
- replies issued, on time (within the original period), on time after an extension, late;
- working days from receipt to reply (average and 90th percentile, and their distribution): the
  working days d with receipt < d <= reply, by the working-day calendar, pauses included (the
  statutory clock leaves pauses out; this figure is what the applicant waited);
- requests open now, by working days left, by handler and by agency (the dashboard's own counts);
- the figures published reports carry beside tables 三 and 四 (``published_figures``): supplement
  notices sent, replies under Art. 36(4) (information does not exist) and 36(5) (another agency is
  responsible) apart (table 三 counts both in 三(四)1), fees collected and fees reduced (count and yuan),
  and the records released with replies (Art. 36(2), 37): their pages, and the pages redacted by
  withholding ground (``release_figures``).

All counts are SQL aggregations; the working days are computed from the distinct (receipt, reply)
date pairs the database returns, through the calendar's prefix table.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from caseflow import law, queries
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.cases import correction
from caseflow.cases.actor import Actor
from caseflow.models import Agency, Case, FeeAssessment, Letter, ReleaseRecord
from caseflow.reports.scope import agency_condition
from caseflow.states.roles import AUDITOR, CLERK

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


def published_figures(
    session: Session, scope: ColumnElement[bool], start: dt.date, end: dt.date
) -> dict[str, Any]:
    """The figures published annual reports state in words beside tables 三 and 四, over a period:

    - ``supplement_notices``: supplement notices (补正申请告知书, Art. 30) issued in it;
    - ``unable_not_held`` / ``unable_not_ours``: replies issued in it that the information does not
      exist (Art. 36(4)) / that another agency is responsible for it (Art. 36(5));
    - ``fees_charged``: fees collected (paid in it, amount above nothing): count and yuan;
    - ``fees_reduced``: fees reduced (notices issued in it with a reduction): count and yuan reduced.
    """
    notices = session.execute(
        sa_select(func.count())
        .select_from(Letter)
        .join(Case, col(Case.id) == col(Letter.case_id))
        .where(
            scope,
            col(Letter.doc_type) == literal_column("'supplement_notice'"),
            col(Letter.issued_on).between(start, end),
        )
    ).scalar_one()
    answered = col(Case.answered_on)
    not_held, not_ours = session.execute(
        sa_select(
            _sum(col(Case.outcome) == literal_column("'unable.not_held'")),
            _sum(col(Case.outcome) == literal_column("'unable.not_ours'")),
        ).where(scope, answered.between(start, end))
    ).one()
    paid = col(FeeAssessment.paid_on)
    charged_n, charged_yuan = session.execute(
        sa_select(func.count(), func.coalesce(func.sum(col(FeeAssessment.amount_yuan)), 0))
        .select_from(FeeAssessment)
        .join(Case, col(Case.id) == col(FeeAssessment.case_id))
        .where(
            scope,
            col(FeeAssessment.status) == literal_column("'paid'"),
            paid.between(start, end),
            col(FeeAssessment.amount_yuan) > 0,
        )
    ).one()
    reduced_n, reduced_yuan = session.execute(
        sa_select(func.count(), func.coalesce(func.sum(col(FeeAssessment.reduction_yuan)), 0))
        .select_from(FeeAssessment)
        .join(Case, col(Case.id) == col(FeeAssessment.case_id))
        .where(
            scope, col(FeeAssessment.reduction_yuan) > 0, col(FeeAssessment.notice_date).between(start, end)
        )
    ).one()
    return {
        "supplement_notices": int(notices or 0),
        "unable_not_held": int(not_held or 0),
        "unable_not_ours": int(not_ours or 0),
        "fees_charged": {"count": int(charged_n or 0), "yuan": int(charged_yuan or 0)},
        "fees_reduced": {"count": int(reduced_n or 0), "yuan": int(reduced_yuan or 0)},
        **release_figures(session, scope, start, end),
    }


def release_figures(
    session: Session, scope: ColumnElement[bool], start: dt.date, end: dt.date
) -> dict[str, Any]:
    """The records released with the replies issued in a period (``caseflow.release``; a record is
    released by its reply, ``issued_seq``, and counted in the year of that reply):

    - ``pages_released``: their pages;
    - ``pages_redacted``: per withholding ground (``law.REDACTION_LABELS``), the pages carrying at
      least one box of that ground (a page with boxes of two grounds counts under each)."""
    released = 0
    by_ground = dict.fromkeys(law.REDACTION_LABELS, 0)
    rows = session.execute(
        sa_select(col(ReleaseRecord.pages), col(ReleaseRecord.boxes))
        .join(Case, col(Case.id) == col(ReleaseRecord.case_id))
        .where(scope, col(ReleaseRecord.issued_seq).is_not(None), col(Case.answered_on).between(start, end))
    )
    for pages, boxes in rows:
        released += int(pages or 0)
        grounds: dict[str, set[int]] = {}
        for box in boxes or []:
            grounds.setdefault(str(box.get("ground")), set()).add(int(box.get("page") or 0))
        for ground, on in grounds.items():
            by_ground[ground] = by_ground.get(ground, 0) + len(on)
    return {"pages_released": released, "pages_redacted": by_ground}


#: How the published figures read (pages, the HTML report, the xlsx 说明 sheet).
PUBLISHED_LABELS: dict[str, str] = {
    "supplement_notices": "发出补正申请告知书（份）",
    "unable_not_held": "经检索政府信息不存在（第三十六条第四项，件）",
    "unable_not_ours": "不属于本机关负责公开（第三十六条第五项，件）",
    "fees_charged": "收取信息处理费",
    "fees_reduced": "减免信息处理费",
    "pages_released": "随答复提供的政府信息（页）",
    "pages_redacted": "区分处理遮盖的页数（第三十七条，按不予公开的理由）",
}


def published_lines(published: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, figure) lines of the published figures, in words; a figure the dict does not hold
    (figures computed before it existed) is left out."""
    lines: list[tuple[str, str]] = []
    for key, label in PUBLISHED_LABELS.items():
        if key not in published:
            continue
        value = published[key]
        if key == "pages_redacted":
            parts = [f"{law.REDACTION_LABELS.get(g, g)} {n}页" for g, n in value.items() if n]
            lines.append((label, "；".join(parts) or "0"))
            continue
        text = f"{value['count']}件，{value['yuan']}元" if isinstance(value, dict) else str(value)
        lines.append((label, text))
    return lines


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
    scope = and_(agency_condition(agency, subtree), correction.report_condition())  # as table 三

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
    published = published_figures(session, scope, start, end)
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
        "published": published,
        "open": {
            "total": board["open"],
            "overdue": board["overdue"],
            "by_working_days_left": board["by_working_days_left"],
            "by_handler": board["by_handler"],
            "by_agency": board["by_agency"],
        },
    }
