"""The annual report as data: table 三's rows in order, the empty tables 三 and 四, and ``AnnualReport``
(what ``annual`` counts and ``annual_checks`` checks; what is rendered, exported and finalized)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caseflow import law


def table3_keys() -> list[str]:
    """Table 三's JSON rows in order: 一, 二, each group followed by its outcomes, (七), 四."""
    keys = ["received", "carried_over"]
    for group in law.OUTCOME_GROUPS:
        keys.append(group)
        keys.extend(
            o.code
            for o in law.OUTCOMES
            if o.group == group and o.code != group and law.REPORT_ROW_KEYS[o.code] == o.code
        )
    return [*keys, "total", "carried_forward"]


TABLE3_KEYS = table3_keys()


def empty_table3() -> dict[str, dict[str, int]]:
    return {key: dict.fromkeys(law.REPORT_COLUMNS, 0) for key in TABLE3_KEYS}


def empty_table4() -> dict[str, dict[str, int]]:
    return {section: dict.fromkeys(law.TABLE4_COLUMNS, 0) for section in law.TABLE4_SECTIONS}


@dataclass
class AnnualReport:
    year: int
    agency_code: str
    agency_name: str
    subtree: bool
    table3: dict[str, dict[str, int]]
    table4: dict[str, dict[str, int]]
    checks: list[dict[str, Any]] = field(default_factory=list)
    #: Aggregate only: each agency of the subtree with its 一, 三(七) and 四 totals (the parent first).
    shares: list[dict[str, Any]] = field(default_factory=list)
    #: The figures published reports state beside the tables (figures.published_figures).
    published: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The report's title: an aggregate over the subtree is marked 汇总."""
        suffix = "（汇总）" if self.subtree else ""
        return f"{self.agency_name}{self.year}年政府信息公开工作年度报告{suffix}"

    @property
    def scope_label(self) -> str:
        return "本机关及下级机关（汇总）" if self.subtree else "本机关"

    def figures(self) -> dict[str, Any]:
        """What a finalization keeps (and hashes): the two tables."""
        return {"table3": self.table3, "table4": self.table4}

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "agency": self.agency_code,
            "agency_name": self.agency_name,
            "subtree": self.subtree,
            "scope": "aggregate" if self.subtree else "own",
            "title": self.title,
            "period": {"from": f"{self.year}-01-01", "to": f"{self.year}-12-31"},
            "format": law.REPORT_FORMAT,
            "table3": self.table3,
            "table4": self.table4,
            "shares": self.shares,
            "published": self.published,
            "checks": self.checks,
        }
