"""Operations commands: ``caseflow backup`` and ``caseflow restore`` (registered in ``caseflow.cli``).

Both work on the installation the environment names (``CASEFLOW_DATABASE_URL``,
``CASEFLOW_DATA_DIR``); see ``caseflow.backup`` for what an archive holds.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def backup(
    out: Annotated[Path, typer.Argument(help="The archive to write (FILE.tar, or FILE.tar.gz to compress).")],
    force: Annotated[bool, typer.Option("--force", help="Replace the archive if it exists.")] = False,
) -> None:
    """Back up the database, documents, signing keys and loaded notices into one archive.

    The archive carries a manifest of SHA-256s. Safe while the server runs: SQLite is copied with
    its online backup API, PostgreSQL dumped by pg_dump --format=custom in one snapshot.
    """
    from caseflow.backup import BackupError
    from caseflow.backup import backup as run_backup
    from caseflow.settings import get_settings

    settings = get_settings()
    try:
        summary = run_backup(settings.database_url, out, data_dir=settings.data_dir, overwrite=force)
    except BackupError as exc:
        raise _fail(exc.message) from None
    console.print(
        f"已备份{'SQLite' if summary.kind == 'sqlite' else 'PostgreSQL'}数据库（{summary.requests}件申请，"
        f"{summary.events}条证据记录）和{summary.files}个文件 -> {out}（{_size(summary.size)}）",
        highlight=False,
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by caseflow backup.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a database that already holds tables, and keys that differ."),
    ] = False,
) -> None:
    """Restore a backup archive into the database and data directory (stop the server first).

    The whole archive is checked against its manifest before anything is changed; a database that
    is not empty is refused unless --force. Run caseflow verify afterwards.
    """
    from caseflow.backup import BackupError
    from caseflow.backup import restore as run_restore
    from caseflow.settings import get_settings

    settings = get_settings()
    try:
        summary = run_restore(archive, settings.database_url, data_dir=settings.data_dir, force=force)
    except BackupError as exc:
        raise _fail(exc.message) from None
    console.print(
        f"已恢复{'SQLite' if summary.kind == 'sqlite' else 'PostgreSQL'}数据库（{summary.requests}件申请，"
        f"{summary.events}条证据记录，结构版本 {summary.revision}）和{summary.files}个文件；"
        "请运行 caseflow verify 检查证据链",
        highlight=False,
    )
