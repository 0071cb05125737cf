"""Backup and restore of an installation: its database and its data directory in one archive.

A backup is a tar file (gzip-compressed when its name ends in ``.gz`` or ``.tgz``) holding

- ``database.sqlite3``: a SQLite database copied with SQLite's online backup API, a consistent
  snapshot taken while the server keeps running (readers never block writers in WAL mode); or
  ``database.pgdump``: ``pg_dump --format=custom`` of a PostgreSQL database, dumped in one
  repeatable-read snapshot;
- ``data/documents/…``, ``data/keys/…``, ``data/calendar/…``: the document store (scans, letters as
  issued), the evidence signing key pair and the holiday notices an admin loaded, from
  ``CASEFLOW_DATA_DIR`` (the prepared letter fonts are not kept: they are made again);
- ``manifest.json``: the format, when and from where, the schema revision, the number of requests
  and evidence events in the snapshot, and the SHA-256 and size of every other member.

The database is copied first and the files after it: the document store only grows and a
document reaches the disk before the row that cites it is committed, so every document the
snapshot cites is in the archive.

``restore`` checks the whole archive against its manifest before it changes anything, refuses a
database that already holds tables (and signing keys other than the archive's) unless forced, and
afterwards checks that the restored database holds what the manifest says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

FORMAT = "caseflow-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
#: What of ``CASEFLOW_DATA_DIR`` a backup keeps.
DATA_PARTS = ("documents", "keys", "calendar")
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (and nothing was changed
    when the archive was refused)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Summary:
    """What a backup holds (or a restore brought back)."""

    archive: Path
    kind: str  # sqlite | postgresql
    revision: str | None
    requests: int
    events: int
    files: int
    size: int


# --- databases ------------------------------------------------------------------------------


def _kind(url: str) -> str:
    try:
        backend = make_url(url).get_backend_name()
    except Exception as exc:  # noqa: BLE001 - any malformed URL
        raise BackupError(f"not a database URL: {exc}") from None
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(f"backup knows SQLite and PostgreSQL, not {backend}")


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{_safe(url)} is not a database file")
    return Path(database)


def _counts(query: Callable[[str], Any]) -> tuple[str | None, int, int]:
    """(schema revision, requests, evidence events) through ``query(sql) -> scalar``."""
    revision = query("SELECT version_num FROM alembic_version")
    return (
        None if revision is None else str(revision),
        int(query("SELECT count(*) FROM request")),
        int(query("SELECT count(*) FROM evidence_event")),
    )


def _sqlite_snapshot(url: str, dest: Path) -> tuple[str | None, int, int]:
    """Copy the live database to ``dest`` with the online backup API, in one step (one read
    transaction: a consistent snapshot while writers go on), then check the copy."""
    path = _sqlite_path(url)
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
        return _counts(lambda sql: _sqlite_scalar(target, sql))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"cannot copy {path}: {exc}") from None
    finally:
        target.close()
        source.close()


def _sqlite_scalar(conn: sqlite3.Connection, sql: str) -> Any:
    try:
        row = conn.execute(sql).fetchone()
    except sqlite3.OperationalError as exc:  # no such table: not a caseflow database
        raise BackupError(f"not a caseflow database: {exc}") from None
    return None if row is None else row[0]


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The connection string for pg_dump/pg_restore, and the environment carrying the password
    (never on the command line, where other users could read it)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: PostgreSQL backups need the PostgreSQL client programs (pg_dump, "
            "pg_restore) of the server's major version on PATH (Debian: apt install postgresql-client)"
        )
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what} failed (exit {result.returncode}): {' / '.join(detail[-5:])}")


def _pg_snapshot(url: str, dest: Path) -> tuple[str | None, int, int]:
    """``pg_dump --format=custom`` inside a snapshot exported by a repeatable-read transaction that
    also counts what it dumps (the counts and the dump see the same instant)."""
    pg_dump = _binary("pg_dump")
    conninfo, env = _libpq(url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                try:
                    counts = _counts(lambda sql: conn.execute(text(sql)).scalar())
                except SQLAlchemyError as exc:
                    raise BackupError(f"not a caseflow database: {getattr(exc, 'orig', exc)}") from None
                _run(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={dest}", conninfo],
                    env,
                    "pg_dump",
                )
                return counts
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read {_safe(url)}: {getattr(exc, 'orig', exc)}") from None
    finally:
        engine.dispose()


# --- the archive --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _data_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, file) of everything kept from the data directory, in a stable order."""
    for part in DATA_PARTS:
        root = data_dir / part
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.startswith(".incoming-"):
                yield f"data/{path.relative_to(data_dir).as_posix()}", path


def _open_for_writing(path: Path, compress: bool) -> tarfile.TarFile:
    return tarfile.open(path, "w:gz") if compress else tarfile.open(path, "w")


