"""PostgreSQL: ``pg_dump`` in one snapshot for a backup; a restore done in one transaction.

A restore first reads the dump whole (``pg_restore --list``, then the complete SQL script written
to a temporary file: a damaged dump is refused before the database is touched). Then one ``psql
--single-transaction`` run renames the schema ``public`` holding tables to
``caseflow_before_restore`` (an older schema of that name is renamed after the moment, never
dropped), creates ``public`` afresh, runs the script, checks the revision and the counts of
requests and evidence events against the manifest, and grants the application's role what it
needs (split roles, see ``caseflow.privileges``). Any error, a count that differs included, rolls
the whole transaction back: the database is as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from caseflow.backup.common import BackupError, Counts, counts, counts_differ, safe_url

#: Where a restore keeps the schema it replaced (and pg_dump leaves it out of backups).
PREVIOUS_SCHEMA = "caseflow_before_restore"
_MISMATCH = "caseflow-restore-mismatch"


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The connection string for pg_dump/pg_restore/psql, and the environment carrying the
    password (never on the command line, where other users could read it)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: PostgreSQL backups need the PostgreSQL client programs (pg_dump, "
            "pg_restore) of the server's major version on PATH (Debian: apt install postgresql-client)"
        )
    return found


def _detail(result: subprocess.CompletedProcess[str]) -> str:
    return " / ".join((result.stderr or result.stdout).strip().splitlines()[-5:])


def run(args: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {_detail(result)}")
    return result


def snapshot(url: str, dest: Path) -> Counts:
    """``pg_dump --format=custom`` inside a snapshot exported by a repeatable-read transaction that
    also counts what it dumps (the counts and the dump see the same instant)."""
    pg_dump = binary("pg_dump")
    conninfo, env = libpq(url)
    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                exported = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                try:
                    found = counts(lambda sql: conn.execute(text(sql)).scalar())
                except SQLAlchemyError as exc:
                    raise BackupError(f"not a caseflow database: {getattr(exc, 'orig', exc)}") from None
                run(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={exported}",
                        f"--exclude-schema={PREVIOUS_SCHEMA}*",
                        f"--file={dest}",
                        conninfo,
                    ],
                    env,
                    "pg_dump",
                )
                return found
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read {safe_url(url)}: {getattr(exc, 'orig', exc)}") from None
    finally:
        engine.dispose()


def tables(url: str) -> int:
    """The tables in the schema ``public`` (the one a restore replaces)."""
    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
                ).scalar_one()
            )
    except SQLAlchemyError as exc:
        raise BackupError(
            f"cannot connect to {safe_url(url)} (create the empty database first, e.g. createdb): "
            f"{getattr(exc, 'orig', exc)}"
        ) from None
    finally:
        engine.dispose()


def _script(dump: Path, directory: Path) -> Path:
    """The dump read whole into the SQL script psql will run (a damaged dump fails here)."""
    pg_restore = binary("pg_restore")
    env = dict(os.environ)
    try:
        run([pg_restore, "--list", str(dump)], env, "pg_restore --list")
        script = directory / "restore.sql"
        run([pg_restore, "--no-owner", "--no-acl", f"--file={script}", str(dump)], env, "pg_restore")
    except BackupError as exc:
        raise BackupError(f"备份中的数据库无法读取，未恢复，原数据库保持不变：{exc.message}") from None
    return script


def _sql_literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


#: Extensions (the text search's pg_trgm) went with the renamed schema; the dump's ``CREATE EXTENSION IF
#: NOT EXISTS ... WITH SCHEMA public`` would then do nothing and its indexes would find no operator class.
#: They are dropped (with the kept schema's trigram indexes, which only speed up searches) so that the
#: dump creates them anew in the new ``public``. Not moved: ``ALTER EXTENSION ... SET SCHEMA`` needs to
#: own every member function, which a trusted extension's creator (the owner role) does not; dropping
#: needs only the extension itself. (All in the restore's one transaction: a failure undoes it.)
_EXTENSIONS_BACK = f"""
DO $ext$ DECLARE x text; BEGIN
    FOR x IN SELECT e.extname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n
            ON n.oid = e.extnamespace WHERE n.nspname = '{PREVIOUS_SCHEMA}' LOOP
        EXECUTE format('DROP EXTENSION %I CASCADE', x);
    END LOOP;
