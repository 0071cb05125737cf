"""State Council holiday notices (国务院办公厅关于Y年部分节假日安排的通知) as caseflow reads them:
the notice file format (one JSON object a year), its validation with every problem named in Chinese
with its field, and reading notice files. ``caseflow.calendar.installed`` stores a loaded notice and
``caseflow.calendar.table`` builds the working days from the notices."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from caseflow.dates import WEEKDAYS_ZH

#: The working-day table covers these days: from the year the Regulation came into force to well
#: ahead. A notice is for a year in between.
TABLE_FIRST = dt.date(2008, 1, 1)
TABLE_LAST = dt.date(2045, 12, 31)


class CalendarError(ValueError):
    """A calendar question that has no answer (a date outside the table, a bad notice)."""


#: The longest holiday block a notice may give (days of rest in a row); a longer one is a typing error.
MAX_BLOCK_DAYS = 15


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
