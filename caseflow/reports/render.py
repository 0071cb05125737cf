"""The annual report as HTML: the two tables laid out like the official format (one fragment, used by
the web page and by ``caseflow report annual --format html``) and a standalone document around it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from caseflow import law
from caseflow.dates import now
from caseflow.reports import layout
from caseflow.reports.annual import AnnualReport


def templates_dir() -> Path:
    """The report templates: shipped inside the package, or at the project root in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates" / "reports", here.parent / "templates" / "reports"):
        if (candidate / "annual.html").is_file():
            return candidate
    raise FileNotFoundError("caseflow's report templates are missing from this installation")


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def tables(report: AnnualReport) -> Markup:
    """Tables 三 and 四 as HTML (a fragment to place in a page)."""
    template = environment().get_template("_annual_tables.html")
    return Markup(template.render(law=law, grid3=layout.table3(report), grid4=layout.table4(report)))


def document(report: AnnualReport, finalized: dict[str, Any] | None = None) -> str:
    """A standalone HTML document: title, scope, the tables, the finalization and the checks."""
    return (
        environment()
        .get_template("annual.html")
        .render(law=law, report=report, tables=tables(report), finalized=finalized, generated=now())
    )
