"""``restore``: nothing is changed until the whole archive and the database in it have been checked.

1. The archive against its manifest (every member's SHA-256 and size; only the database member and
   files below ``data/documents``, ``data/keys`` and ``data/calendar``; see ``archive``).
2. The target: a database holding tables, or keys and notices that differ from the archive's,
   are refused unless ``force``.
3. The database in the archive. SQLite: extracted beside the target and checked whole (integrity
   check, foreign keys, revision and counts against the manifest), then renamed over the target,
   the old file kept as ``FILE.bak``. PostgreSQL: restored in one transaction that keeps the old
   tables in the schema ``caseflow_before_restore`` and rolls back unless the counts match.
4. Only then the data files: keys and notices (a file that differs is moved to
   ``before-restore-TIME/`` in the data directory, never overwritten). An archive made before the
   documents' bytes moved into the database (migration 0021) holds them as files: they are written
   to ``documents/`` in the data directory first, and the upgrade that follows (``caseflow init``,
   ``serve`` and ``worker`` migrate on start) moves them into the restored database.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from caseflow.backup import postgres, sqlite
from caseflow.backup.archive import conflicting_files, extracted, read_manifest, restore_files, wanted_counts
from caseflow.backup.common import BackupError, Summary, counts_differ, kind_of, safe_url


def restore(
    archive: Path,
    url: str,
    *,
    data_dir: Path | None = None,
    force: bool = False,
    grant_role: str | None = None,
) -> Summary:
    """Restore the archive into the database at ``url`` (PostgreSQL: the owner's) and the data
    directory, as described above; ``grant_role`` is the application's role to grant (split roles).
    The server must not be running on the target."""
    from caseflow.settings import get_settings

    kind = kind_of(url)
    data_dir = data_dir if data_dir is not None else get_settings().data_dir
    manifest = read_manifest(archive)
    database: dict[str, Any] = manifest["database"]
    if database.get("kind") != kind:
        raise BackupError(
            f"{archive} holds a {database.get('kind')} database; restore it to a "
            f"{'sqlite:///' if database.get('kind') == 'sqlite' else 'postgresql+psycopg://'} URL, "
            f"not {safe_url(url)}"
        )
    wanted = wanted_counts(manifest)
    tables = sqlite.tables(sqlite.sqlite_path(url)) if kind == "sqlite" else postgres.tables(url)
    if tables and not force:
        raise BackupError(
            f"数据库不是空的，未恢复（{safe_url(url)} is not empty ({tables} tables): refusing to "
            "overwrite it; give --force to replace its contents with the backup, the old database "
            "is kept）"
        )
    conflicts = conflicting_files(manifest, data_dir)
    if conflicts and not force:
        raise BackupError(
            f"数据目录中已有不同的文件，未恢复（{data_dir} already holds {conflicts[0]} and it differs "
            "from the backup's: refusing to overwrite it; give --force to replace it, the old file is kept）"
        )
    if kind == "sqlite":
        target = sqlite.sqlite_path(url)
        with extracted(archive, database["member"], target.parent) as copy:
            found = sqlite.check_candidate(copy, wanted)
            bak = sqlite.install(copy, target)
        previous = None if bak is None else str(bak)
    else:
        with extracted(archive, database["member"], Path(tempfile.gettempdir())) as dump:
            previous = postgres.replace(url, dump, wanted, grant_role=grant_role)
        found = postgres.restored_counts(url)
    if found != wanted:  # checked before the database was replaced; a last look afterwards
        raise counts_differ(found, wanted)
    aside = data_dir / f"before-restore-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%fZ}"
    restore_files(archive, manifest, data_dir, ("documents",), aside)
    restore_files(archive, manifest, data_dir, ("keys", "calendar"), aside)
    files = len(manifest["files"]) - 1
    return Summary(archive, kind, found[0], found[1], found[2], files, archive.stat().st_size, previous)
