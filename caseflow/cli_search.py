"""``caseflow search-index rebuild``: the text search's index recreated from the tables."""

from __future__ import annotations

import time

import typer
from rich.console import Console

search_app = typer.Typer(
    help="The lists' text search index (SQLite FTS5 / PostgreSQL pg_trgm).", no_args_is_help=True
)
out = Console()


@search_app.command("rebuild")
def rebuild() -> None:
    """Drop and recreate the search index from the requests and applicants (repairs a dropped,
    damaged or stale index; writes are kept out while it runs: one transaction)."""
    from caseflow import search_index
    from caseflow.db import get_engine

    started = time.perf_counter()
    with get_engine().begin() as conn:
        search_index.rebuild(conn)
    out.print(f"搜索索引已重建（{time.perf_counter() - started:.1f} 秒）", highlight=False)