def backup(
    url: str,
    dest: Path,
    *,
    data_dir: Path | None = None,
    overwrite: bool = False,
    now: dt.datetime | None = None,
) -> Summary:
    """Write the database at ``url`` and the data directory's documents, keys and calendar
    notices into the archive ``dest`` (written aside and moved into place when complete)."""
    from caseflow.settings import get_settings

    kind = _kind(url)
    data_dir = data_dir if data_dir is not None else get_settings().data_dir
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} exists (give --force to replace it)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="caseflow-backup-", dir=dest.parent) as work:
        member = SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER
        snapshot = Path(work) / member
        revision, requests, events = (
            _sqlite_snapshot(url, snapshot) if kind == "sqlite" else _pg_snapshot(url, snapshot)
        )
        files: dict[str, dict[str, Any]] = {}
        partial = Path(work) / "archive.partial"
        with _open_for_writing(partial, dest.name.endswith((".gz", ".tgz"))) as tar:
            for name, path in [(member, snapshot), *_data_files(data_dir)]:
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                digest = _sha256(path)
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
                files[name] = {"sha256": digest, "size": info.size}
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
                "source": _safe(url),
                "database": {
                    "kind": kind,
                    "member": member,
                    "revision": revision,
                    "requests": requests,
                    "events": events,
                },
                "files": files,
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(body))
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, dest)
    return Summary(dest, kind, revision, requests, events, len(files) - 1, dest.stat().st_size)


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name not in ("", ".")


def read_manifest(archive: Path) -> dict[str, Any]:
    """The archive's manifest, after checking every member against it (nothing missing, nothing
    extra, every SHA-256 and size as recorded). Raises BackupError naming the first problem."""
    if not archive.is_file():
        raise BackupError(f"no archive at {archive}")
    try:
        with tarfile.open(archive, "r:*") as tar:
            manifest = _manifest_of(tar, archive)
            expected: dict[str, Any] = manifest["files"]
            seen: set[str] = set()
            for info in tar:
                if info.name == MANIFEST:
                    continue
                if not info.isfile() or not _safe_name(info.name) or info.name not in expected:
                    raise BackupError(
                        f"{archive} is not as its manifest says: unexpected member {info.name!r}"
                    )
                if info.name in seen:
                    raise BackupError(f"{archive} holds {info.name!r} twice")
                seen.add(info.name)
                handle = tar.extractfile(info)
                assert handle is not None
                digest = hashlib.sha256()
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
                want = expected[info.name]
                if info.size != want["size"] or digest.hexdigest() != want["sha256"]:
                    raise BackupError(
                        f"{archive} is damaged: {info.name} does not match the SHA-256 in its manifest "
                        f"(recorded {str(want['sha256'])[:16]}…, found {digest.hexdigest()[:16]}…); "
                        "nothing was restored"
                    )
            missing = sorted(set(expected) - seen)
            if missing:
                raise BackupError(f"{archive} is incomplete: {missing[0]} is missing ({len(missing)} in all)")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"{archive} is damaged or not a caseflow backup: {exc}") from None
    return manifest


def _manifest_of(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        handle = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError(f"{archive} is not a caseflow backup (no {MANIFEST})") from None
    if handle is None:
        raise BackupError(f"{archive}: {MANIFEST} is not a file")
    try:
        manifest = json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive} is damaged: its {MANIFEST} cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a caseflow backup")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{archive} is a backup of format {manifest.get('version')}; this caseflow reads {VERSION}"
        )
    database = manifest.get("database")
    files = manifest.get("files")
    if not isinstance(database, dict) or not isinstance(files, dict) or database.get("member") not in files:
        raise BackupError(f"{archive} is damaged: its {MANIFEST} names no database")
    if not all(_safe_name(name) for name in files):
        raise BackupError(f"{archive} names a file outside the archive")
    return manifest


# --- restoring ----------------------------------------------------------------------------------


def _sqlite_tables(path: Path) -> int:
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


def _pg_tables(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
                    )
                ).scalar_one()
            )
    except SQLAlchemyError as exc:
        raise BackupError(
            f"cannot connect to {_safe(url)} (create the empty database first, e.g. createdb): "
            f"{getattr(exc, 'orig', exc)}"
        ) from None
    finally:
        engine.dispose()


