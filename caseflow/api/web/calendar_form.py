"""The calendar-notice form of the admin page: a State Council holiday notice (国务院办公厅关于Y年部分
节假日安排的通知) typed as labelled fields (year; holidays as rows of name, first and last day, and the
make-up working days 调休上班日; the notice's number and publication date), checked in Chinese, then
built into the same structure ``caseflow calendar load`` takes (``caseflow.calendar.Notice``) and
installed with ``caseflow.calendar.load_notice``."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path

from caseflow.calendar import MAX_BLOCK_DAYS, TABLE_FIRST, TABLE_LAST, CalendarError, Notice, load_notice
from caseflow.dates import WEEKDAYS_ZH, zh

#: The holidays of every State Council notice since 2008, in the order the notices list them.
FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
ROWS = len(FESTIVALS) + 2  # and two free rows (e.g. 中秋节、国庆节 taken as one block)
WORKDAYS_PER_ROW = 3
#: How far a block may reach into the neighbouring year (元旦 and 春节 blocks cross the year's end).
ACROSS_YEAR_DAYS = 14


def blank_form() -> dict[str, str]:
    form = {"cal_year": "", "cal_title": "", "cal_document_no": "", "cal_published": ""}
    for i in range(ROWS):
        form[f"h{i}_name"] = FESTIVALS[i] if i < len(FESTIVALS) else ""
        form[f"h{i}_from"] = form[f"h{i}_to"] = ""
        for j in range(WORKDAYS_PER_ROW):
            form[f"h{i}_work{j}"] = ""
    return form


def _date(text: str, field: str, label: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[field] = f"{label}不是有效的日期（应为年-月-日，如2027-01-01）"
        return None


def parse(form: Mapping[str, str]) -> tuple[dict[str, object] | None, dict[str, str]]:
    """(the notice as ``Notice.from_json`` reads it, None) or (None, field errors in Chinese)."""
    errors: dict[str, str] = {}
    year_text = form.get("cal_year", "").strip()
    year = int(year_text) if year_text.isdigit() else None
    if year is None or not TABLE_FIRST.year <= year <= TABLE_LAST.year:
        errors["cal_year"] = f"年度应为{TABLE_FIRST.year}至{TABLE_LAST.year}之间的年份"
        return None, errors
    low = dt.date(year, 1, 1) - dt.timedelta(days=ACROSS_YEAR_DAYS)
    high = dt.date(year, 12, 31) + dt.timedelta(days=ACROSS_YEAR_DAYS)
    festivals: list[dict[str, object]] = []
    taken: dict[dt.date, str] = {}
    for i in range(ROWS):
        name = form.get(f"h{i}_name", "").strip()
        texts = {k: form.get(f"h{i}_{k}", "").strip() for k in ("from", "to")}
        work_texts = [
            (f"h{i}_work{j}", form.get(f"h{i}_work{j}", "").strip()) for j in range(WORKDAYS_PER_ROW)
        ]
        if not texts["from"] and not texts["to"] and not any(t for _, t in work_texts):
            continue  # a row left empty (a festival's name alone is only the form's suggestion)
        label = name or f"第{i + 1}行"
        if not name:
            errors[f"h{i}_name"] = "请填写节日名称"
        for key, what in (("from", "放假起始日"), ("to", "放假截止日")):
            if not texts[key]:
                errors[f"h{i}_{key}"] = f"{label}：请填写{what}"
        first = _date(texts["from"], f"h{i}_from", f"{label}的放假起始日", errors) if texts["from"] else None
        last = _date(texts["to"], f"h{i}_to", f"{label}的放假截止日", errors) if texts["to"] else None
        for field, day in ((f"h{i}_from", first), (f"h{i}_to", last)):
            if day is not None and not low <= day <= high:
                errors[field] = (
                    f"{label}：{zh(day)}不在{year}年内（跨年的元旦、春节假期最多伸入相邻年度{ACROSS_YEAR_DAYS}天）"
                )
        if first and last and last < first:
            errors[f"h{i}_to"] = f"{label}：放假截止日{zh(last)}早于起始日{zh(first)}"
        elif first and last and (last - first).days + 1 > MAX_BLOCK_DAYS:
            errors[f"h{i}_to"] = (
                f"{label}：连续放假{(last - first).days + 1}天，超过{MAX_BLOCK_DAYS}天，请核对"
            )
        workdays: list[dt.date] = []
        for field, text in work_texts:
            if not text:
                continue
            day = _date(text, field, f"{label}的调休上班日", errors)
            if day is None:
                continue
            if not low <= day <= high:
                errors[field] = f"{label}：调休上班日{zh(day)}不在{year}年内"
            elif day.weekday() < 5:
                errors[field] = (
                    f"{label}：调休上班日{zh(day)}是{WEEKDAYS_ZH[day.weekday()]}；只有星期六或星期日可以调为上班日"
                )
            elif first and last and first <= day <= last:
                errors[field] = f"{label}：调休上班日{zh(day)}在放假期间内"
            elif day in workdays:
                errors[field] = f"{label}：调休上班日{zh(day)}填写了两次"
            else:
                workdays.append(day)
        if first and last and first <= last:
            for day in [first + dt.timedelta(days=n) for n in range((last - first).days + 1)] + workdays:
                if day in taken and f"h{i}_from" not in errors:
                    errors[f"h{i}_from"] = f"{label}与{taken[day]}的日期重叠（{zh(day)}）"
                    break
            for day in [first + dt.timedelta(days=n) for n in range((last - first).days + 1)] + workdays:
                taken.setdefault(day, label)
        festivals.append(
            {
                "name": name,
                "from": texts["from"],
                "to": texts["to"],
                "workdays": [d.isoformat() for d in workdays],
            }
        )
    if not festivals and not errors:
        errors["h0_from"] = "至少填写一个节日的放假日期"
    published = form.get("cal_published", "").strip()
    if published:
        day = _date(published, "cal_published", "发布日期", errors)
        if day is not None and not year - 1 <= day.year <= year:
            errors["cal_published"] = f"发布日期{zh(day)}应在{year - 1}年或{year}年"
    if errors:
        return None, errors
    notice: dict[str, object] = {
        "year": year,
        "title": form.get("cal_title", "").strip() or f"国务院办公厅关于{year}年部分节假日安排的通知",
        "document_no": form.get("cal_document_no", "").strip(),
        "published": published or None,
        "festivals": festivals,
    }
    return notice, {}


def install(data: object) -> Notice:
    """Validate (``Notice.from_json``) and install a notice for this installation."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "notice.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return load_notice(path)


def describe_error(exc: CalendarError) -> str:
    """A loader's refusal without the temporary file's name."""
    text = str(exc)
    return text.split("notice.json: ", 1)[-1]
