"""Tables 三 and 四 laid out as the Report Format prints them: a grid of cells with their spans.

One layout feeds both the HTML table (rowspan/colspan) and the xlsx sheet (merged cells), so the
page, the file and the published report cannot drift apart. The labels come from ``caseflow.law``.
"""

from __future__ import annotations

from dataclasses import dataclass

from caseflow import law
from caseflow.reports.annual_tables import AnnualReport

TYPED = tuple(c for c in law.REPORT_COLUMNS if c != "total")


@dataclass(frozen=True, slots=True)
class Cell:
    """A label (``text``) or a figure (``value``), spanning rows and columns; header cells are bold.
    ``key`` is (row, column) of the JSON for a figure, so a figure can be traced back."""

    text: str = ""
    value: int | None = None
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    key: tuple[str, str] | None = None
    #: A label that stands beside figures (left-aligned), not over them.
    label: bool = False


Grid = list[list[Cell]]


def _figures(report: AnnualReport, key: str) -> list[Cell]:
    return [Cell(value=report.table3[key][c], key=(key, c)) for c in law.REPORT_COLUMNS]


def table3(report: AnnualReport) -> Grid:
    """Three label columns, then 自然人, the five organisation columns and 总计."""
    names = law.REPORT_COLUMN_NAMES
    grid: Grid = [
        [
            Cell(law.REPORT_BALANCE_NOTE, rowspan=3, colspan=3, header=True),
            Cell(law.REPORT_APPLICANT_HEADER, colspan=len(law.REPORT_COLUMNS), header=True),
        ],
        [
            Cell(names[TYPED[0]], rowspan=2, header=True),
            Cell(law.REPORT_ORG_HEADER, colspan=len(TYPED) - 1, header=True),
            Cell(names["total"], rowspan=2, header=True),
        ],
        [Cell(names[c], header=True) for c in TYPED[1:]],
    ]
    rows = law.TABLE3_ROWS
    results = [r for r in rows if r.section == "三"]
    first_result = True
    for row in rows:
        cells: list[Cell] = []
        if row.section != "三":
            cells.append(Cell(row.label, colspan=3, label=True))
            grid.append([*cells, *_figures(report, row.key)])
            continue
        if first_result:
            cells.append(Cell(law.TABLE3_RESULTS_LABEL, rowspan=len(results), label=True))
            first_result = False
        if row.group in law.REPORT_SINGLE_ROW_GROUPS or row.group == "total":
            cells.append(Cell(row.label, colspan=2, label=True))
        else:
            assert row.group is not None
            members = [r for r in results if r.group == row.group]
            if members[0] is row:
                cells.append(Cell(law.REPORT_GROUP_LABELS[row.group], rowspan=len(members), label=True))
            cells.append(Cell(row.label, label=True))
        grid.append([*cells, *_figures(report, row.key)])
    return grid


def table4(report: AnnualReport) -> Grid:
    """行政复议 (five columns), 行政诉讼: 未经复议直接起诉 and 复议后起诉 (five each)."""
    columns = list(law.TABLE4_COLUMNS)
    width = len(columns)
    sections = law.TABLE4_SECTIONS
    grid: Grid = [
        [
            Cell(sections["review"], rowspan=2, colspan=width, header=True),
            Cell(law.TABLE4_LITIGATION_HEADER, colspan=2 * width, header=True),
        ],
        [
            Cell(sections["litigation_direct"], colspan=width, header=True),
            Cell(sections["litigation_after_review"], colspan=width, header=True),
        ],
        [Cell(law.TABLE4_COLUMNS[c], header=True) for _ in sections for c in columns],
        [Cell(value=report.table4[s][c], key=(s, c)) for s in sections for c in columns],
    ]
    return grid


def width(grid: Grid) -> int:
    """The number of columns the grid spans (from its first row)."""
    return sum(c.colspan for c in grid[0])


def positions(grid: Grid) -> list[list[tuple[int, int]]]:
    """Each cell's (row, column) in the full grid, honouring the spans of the rows above."""
    taken: set[tuple[int, int]] = set()
    out: list[list[tuple[int, int]]] = []
    for r, row in enumerate(grid):
        c = 0
        placed = []
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
        out.append(placed)
    return out


def figure_label(table: str, row: str, column: str) -> tuple[str, str]:
    """(row label, column label) of a figure in the format's words, for lists of changed figures."""
    if table == "table4":
        return law.TABLE4_SECTIONS.get(row, row), law.TABLE4_COLUMNS.get(column, column)
    labels = {r.key: r.label for r in law.TABLE3_ROWS}
    spec = law.OUTCOMES_BY_CODE.get(row)
    if row in labels:
        text = labels[row]
        if spec is not None and spec.group != row:
            text = f"{law.OUTCOME_GROUPS[spec.group]}{text}"
    elif spec is not None:
        text = f"{law.OUTCOME_GROUPS[spec.group]}：{spec.name}"
    else:
        text = law.REPORT_GROUP_LABELS.get(row, row)
    return text, law.REPORT_COLUMN_NAMES.get(column, column)