END $ext$;
"""


def _prelude(keep_previous: bool, grant_role: str | None) -> str:
    if not keep_previous:
        return "SELECT 1;"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
    revoke = f"REVOKE ALL ON SCHEMA {PREVIOUS_SCHEMA} FROM {grant_role};" if grant_role else ""
    return f"""
DO $prev$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = '{PREVIOUS_SCHEMA}') THEN
        ALTER SCHEMA {PREVIOUS_SCHEMA} RENAME TO {PREVIOUS_SCHEMA}_{stamp};
    END IF;
END $prev$;
ALTER SCHEMA public RENAME TO {PREVIOUS_SCHEMA};
REVOKE ALL ON SCHEMA {PREVIOUS_SCHEMA} FROM PUBLIC;
{revoke}
COMMENT ON SCHEMA {PREVIOUS_SCHEMA} IS 'caseflow: the database as it was before the restore of {stamp}';
CREATE SCHEMA public;
{_EXTENSIONS_BACK}
"""


def _check(wanted: Counts) -> str:
    revision, requests, events = wanted
    return f"""
DO $check$
DECLARE r text; n bigint; e bigint;
BEGIN
    SELECT version_num INTO r FROM public.alembic_version;
    SELECT count(*) INTO n FROM public.request;
    SELECT count(*) INTO e FROM public.evidence_event;
    IF r IS DISTINCT FROM {_sql_literal(revision)} OR n <> {int(requests)} OR e <> {int(events)} THEN
        RAISE EXCEPTION '{_MISMATCH} (%, %, %)', r, n, e;
    END IF;
END $check$;
"""


def replace(url: str, dump: Path, wanted: Counts, *, grant_role: str | None = None) -> str | None:
    """Restore ``dump`` into the database at ``url`` in one transaction, as described above.
    Returns the schema the replaced tables were kept in (None when ``public`` held none)."""
    from caseflow.privileges import grant_sql

    psql = binary("psql")
    keep_previous = tables(url) > 0
    conninfo, env = libpq(url)
    with tempfile.TemporaryDirectory(prefix="caseflow-restore-") as work:
        script = _script(dump, Path(work))
        args = [
            psql,
            "--no-psqlrc",
            "--quiet",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--dbname={conninfo}",
            f"--command={_prelude(keep_previous, grant_role)}",
            f"--file={script}",
            f"--command={_check(wanted)}",
        ]
        if grant_role is not None:
            args.append(f"--command={grant_sql(grant_role)}")
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = _detail(result)
        if _MISMATCH in detail:
            found = detail.split(_MISMATCH, 1)[1].split(")", 1)[0].strip(" (")
            raise counts_differ(f"({found})", wanted)
        hint = (
            "（恢复须以所有者角色进行：请设置 CASEFLOW_MIGRATION_DATABASE_URL）"
            if "must be owner" in detail or "permission denied" in detail
            else ""
        )
        raise BackupError(
            f"恢复数据库时出错（psql exit {result.returncode}，已全部撤销），"
            f"未恢复，原数据库保持不变{hint}：{detail}"
        )
    return PREVIOUS_SCHEMA if keep_previous else None


def restored_counts(url: str) -> Counts:
    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            return counts(lambda sql: conn.execute(text(sql)).scalar())
    except SQLAlchemyError as exc:
        raise BackupError(f"cannot read {safe_url(url)}: {getattr(exc, 'orig', exc)}") from None
    finally:
        engine.dispose()
