"""The annual report as HTML: the two tables laid out like the official format (one fragment, used by
the web page and by ``caseflow report annual --format html``) and a standalone document around it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from caseflow import law
from caseflow.dates import now
from caseflow.reports import layout
from caseflow.reports.annual_tables import AnnualReport
from caseflow.reports.figures import published_lines
from caseflow.templating import shipped_templates, strict_environment


def templates_dir() -> Path:
    """The report templates: shipped inside the package, or at the project root in a checkout."""
    return shipped_templates("reports", "annual.html")


@cache
def environment() -> Environment:
    return strict_environment(templates_dir())


def tables(report: AnnualReport) -> Markup:
    """Tables 三 and 四 as HTML (a fragment to place in a page)."""
    template = environment().get_template("_annual_tables.html")
    return Markup(template.render(law=law, grid3=layout.table3(report), grid4=layout.table4(report)))


def extra(report: AnnualReport) -> Markup:
    """The figures published reports state beside the tables and, for an aggregate (汇总), each
    agency's share (a fragment to place under the tables)."""
    template = environment().get_template("_annual_extra.html")
    lines = published_lines(report.published) if report.published else []
    return Markup(template.render(law=law, report=report, published=lines))


def document(report: AnnualReport, finalized: dict[str, Any] | None = None) -> str:
    """A standalone HTML document: title, scope, the tables, the finalization and the checks."""
    return (
        environment()
        .get_template("annual.html")
        .render(
            law=law,
            report=report,
            tables=tables(report),
            extra=extra(report),
            finalized=finalized,
            generated=now(),
        )
    )
