"""The working-day table (工作日) for mainland China: is a day a working day, the N-th working day
after a date, the working days between two dates, and what the calendar knows of each year.

A working day is Monday to Friday, minus the public-holiday days of the State Council's yearly
notice (放假安排通知), plus the weekend days that notice declares working days (调休上班).

Sources, in order of precedence for a year:
1. a State Council notice loaded as a data file (shipped in ``caseflow/data/calendar/`` or loaded
   by an admin into ``$CASEFLOW_DATA_DIR/calendar/``; see ``caseflow.calendar.notices``): official;
2. the ``holidays`` package (``holidays.China``) for the years whose notices it has transcribed
   (listed in its references): official;
3. for any later year, the package's estimate: used, but never presented as fact; every deadline
   that touches such a year is *provisional*.

All answers come from tables built once: ``W[i]``, the number of working days from the table's first
day up to and including day ``i``, and the ordered list of working days. "The N-th working day
after D" is then ``workdays[W[D] + N - 1]``, two list look-ups.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from holidays.countries.china import China

from caseflow.calendar.notices import TABLE_FIRST, TABLE_LAST, CalendarError, Notice


@cache
def library_official_years() -> frozenset[int]:
    """The years whose State Council notice the ``holidays`` package has transcribed.

    The package lists each notice it follows as a reference (``* [2026](https://...gov.cn...)``)
    in the docstring of ``holidays.China``; for later years it only estimates.
    """
    doc = China.__doc__ or ""
    years = {int(y) for y in re.findall(r"^\s*\*\s*\[(\d{4})\]\(", doc, flags=re.MULTILINE)}
    if not years:
        raise CalendarError("无法确定 holidays 软件包（holidays.China）收录了哪些年度的官方放假安排")
    return frozenset(years)


@dataclass(frozen=True, slots=True)
class DayInfo:
    day: dt.date
    working: bool
    name: str


@dataclass(frozen=True, slots=True)
class YearInfo:
    """What the calendar knows of one year and where it comes from."""

    year: int
    source: str  # "notice", "library" or "estimate"
    official: bool
    notice: Notice | None
    holidays: list[DayInfo] = field(default_factory=list)  # weekdays that are rest days
    working_weekends: list[DayInfo] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        if self.notice is not None:
            label = self.notice.title
            return f"{label}（{self.notice.document_no}）" if self.notice.document_no else label
        if self.official:
            return f"国务院办公厅关于{self.year}年部分节假日安排的通知（holidays 数据包）"
        return f"{self.year}年放假安排尚未发布：按 holidays 数据包推定，期限为暂定"


class WorkingCalendar:
    """Working days between ``TABLE_FIRST`` and ``TABLE_LAST`` with O(1) answers."""

    def __init__(
        self, notices: Iterable[Notice] = (), *, first: dt.date = TABLE_FIRST, last: dt.date = TABLE_LAST
    ) -> None:
        self.first = first
        self.last = last
        self.notices: dict[int, Notice] = {}
        for notice in notices:  # a later notice for the same year replaces an earlier one
            self.notices[notice.year] = notice
        years = range(first.year, last.year + 1)
        self._library = China(years=years, language="zh_CN")  # type: ignore[no-untyped-call]
        self.official_years = frozenset(
            y for y in years if y in library_official_years() or y in self.notices
        )
        self._first_ord = first.toordinal()
        ndays = last.toordinal() - self._first_ord + 1
        self._days = [first + dt.timedelta(days=i) for i in range(ndays)]
        working = bytearray(ndays)
        library_workdays = self._library.weekend_workdays
        for i, d in enumerate(self._days):
            working[i] = (d.weekday() < 5 and d not in self._library) or d in library_workdays
        self._names: dict[dt.date, str] = {}
        self._years_labels: dict[tuple[int, int], str] = {}
        for _year, notice in sorted(self.notices.items()):
            self._apply_notice(notice, working)
        self._working = bytes(working)
        prefix = [0] * ndays
        unofficial = [0] * ndays
        workdays: list[dt.date] = []
        count = 0
        uncount = 0
        for i, d in enumerate(self._days):
            if working[i]:
                count += 1
                workdays.append(d)
            if d.year not in self.official_years:
                uncount += 1
            prefix[i] = count
            unofficial[i] = uncount
        self._prefix = prefix
        self._unofficial = unofficial
        self._workdays = workdays

    def _apply_notice(self, notice: Notice, working: bytearray) -> None:
        """A notice replaces the library for its year: weekdays work unless it says otherwise."""
        for i, d in enumerate(self._days):
            if d.year == notice.year:
                working[i] = d.weekday() < 5
        for festival in notice.festivals:
            for d in festival.rest_days():
                if self.first <= d <= self.last:
                    working[self._index(d)] = 0
                    self._names[d] = festival.name
            for d in festival.workdays:
                if self.first <= d <= self.last:
                    working[self._index(d)] = 1
                    self._names[d] = f"{festival.name}调休上班"

    # --- O(1) questions --------------------------------------------------------------------

    def _index(self, d: dt.date) -> int:
        i = d.toordinal() - self._first_ord
        if i < 0 or d > self.last:
            raise CalendarError(
                f"{d.isoformat()} 超出工作日历的范围（{self.first.isoformat()} 至 {self.last.isoformat()}）"
            )
        return i

    def is_working_day(self, d: dt.date) -> bool:
        return bool(self._working[self._index(d)])

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after ``d`` (Civil Code Art. 201: day one is the next)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        k = self._prefix[self._index(d)] + n - 1
        if k >= len(self._workdays):
            raise CalendarError(
                f"{d.isoformat()} 之后第{n}个工作日超出工作日历的范围（止于 {self.last.isoformat()}）"
            )
        return self._workdays[k]

    def add_working_days_many(self, days: Sequence[dt.date], n: int) -> list[dt.date]:
        """``add_working_days`` for many dates at once (the same answers, one pass)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        if not days:
            return []
        self._index(min(days))
        k_max = self._prefix[self._index(max(days))] + n - 1
        if k_max >= len(self._workdays):
            raise CalendarError(
                f"{max(days)} 之后第{n}个工作日超出工作日历的范围（止于 {self.last.isoformat()}）"
            )
        prefix = self._prefix
        workdays = self._workdays
        shift = n - 1
        first_ord = self._first_ord
        return [workdays[prefix[d.toordinal() - first_ord] + shift] for d in days]

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days d with start < d <= end (negative when end is before start)."""
        return self._prefix[self._index(end)] - self._prefix[self._index(start)]

    def is_provisional(self, start: dt.date, end: dt.date) -> bool:
        """Whether any day in (start, end] lies in a year without an official schedule."""
        if end <= start:
            return False
        return self._unofficial[self._index(end)] != self._unofficial[self._index(start)]

    def year_is_official(self, year: int) -> bool:
        return year in self.official_years

    # --- what the calendar shows -----------------------------------------------------------

    def day_name(self, d: dt.date) -> str:
        if d in self._names:
            return self._names[d]
        if d.year not in self.notices:
            name = self._library.get(d)
            if name:
                return str(name)
        return "调休上班" if d.weekday() >= 5 and self.is_working_day(d) else ""

    def year_info(self, year: int) -> YearInfo:
        if not self.first.year <= year <= self.last.year:
            raise CalendarError(f"{year}年超出工作日历的范围（{self.first.year}年至{self.last.year}年）")
        notice = self.notices.get(year)
        official = year in self.official_years
        source = "notice" if notice else ("library" if official else "estimate")
        info = YearInfo(year, source, official, notice)
        start = dt.date(year, 1, 1)
        for i in range((dt.date(year, 12, 31) - start).days + 1):
            d = start + dt.timedelta(days=i)
            working = self.is_working_day(d)
            if d.weekday() < 5 and not working:
                info.holidays.append(DayInfo(d, False, self.day_name(d)))
            elif d.weekday() >= 5 and working:
                info.working_weekends.append(DayInfo(d, True, self.day_name(d)))
        return info

    def years_between(self, start: dt.date, end: dt.date) -> list[YearInfo]:
        """The years a computation from ``start`` to ``end`` used, with their sources."""
        return [self._year_summary(y) for y in range(start.year, end.year + 1)]

    def years_label(self, first_year: int, last_year: int) -> str:
        """ "2026年（官方）、2027年（推定）": the years a computation used and their standing."""
        key = (first_year, last_year)
        label = self._years_labels.get(key)
        if label is None:
            label = "、".join(
                f"{y}年（{'官方' if y in self.official_years else '推定'}）"
                for y in range(first_year, last_year + 1)
            )
            self._years_labels[key] = label
        return label

    def _year_summary(self, year: int) -> YearInfo:
        notice = self.notices.get(year)
        official = year in self.official_years
        source = "notice" if notice else ("library" if official else "estimate")
        return YearInfo(year, source, official, notice)
