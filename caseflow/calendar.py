"""Working days (工作日) for mainland China.

A working day is Monday to Friday, minus the public-holiday days of the State Council's yearly
notice (放假安排通知), plus the weekend days that notice declares working days (调休上班).

Sources, in order of precedence for a year:
1. a State Council notice loaded as a data file (shipped in ``caseflow/data/calendar/`` or loaded
   by an admin into ``$CASEFLOW_DATA_DIR/calendar/``): official;
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
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from holidays.countries.china import China

from caseflow.dates import WEEKDAYS_ZH

#: The table covers these days: from the year the Regulation came into force to well ahead.
TABLE_FIRST = dt.date(2008, 1, 1)
TABLE_LAST = dt.date(2045, 12, 31)

SHIPPED_NOTICES_DIR = Path(__file__).parent / "data" / "calendar"


class CalendarError(ValueError):
    """A calendar question that has no answer (a date outside the table, a bad notice)."""


#: The longest holiday block a notice may give (days of rest in a row); a longer one is a typing error.
MAX_BLOCK_DAYS = 15


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
class Festival:
    """One holiday block of a notice: rest from ``first`` to ``last``, with its make-up days."""

    name: str
    first: dt.date
    last: dt.date
    workdays: tuple[dt.date, ...] = ()

    def rest_days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True, slots=True)
class Notice:
    """A State Council holiday notice for one year (国务院办公厅关于Y年部分节假日安排的通知)."""

    year: int
    title: str
    festivals: tuple[Festival, ...]
    document_no: str = ""
    published: dt.date | None = None
    source: str = ""

    @classmethod
    def from_json(cls, data: object, source: str = "") -> Notice:
        """Read and validate a notice; every problem is named with the field it is in."""
        if not isinstance(data, dict):
            raise CalendarError(
                "通知应为一个JSON对象，含 year（年度）、title（标题）和 festivals（放假安排）"
            )
        year = data.get("year")
        if not isinstance(year, int) or not TABLE_FIRST.year <= year <= TABLE_LAST.year:
            raise CalendarError(
                f"year：年度应为{TABLE_FIRST.year}至{TABLE_LAST.year}之间的整数，实为 {year!r}"
            )
        title = data.get("title") or f"国务院办公厅关于{year}年部分节假日安排的通知"
        if not isinstance(title, str):
            raise CalendarError("title：通知标题应为文本")
        raw_festivals = data.get("festivals")
        if not isinstance(raw_festivals, list) or not raw_festivals:
            raise CalendarError("festivals：放假安排应为非空列表，每项是一个节日的放假时段")
        festivals: list[Festival] = []
        seen: set[dt.date] = set()
        for n, raw in enumerate(raw_festivals, 1):
            where = f"festivals[{n}]"
            if not isinstance(raw, dict):
                raise CalendarError(f"{where}：应为含 name、from、to、workdays 的对象")
            name = raw.get("name")
            if not isinstance(name, str) or not name.strip():
                raise CalendarError(f"{where}.name：请填写节日名称")
            first = _notice_date(raw.get("from"), f"{where}.from", year)
            last = _notice_date(raw.get("to"), f"{where}.to", year)
            if last < first:
                raise CalendarError(f"{where}：放假截止日（to）{last} 早于起始日（from）{first}")
            if (last - first).days + 1 > MAX_BLOCK_DAYS:
                raise CalendarError(
                    f"{where}：连续放假{(last - first).days + 1}天，超过{MAX_BLOCK_DAYS}天，请核对"
                )
            raw_workdays = raw.get("workdays", [])
            if not isinstance(raw_workdays, list):
                raise CalendarError(f"{where}.workdays：调休上班日应为日期列表")
            workdays = tuple(
                _notice_date(w, f"{where}.workdays[{i}]", year) for i, w in enumerate(raw_workdays, 1)
            )
            for w in workdays:
                if w.weekday() < 5:
                    raise CalendarError(
                        f"{where}.workdays：调休上班日 {w} 是{WEEKDAYS_ZH[w.weekday()]}；"
                        "只有星期六或星期日可以调为上班日"
                    )
                if first <= w <= last:
                    raise CalendarError(f"{where}.workdays：调休上班日 {w} 在本节日的放假期间内")
            festival = Festival(name.strip(), first, last, workdays)
            days = set(festival.rest_days()) | set(workdays)
            if days & seen:
                raise CalendarError(f"{where}：{min(days & seen)} 同时出现在两个节日的放假安排中")
            seen |= days
            festivals.append(festival)
        published = data.get("published")
        return cls(
            year=year,
            title=title,
            festivals=tuple(festivals),
            document_no=str(data.get("document_no") or ""),
            published=_notice_date(published, "published", year) if published else None,
            source=source,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "year": self.year,
            "title": self.title,
            "document_no": self.document_no,
            "published": self.published.isoformat() if self.published else None,
            "festivals": [
                {
                    "name": f.name,
                    "from": f.first.isoformat(),
                    "to": f.last.isoformat(),
                    "workdays": [w.isoformat() for w in f.workdays],
                }
                for f in self.festivals
            ],
        }


def _notice_date(value: object, where: str, year: int) -> dt.date:
    if not isinstance(value, str):
        raise CalendarError(f"{where}：应为“年-月-日”格式的日期文本（如2027-01-01），实为 {value!r}")
    try:
        d = dt.date.fromisoformat(value)
    except ValueError:
        raise CalendarError(f"{where}：{value!r} 不是有效的日期（应为年-月-日，如2027-01-01）") from None
    if abs(d.year - year) > 1:
        raise CalendarError(f"{where}：{d} 既不在{year}年内，也不在相邻年度")
    return d


def read_notice(path: Path) -> Notice:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CalendarError(f"{path}: 无法读取通知：{_unreadable(exc)}") from None
    try:
        return Notice.from_json(data, source=str(path))
    except CalendarError as exc:
        raise CalendarError(f"{path}: {exc}") from None


def _unreadable(exc: OSError | UnicodeDecodeError | json.JSONDecodeError) -> str:
    """Why a notice file could not be read, in Chinese (an OS error by its kind, not its English)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"第{exc.lineno}行第{exc.colno}列不是有效的JSON"
    if isinstance(exc, UnicodeDecodeError):
        return "文件不是UTF-8编码的文本"
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，不是文件"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return f"读取出错（错误号 {exc.errno}）"