@contextmanager
def _extracted(archive: Path, name: str, directory: Path) -> Iterator[Path]:
    """One member written to a temporary file in ``directory`` (removed afterwards unless moved)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".restore-")
    path = Path(tmp)
    try:
        with tarfile.open(archive, "r:*") as tar, os.fdopen(fd, "wb") as out:
            handle = tar.extractfile(name)
            assert handle is not None
            shutil.copyfileobj(handle, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        yield path
    finally:
        path.unlink(missing_ok=True)


def _conflicting_files(archive: Path, manifest: dict[str, Any], data_dir: Path) -> list[str]:
    """Keys and notices in the data directory that differ from the archive's (documents are
    named by their content and cannot differ)."""
    out = []
    for name, entry in manifest["files"].items():
        if not name.startswith("data/") or name.startswith("data/documents/"):
            continue
        target = data_dir / name.removeprefix("data/")
        if target.exists() and _sha256(target) != entry["sha256"]:
            out.append(name.removeprefix("data/"))
    return out


def _restore_files(archive: Path, manifest: dict[str, Any], data_dir: Path) -> int:
    """Write the archive's data files that the data directory lacks (or holds otherwise)."""
    written = 0
    with tarfile.open(archive, "r:*") as tar:
        for info in tar:
            if not info.name.startswith("data/"):
                continue
            target = data_dir / info.name.removeprefix("data/")
            if target.exists() and _sha256(target) == manifest["files"][info.name]["sha256"]:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tar.extractfile(info)
            assert handle is not None
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(handle, out, _CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, info.mode & 0o777)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written += 1
    return written


def _pg_replace(url: str, dump: Path) -> None:
    """Replace everything in the schema ``public`` with the dump, in one transaction: psql drops and
    recreates the schema and runs the SQL that pg_restore writes out (tables the backup does not
    have go too; on any error nothing changes)."""
    pg_restore, psql = _binary("pg_restore"), _binary("psql")
    conninfo, env = _libpq(url)
    script = subprocess.Popen(
        [pg_restore, "--no-owner", "--no-acl", "--file=-", str(dump)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None
    try:
        result = subprocess.run(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                f"--dbname={conninfo}",
                "--command=DROP SCHEMA IF EXISTS public CASCADE",
                "--command=CREATE SCHEMA public",
                "--file=-",
            ],
            env=env,
            stdin=script.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        script.stdout.close()
        _, script_errors = script.communicate()
    if script.returncode != 0:
        detail = script_errors.decode("utf-8", "replace").strip().splitlines()
        raise BackupError(f"pg_restore failed (exit {script.returncode}): {' / '.join(detail[-5:])}")
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(
            f"psql failed (exit {result.returncode}), the database is unchanged: {' / '.join(detail[-5:])}"
        )


def restore(
    archive: Path,
    url: str,
    *,
    data_dir: Path | None = None,
    force: bool = False,
) -> Summary:
    """Restore the archive into the database at ``url`` and the data directory. The archive is
    checked whole first; a database holding tables, or signing keys other than the archive's,
    are refused unless ``force``. The server must not be running on the target."""
    from caseflow.settings import get_settings

    kind = _kind(url)
    data_dir = data_dir if data_dir is not None else get_settings().data_dir
    manifest = read_manifest(archive)
    database: dict[str, Any] = manifest["database"]
    if database.get("kind") != kind:
        raise BackupError(
            f"{archive} holds a {database.get('kind')} database; restore it to a "
            f"{'sqlite:///' if database.get('kind') == 'sqlite' else 'postgresql+psycopg://'} URL, "
            f"not {_safe(url)}"
        )
    tables = _sqlite_tables(_sqlite_path(url)) if kind == "sqlite" else _pg_tables(url)
    if tables and not force:
        raise BackupError(
            f"{_safe(url)} is not empty ({tables} tables): refusing to overwrite it "
            "(give --force to replace its contents with the backup)"
        )
    conflicts = _conflicting_files(archive, manifest, data_dir)
    if conflicts and not force:
        raise BackupError(
            f"{data_dir} already holds {conflicts[0]} and it differs from the backup's: refusing to "
            "overwrite it (give --force to replace it)"
        )
    _restore_files(archive, manifest, data_dir)
    if kind == "sqlite":
        target = _sqlite_path(url)
        with _extracted(archive, database["member"], target.parent) as copy:
            for suffix in ("-wal", "-shm", "-journal"):  # an old log must never meet the new file
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(copy, target)
        restored = sqlite3.connect(target, timeout=30)
        try:
            found = _counts(lambda sql: _sqlite_scalar(restored, sql))
        finally:
            restored.close()
    else:
        with _extracted(archive, database["member"], Path(tempfile.gettempdir())) as dump:
            if tables:
                _pg_replace(url, dump)
            else:
                conninfo, env = _libpq(url)
                _run(
                    [
                        _binary("pg_restore"),
                        "--no-owner",
                        "--no-acl",
                        "--exit-on-error",
                        "--single-transaction",
                        f"--dbname={conninfo}",
                        str(dump),
                    ],
                    env,
                    "pg_restore",
                )
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                found = _counts(lambda sql: conn.execute(text(sql)).scalar())
        finally:
            engine.dispose()
    wanted = (database.get("revision"), database.get("requests"), database.get("events"))
    if found != wanted:
        raise BackupError(
            f"the restored database does not hold what the backup recorded: revision, requests, events "
            f"{found} instead of {wanted}"
        )
    files = len(manifest["files"]) - 1
    return Summary(archive, kind, found[0], found[1], found[2], files, archive.stat().st_size)
