"""Operations commands: ``caseflow backup`` and ``restore``, ``caseflow identity-key rotate|reencrypt``,
and what ``caseflow init`` says about PostgreSQL roles.

Backup and restore work on the installation the environment names (``CASEFLOW_DATABASE_URL``,
``CASEFLOW_DATA_DIR``); see ``caseflow.backup`` for what an archive holds. The identity key is the one
that encrypts applicants' ID numbers (``caseflow.identity``: applicants and online applications alike).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from caseflow.cli.common import console, err, fail

if TYPE_CHECKING:
    from caseflow.settings import Settings

identity_app = typer.Typer(
    help="The key that encrypts applicants' ID numbers (outside the database).", no_args_is_help=True
)


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
        raise fail(exc.message) from None
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

    The whole archive is checked against its manifest, and the database in it (integrity, counts)
    before anything is changed; a database that is not empty is refused unless --force, and what
    is replaced is kept (SQLite FILE.bak, PostgreSQL schema caseflow_before_restore). PostgreSQL
    with split roles: runs as CASEFLOW_MIGRATION_DATABASE_URL's owner role and grants the
    application's role again. Run caseflow verify afterwards.
    """
    from caseflow.backup import BackupError
    from caseflow.backup import restore as run_restore
    from caseflow.privileges import PrivilegeError, application_role, owner_url
    from caseflow.settings import get_settings

    settings = get_settings()
    try:
        summary = run_restore(
            archive,
            owner_url(settings),
            data_dir=settings.data_dir,
            force=force,
            grant_role=application_role(settings),
        )
    except (BackupError, PrivilegeError) as exc:
        raise fail(exc.message) from None
    console.print(
        f"已恢复{'SQLite' if summary.kind == 'sqlite' else 'PostgreSQL'}数据库（{summary.requests}件申请，"
        f"{summary.events}条证据记录，结构版本 {summary.revision}）和{summary.files}个文件；"
        "请运行 caseflow verify 检查证据链",
        highlight=False,
    )
    if summary.previous is not None:
        where = "文件" if summary.kind == "sqlite" else "模式（schema）"
        console.print(f"原数据库已保留在{where} {summary.previous}", highlight=False)


# --- The identity key ---------------------------------------------------------------------------


@identity_app.command("rotate")
def rotate() -> None:
    """Add a new key for new ciphertexts (old ones stay readable; the commitment key stays, so
    look-ups and the evidence chain are unchanged), then re-encrypt every stored ID number under it:
    the applicants' and the online applications' (网上申请). Keep a backup of the key file."""
    from caseflow.identity import key_path, rotate_key

    kid = rotate_key()
    console.print(
        f"已启用新的身份证件号码加密密钥 {kid}（{key_path()}），旧密钥保留以便读取旧数据",
        highlight=False,
        soft_wrap=True,
    )
    reencrypt()


@identity_app.command("reencrypt")
def reencrypt() -> None:
    """Re-encrypt the ID numbers still under an older key (resumes an interrupted rotation)."""
    from caseflow.db import session_scope
    from caseflow.identity import load_keys
    from caseflow.identity import reencrypt as rewrite

    with session_scope() as session:
        done = rewrite(session)
    console.print(
        f"已用当前密钥 {load_keys(create=False).current} 重新加密 {done} 个证件号码"
        "（申请人及网上申请中的证件号码；其余已是当前密钥）",
        highlight=False,
        soft_wrap=True,
    )


# --- PostgreSQL roles (used by caseflow init) ---------------------------------------------------


def print_roles_sql(settings: Settings) -> None:
    """``caseflow init --print-roles``: the SQL creating the owner and application roles."""
    from caseflow.privileges import PrivilegeError, is_postgres, roles_sql

    if not is_postgres(settings.database_url):
        console.print("SQLite 没有数据库角色：只需保护数据库文件和数据目录的文件权限")
        return
    try:
        print(roles_sql(settings))
    except PrivilegeError as exc:
        raise fail(exc.message) from None


def report_roles(settings: Settings) -> None:
    """PostgreSQL: say which role migrated and which the application uses, or how to split them."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from caseflow.db import get_engine
    from caseflow.privileges import application_role, is_postgres, privilege_warnings

    if not is_postgres(settings.database_url):
        return
    role = application_role(settings)
    if role is not None:
        owner = make_url(settings.migration_database_url).username
        console.print(
            f"迁移以所有者角色 {owner} 进行；应用角色 {role} 已获授权（只读写业务数据，"
            "证据表只能追加，不能修改结构）",
            highlight=False,
        )
    try:
        warnings = privilege_warnings(get_engine())
    except SQLAlchemyError as exc:
        raise fail(f"应用角色无法连接数据库：{getattr(exc, 'orig', exc)}") from None
    for warning in warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if role is None:
        console.print(
            "应用与迁移使用同一个数据库角色。建议建立所有者角色和应用角色（caseflow init --print-roles）：",
            highlight=False,
        )
        print(_roles_sql_or_note(settings))


def _roles_sql_or_note(settings: Settings) -> str:
    from caseflow.privileges import PrivilegeError, roles_sql

    try:
        return roles_sql(settings)
    except PrivilegeError as exc:
        return exc.message
