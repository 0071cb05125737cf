"""The annual report as an xlsx workbook (openpyxl): tables 三 and 四 laid out as the format prints
them (merged cells, borders), ready to paste into the published report, and a sheet saying what the
figures are (agency, year, counting rules, finalization and hash, failed checks)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from caseflow import law
from caseflow.reports import layout
from caseflow.reports.annual_tables import AnnualReport
from caseflow.reports.figures import published_lines

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "宋体"
SHEET3 = "表三 收到和处理申请"
SHEET4 = "表四 复议诉讼"


#: A text starting with one of these is a formula (or a DDE/formula trigger) to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _put(target: Cell, value: object) -> None:
    """Write ``value``; text is always a text cell: never a formula or an error code however it
    starts (agency names come from input), and marked quote-prefixed where a spreadsheet would
    otherwise read it as a formula once the cell is edited."""
    target.value = value
    if isinstance(value, str):
        target.data_type = "s"  # openpyxl makes a formula of text starting with "=": undo that
        if value.startswith(_FORMULA_START):
            target.quotePrefix = True


def _write_grid(sheet: Worksheet, grid: layout.Grid, first_row: int) -> int:
    """Write the grid from ``first_row``; returns the next free row."""
    for cells, places in zip(grid, layout.positions(grid), strict=True):
        for cell, (r, c) in zip(cells, places, strict=True):
            row, column = first_row + r, 1 + c
            target = sheet.cell(row=row, column=column)
            _put(target, cell.value if cell.value is not None else cell.text)
            target.font = Font(name=FONT, size=10, bold=cell.header)
            horizontal = "left" if cell.label else "center"
            target.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    sheet.cell(row=row + dr, column=column + dc).border = BORDER
            if cell.rowspan > 1 or cell.colspan > 1:
                sheet.merge_cells(
                    start_row=row,
                    start_column=column,
                    end_row=row + cell.rowspan - 1,
                    end_column=column + cell.colspan - 1,
                )
    return first_row + len(grid)


def _title(sheet: Worksheet, text: str, span: int) -> None:
    target = sheet.cell(row=1, column=1)
    _put(target, text)
    target.font = Font(name=FONT, size=12, bold=True)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=span)


def workbook(report: AnnualReport, finalized: dict[str, Any] | None = None) -> bytes:
    """The workbook as bytes."""
    book = Workbook()
    sheet3 = book.active
    assert sheet3 is not None
    sheet3.title = SHEET3
    grid3 = layout.table3(report)
    _title(sheet3, law.TABLE3_TITLE, layout.width(grid3))
    _write_grid(sheet3, grid3, 2)
    for column, size in ((1, 8), (2, 12), (3, 44)):
        sheet3.column_dimensions[get_column_letter(column)].width = size
    for column in range(4, layout.width(grid3) + 1):
        sheet3.column_dimensions[get_column_letter(column)].width = 10
    sheet3.row_dimensions[2].height = 60

    sheet4 = book.create_sheet(SHEET4)
    grid4 = layout.table4(report)
    _title(sheet4, law.TABLE4_TITLE, layout.width(grid4))
    _write_grid(sheet4, grid4, 2)
    for column in range(1, layout.width(grid4) + 1):
        sheet4.column_dimensions[get_column_letter(column)].width = 9

    about = book.create_sheet("说明")
    lines: list[tuple[str, str]] = [
        ("报告", report.title),
        ("机关", f"{report.agency_name}（{report.agency_code}）"),
        ("统计范围", report.scope_label),
        ("统计期限", f"{report.year}年1月1日至{report.year}年12月31日"),
        ("报告格式", f"{law.REPORT_FORMAT_TITLE}（{law.REPORT_FORMAT}）"),
        ("一", "收到申请之日在本年度内的申请"),
        ("二", "上年度及以前收到、1月1日仍在办理的申请"),
        ("三", "本年度内办结（答复或终止）的申请，按办理结果"),
        ("四", "12月31日仍在办理的申请"),
    ]
    if report.published:
        lines += published_lines(report.published)
    for share in report.shares:
        own = "（本机关）" if share["own"] else ""
        lines.append(
            (
                f"其中：{share['agency_name']}{own}",
                f"本年新收{share['received']}件，本年度办结{share['concluded']}件，"
                f"结转下年度{share['carried_forward']}件",
            )
        )
    if finalized:
        lines += [
            ("定稿", f"第{finalized['version']}版，{finalized['finalized_at']}，{finalized['finalized_by']}"),
            ("定稿数据哈希（SHA-256）", finalized["sha256"]),
        ]
        if finalized.get("changed"):
            lines.append(("注意", f"定稿后有{len(finalized['changes'])}项数据发生变化"))
    for check in report.checks:
        lines.append(("核对未通过", check["message"]))
    for n, (key, value) in enumerate(lines, 1):
        for column, text, bold in ((1, key, True), (2, value, False)):
            target = about.cell(row=n, column=column)
            _put(target, text)
            target.font = Font(name=FONT, bold=bold)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 90

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
