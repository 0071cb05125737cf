"""Engines, sessions, SQLite pragmas, row locks and migrations.

SQLite (the default): WAL, foreign keys on, a busy timeout, and every transaction opened with
``BEGIN IMMEDIATE`` so that two writers never both read and then collide on the write lock.
PostgreSQL: ``SELECT ... FOR UPDATE`` on the request row serialises the transitions of one request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from caseflow.models import Case
from caseflow.settings import get_settings

#: Execution option marking a connection whose transaction will write (see ``begin_write``).
WRITE_OPTION = "caseflow_write"


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write transaction.

    On SQLite this is ``BEGIN IMMEDIATE``: the write lock is taken before anything is read, so two
    writers never both read and then collide. A read-only transaction still open on the session is
    ended first (it holds no changes: pending changes would be a programming error).
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write: the session holds unsaved changes")
        session.rollback()
    session.connection(execution_options={WRITE_OPTION: True})


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """One write transaction (``begin_write``): committed when the block ends, rolled back on any
    error, so a refusal leaves nothing changed."""
    begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with caseflow's settings for its database."""
    kwargs.setdefault("hide_parameters", True)  # SQL parameters never in logs nor in error texts
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # FULL: a commit the caller saw is on disk (evidence must survive a power cut too).
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            # Writers take the write lock up front (no deadlock upgrading a read); readers don't.
            immediate = connection.get_execution_options().get(WRITE_OPTION)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The process's engine for ``CASEFLOW_DATABASE_URL``."""
    return _engine_for(get_settings().database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        yield session


_LOCK_CASE = (
    select(Case).where(col(Case.id) == bindparam("case_id")).execution_options(populate_existing=True)
)
_LOCK_CASE_FOR_UPDATE = _LOCK_CASE.with_for_update()


def lock_case(session: Session, case_id: int) -> Case | None:
    """The request row, locked for this transaction (FOR UPDATE on PostgreSQL; on SQLite the
    transaction already holds the write lock from BEGIN IMMEDIATE). Statements built once."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    stmt = _LOCK_CASE if sqlite else _LOCK_CASE_FOR_UPDATE
    return session.exec(stmt, params={"case_id": case_id}).one_or_none()


def migrations_dir() -> Path:
    """Alembic's scripts: shipped inside the package, or at the project root in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations", here.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("caseflow's migrations are missing from this installation")


def upgrade(url: str | None = None) -> None:
    """Create or migrate the database to the newest schema (Alembic ``upgrade head``).

    Without ``url``: through the owner's ``CASEFLOW_MIGRATION_DATABASE_URL`` when it is set (and
    then the application's role is granted what it needs, see ``caseflow.privileges``), else
    through ``CASEFLOW_DATABASE_URL``."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import ProgrammingError

    from caseflow.privileges import PrivilegeError, grant_after_migration, owner_url

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", (url or owner_url()).replace("%", "%%"))
    config.attributes["configure_logger"] = False
    try:
        command.upgrade(config, "head")
    except ProgrammingError as exc:
        if getattr(getattr(exc, "orig", None), "sqlstate", None) != "42501":  # insufficient_privilege
            raise
        raise PrivilegeError(
            "数据库结构需要升级，但连接的角色无权修改结构：请设置 CASEFLOW_MIGRATION_DATABASE_URL"
            f"（所有者角色）后运行 caseflow init（{exc.orig}）"
        ) from None
    if url is None:
        grant_after_migration()


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def query_plan(session: Session, statement: Any) -> list[str]:
    """The database's plan for ``statement`` (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``),
    with its parameters bound, one line per step."""
    bind = session.get_bind()
    compiled = statement.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "
    rows = session.execute(text(prefix + str(compiled))).all()
    return [str(row[-1]) for row in rows]
