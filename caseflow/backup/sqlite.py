"""SQLite: the online snapshot for a backup; for a restore, the extracted copy checked whole
(``PRAGMA integrity_check``, foreign keys, the counts against the manifest) before it replaces the
database file, and the file it replaces kept as ``FILE.bak``."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from caseflow.backup.common import BackupError, Counts, counts, counts_differ, safe_url


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{safe_url(url)} is not a database file")
    return Path(database)


def _scalar(conn: sqlite3.Connection, sql: str) -> Any:
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError as exc:  # no such table: not a caseflow database
        raise BackupError(f"not a caseflow database: {exc}") from None
    return None if row is None else row[0]


def snapshot(url: str, dest: Path) -> Counts:
    """Copy the live database to ``dest`` with the online backup API, in one step (one read
    transaction: a consistent snapshot while writers go on), then check the copy."""
    path = sqlite_path(url)
    if not path.is_file():
        raise BackupError(f"no database at {path}")
    source = sqlite3.connect(path, timeout=30)
    target = sqlite3.connect(dest)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        problem = target.execute("PRAGMA quick_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"the copy of {path} fails SQLite's check: {problem}")
        return counts(lambda sql: _scalar(target, sql))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot copy {path}: {exc}") from None
    finally:
        target.close()
        source.close()


def tables(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return 1  # something that is not an empty database: not ours to overwrite silently


def check_candidate(path: Path, wanted: Counts) -> Counts:
    """The extracted database, checked before it replaces anything: SQLite's full integrity
    check, no dangling foreign key, and the revision and counts the manifest recorded."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
            if problems != ["ok"]:
                raise BackupError(
                    "备份中的数据库未通过 SQLite 完整性检查，未恢复，原数据库保持不变："
                    + "；".join(problems[:3])
                )
            dangling = conn.execute("PRAGMA foreign_key_check").fetchone()
            if dangling is not None:
                raise BackupError(
                    f"备份中的数据库有悬空的外键（表 {dangling[0]} 第{dangling[1]}行），"
                    "未恢复，原数据库保持不变"
                )
            found = counts(lambda sql: _scalar(conn, sql))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"备份中的数据库无法读取，未恢复，原数据库保持不变：{exc}") from None
    if found != wanted:
        raise counts_differ(found, wanted)
    return found


def _keep_previous(target: Path) -> Path | None:
    """Copy the database about to be replaced to ``FILE.bak`` (with its write-ahead log folded
    in, through SQLite's backup API; the raw bytes if it is not a database). An older ``.bak`` is
    not overwritten: it is renamed after its modification time."""
    if not target.exists():
        return None
    bak = target.with_name(target.name + ".bak")
    if bak.exists():
        stamp = dt.datetime.fromtimestamp(bak.stat().st_mtime, dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        os.replace(bak, bak.with_name(f"{bak.name}-{stamp}"))
    partial = bak.with_name(bak.name + ".partial")
    try:
        source = sqlite3.connect(target, timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
            source.close()
    except sqlite3.DatabaseError:
        partial.unlink(missing_ok=True)
        shutil.copy2(target, partial)
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, bak)
    return bak


def install(candidate: Path, target: Path) -> Path | None:
    """Put the checked ``candidate`` in place of ``target`` (same directory: one rename), the old
    database kept as ``FILE.bak``. Returns the ``.bak`` (None when there was no database)."""
    try:
        bak = _keep_previous(target)
    except OSError as exc:
        raise BackupError(f"无法保留原数据库的副本 {target}.bak，未恢复：{exc}") from None
    for suffix in ("-wal", "-shm", "-journal"):  # an old log must never meet the new file
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(candidate, target)
    return bak