def notices_in(directory: Path) -> list[Notice]:
    if not directory.is_dir():
        return []
    return [read_notice(p) for p in sorted(directory.glob("*.json"))]


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


def notice_dirs() -> list[Path]:
    """Where notices are read from: the shipped ones, then the installation's own."""
    from caseflow.settings import get_settings

    return [SHIPPED_NOTICES_DIR, get_settings().data_dir / "calendar"]


_default: WorkingCalendar | None = None
_default_stamp: tuple[tuple[str, int, int], ...] = ()
_checked_at = 0.0
#: How often a process looks whether another process loaded a notice (one ``stat`` per file).
RECHECK_SECONDS = 5.0


def _installed_stamp() -> tuple[tuple[str, int, int], ...]:
    """Names, modification times and sizes of the installation's notices."""
    directory = notice_dirs()[-1]
    try:
        return tuple(
            sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in directory.glob("*.json"))
        )
    except FileNotFoundError:
        return ()


def default_calendar() -> WorkingCalendar:
    """The process's calendar: the library plus every notice shipped or loaded.

    Several instances share one installation: a notice loaded by one of them (or by ``caseflow
    calendar load``) is seen by the others within ``RECHECK_SECONDS``.
    """
    global _default, _default_stamp, _checked_at
    if _default is not None and time.monotonic() - _checked_at < RECHECK_SECONDS:
        return _default
    stamp = _installed_stamp()
    _checked_at = time.monotonic()
    if _default is None or stamp != _default_stamp:
        notices = [n for directory in notice_dirs() for n in notices_in(directory)]
        _default, _default_stamp = WorkingCalendar(notices), stamp
    return _default


def reset_default_calendar() -> None:
    """Forget the process's calendar (after a notice is loaded); the next use rebuilds it."""
    global _default
    _default = None


def load_notice(path: Path) -> Notice:
    """Validate a notice file and install it for this installation; the calendar is rebuilt."""
    notice = read_notice(path)
    target_dir = notice_dirs()[-1]
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{notice.year}.json"
    target.write_text(json.dumps(notice.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    reset_default_calendar()
    return Notice.from_json(notice.to_json(), source=str(target))
