"""``caseflow report annual`` and ``caseflow search-index rebuild``: the annual-report tables from the
command line (INTERFACES.md), and the lists' text search index recreated from the tables."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from caseflow.cli.common import console, err, fail
from caseflow.reports.service import ReportFormat

report_app = typer.Typer(
    help="Statistics: the annual-report tables 三 and 四 (国办公开办函〔2021〕30号).", no_args_is_help=True
)
search_app = typer.Typer(
    help="The lists' text search index (SQLite FTS5 / PostgreSQL pg_trgm).", no_args_is_help=True
)


@report_app.command(
    "annual",
    epilog="The check 一 + 二 = 三(七) + 四 is made per column; when the year was finalized, every figure "
    "changed since is listed. Exit 0; 1 when the check fails in some column (the report is written all the "
    "same); 2 for bad input (unknown agency, year out of range, unknown format).",
)
def annual(
    year: Annotated[int, typer.Option("--year", help="The report's year, e.g. 2025.")],
    agency: Annotated[
        str, typer.Option("--agency", help="An agency code: its own requests (Arts. 49-50) by default.")
    ],
    fmt: Annotated[
        ReportFormat, typer.Option("--format", case_sensitive=False, help="json, html or xlsx.")
    ] = ReportFormat.JSON,
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: standard output).")] = None,
    aggregate: Annotated[
        bool,
        typer.Option(
            "--aggregate",
            help="The aggregate (汇总) over the agency and every agency below it, with each one's share.",
        ),
    ] = False,
    finalized: Annotated[
        bool, typer.Option("--finalized", help="The figures as finalized (period lock), not as they are now.")
    ] = False,
) -> None:
    """The annual-report tables 三 and 四 of the agency's own requests (or, with --aggregate, the
    汇总 over its subtree), with their checks and the figures published reports carry."""
    from caseflow.dates import today
    from caseflow.db import session_scope
    from caseflow.errors import CaseflowError
    from caseflow.reports import service
    from caseflow.service import SYSTEM_ACTOR as actor

    if fmt is ReportFormat.XLSX and out is None and sys.stdout.isatty():
        raise fail("xlsx is a binary file: give --out FILE.xlsx (or redirect standard output)")
    try:
        with session_scope() as session:
            result = service.annual(
                session,
                actor,
                year=year,
                agency_code=agency,
                today=today(),
                subtree=aggregate,
                as_finalized=finalized,
            )
            data = result.render(fmt)
    except CaseflowError as exc:
        raise fail(exc.message) from None
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise fail(f"cannot write {out}: {exc.strerror}") from None
        err.print(f"{result.filename(fmt)} -> {out}", highlight=False)
    failed = [c for c in result.report.checks if c["kind"] == "balance"]
    if failed:
        err.print("[yellow]核对未通过：[/]" + "；".join(c["message"] for c in failed), highlight=False)
        raise typer.Exit(1)


@search_app.command("rebuild")
def rebuild() -> None:
    """Drop and recreate the search index from the requests and applicants (repairs a dropped,
    damaged or stale index; writes are kept out while it runs: one transaction)."""
    from caseflow import search_index
    from caseflow.db import get_engine

    started = time.perf_counter()
    with get_engine().begin() as conn:
        search_index.rebuild(conn)
    console.print(f"搜索索引已重建（{time.perf_counter() - started:.1f} 秒）", highlight=False)
