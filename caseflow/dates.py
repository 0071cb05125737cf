"""Legal dates and moments: the Asia/Shanghai time zone and Chinese date formatting."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def now() -> dt.datetime:
    """The current moment, timezone-aware, in Asia/Shanghai."""
    return dt.datetime.now(SHANGHAI)


def today() -> dt.date:
    """Today's legal date in Asia/Shanghai."""
    return now().date()


def legal_date(moment: dt.datetime) -> dt.date:
    """The legal date of an aware moment (its calendar day in Asia/Shanghai)."""
    if moment.tzinfo is None:
        raise ValueError("a moment must be timezone-aware")
    return moment.astimezone(SHANGHAI).date()


@cache
def zh(d: dt.date) -> str:
    """2026年11月21日 (memoised: explanations format the same few thousand dates again and again)"""
    return f"{d.year}年{d.month}月{d.day}日"


@cache
def iso(d: dt.date) -> str:
    """2026-11-21 (memoised like ``zh``)"""
    return d.isoformat()


def zh_moment(value: dt.datetime | str | None) -> str:
    """2026年11月28日 20:11: a moment as the pages show it, in Asia/Shanghai (an aware datetime, or
    one written in ISO 8601 with its offset, as evidence events and job records keep them). A moment
    without a zone is taken as UTC (how SQLite hands back a stored moment)."""
    if value is None or value == "":
        return "—"
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def zh_weekday(d: dt.date) -> str:
    """2026年11月21日（星期六）"""
    return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS_ZH[d.weekday()]}）"


def parse_date(text: object, field: str = "date") -> dt.date:
    """An ISO date (YYYY-MM-DD) or a clear error naming the field."""
    if not isinstance(text, str):
        raise ValueError(f"{field}: expected a date as 'YYYY-MM-DD', got {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{field}: {text!r} is not a valid date (YYYY-MM-DD)") from None
