"""Least privilege on PostgreSQL: an owner role migrates, the application's role owns nothing.

Two roles share one database. The owner role (``CASEFLOW_MIGRATION_DATABASE_URL``) owns the
database, its schema ``public`` and every table, trigger and sequence; migrations
(``caseflow init``) and ``caseflow restore`` run as it. The application's role
(``CASEFLOW_DATABASE_URL``) owns nothing: it may read and insert everywhere, update and delete
where the application does, and neither update nor delete the append-only tables (the evidence
events, the report locks, and any table guarded by an ``*_append_only`` trigger); it can alter,
drop or disable nothing, and cannot ``SET session_replication_role`` (superusers only). So the
triggers that keep the evidence append-only hold against the account the web server runs as.

The grants are not a migration: the application's role is a fact of the deployment, not of the
schema. They are applied after every migration by ``caseflow.db.upgrade`` (idempotent, one DO
block) and after every restore, and the owner's default privileges give new tables SELECT and
INSERT to the application's role even before that.

Without ``CASEFLOW_MIGRATION_DATABASE_URL`` (SQLite, or a simple PostgreSQL setup) migrations run
as ``CASEFLOW_DATABASE_URL`` as before, and ``caseflow serve`` logs a warning when that role is a
superuser or owns the tables.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from caseflow.settings import Settings, get_settings

log = logging.getLogger("caseflow.privileges")

#: Tables the application appends to and never changes (their triggers refuse it too).
APPEND_ONLY = ("evidence_event", "report_lock")
#: Tables the application only reads.
READ_ONLY = ("alembic_version",)
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PrivilegeError(Exception):
    """The roles are not set up as they must be; the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def owner_url(settings: Settings | None = None) -> str:
    """The URL migrations and restores run through: the owner's, or the application's."""
    settings = settings or get_settings()
    return settings.migration_database_url or settings.database_url


def application_role(settings: Settings | None = None) -> str | None:
    """The application's role when it differs from the owner's (PostgreSQL only), else None."""
    settings = settings or get_settings()
    app_url, migration_url = settings.database_url, settings.migration_database_url
    if not migration_url or not is_postgres(app_url):
        return None
    app_user, owner_user = make_url(app_url).username, make_url(migration_url).username
    if not app_user or app_user == owner_user:
        return None
    return checked_role(app_user)


def checked_role(name: str) -> str:
    if not _ROLE.match(name):
        raise PrivilegeError(f"角色名 {name!r} 不可用：只能用字母、数字和下划线（不以数字开头）")
    return name


def grant_sql(role: str) -> str:
    """One DO block giving ``role`` exactly what the application needs in schema ``public``,
    taking away anything more it was given on the tables (run as the tables' owner)."""
    checked_role(role)
    append_only = ", ".join(f"'{name}'" for name in APPEND_ONLY)
    read_only = ", ".join(f"'{name}'" for name in READ_ONLY)
    return f"""
DO $grant$
DECLARE
    app CONSTANT text := '{role}';
    t record;
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = app
    ) THEN
        RAISE EXCEPTION 'caseflow: role % owns objects in schema public; '
            'REASSIGN OWNED BY % TO the owner role first', app, app;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
    FOR t IN
        SELECT c.relname,
               c.relname IN ({read_only}) AS read_only,
               c.relname IN ({append_only}) OR EXISTS (
                   SELECT 1 FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid
                   WHERE g.tgrelid = c.oid AND NOT g.tgisinternal AND p.proname LIKE '%append\\_only%'
               ) AS append_only
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
    LOOP
        EXECUTE format('REVOKE ALL ON public.%I FROM %I', t.relname, app);
        IF t.read_only THEN
            EXECUTE format('GRANT SELECT ON public.%I TO %I', t.relname, app);
        ELSIF t.append_only THEN
            EXECUTE format('GRANT SELECT, INSERT ON public.%I TO %I', t.relname, app);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO %I', t.relname, app);
        END IF;
    END LOOP;
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO %I', app);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO %I', app);
END
$grant$;
"""


def grant_application_role(url: str, role: str) -> None:
    """Apply ``grant_sql(role)`` through the owner's ``url`` in one transaction."""
    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(grant_sql(role).replace("%", "%%"))  # the driver's paramstyle
    except SQLAlchemyError as exc:
        raise PrivilegeError(
            f"未能为应用角色 {role} 授权（须以表的所有者角色运行）：{getattr(exc, 'orig', exc)}"
        ) from None
    finally:
        engine.dispose()


def grant_after_migration(settings: Settings | None = None) -> str | None:
    """After migrating through the owner's URL: grant the application's role (when split).
    Returns the role granted, or None."""
    settings = settings or get_settings()
    role = application_role(settings)
    if role is not None:
        grant_application_role(owner_url(settings), role)
    return role


def roles_sql(settings: Settings | None = None) -> str:
    """The SQL (run once by a superuser) creating the two roles and the database they share, with
    the names the configured URLs use (or caseflow_owner / caseflow_app / caseflow)."""
    settings = settings or get_settings()
    app = make_url(settings.database_url)
    owner = make_url(settings.migration_database_url) if settings.migration_database_url else None
    database = checked_role((owner.database if owner else None) or app.database or "caseflow")
    # Without the owner's URL the one configured role is no guide to either name: the defaults.
    owner_role = checked_role((owner.username if owner else None) or "caseflow_owner")
    split = owner is not None and app.username and app.username != owner_role
    app_role = checked_role(str(app.username) if split else "caseflow_app")
    host = app.host or "127.0.0.1"
    return "\n".join(
        [
            "-- 以超级用户运行一次（psql -U postgres）：所有者角色迁移和恢复，应用角色只办理业务",
            f"CREATE ROLE {owner_role} LOGIN PASSWORD '所有者的口令';",
            f"CREATE ROLE {app_role} LOGIN PASSWORD '应用的口令' NOSUPERUSER NOCREATEDB NOCREATEROLE;",
            f"CREATE DATABASE {database} OWNER {owner_role};",
            f"REVOKE ALL ON DATABASE {database} FROM PUBLIC;",
            f"GRANT CONNECT ON DATABASE {database} TO {app_role};",
            f"\\connect {database}",
            f"ALTER SCHEMA public OWNER TO {owner_role};",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            "-- 然后（环境变量）：",
            f"-- CASEFLOW_MIGRATION_DATABASE_URL=postgresql+psycopg://{owner_role}:…@{host}/{database}"
            "  （caseflow init、caseflow restore）",
            f"-- CASEFLOW_DATABASE_URL=postgresql+psycopg://{app_role}:…@{host}/{database}"
            "  （caseflow serve、caseflow worker）",
        ]
    )


def privilege_warnings(engine: Engine) -> list[str]:
    """What is wrong with the role ``engine`` connects as, for an application server: a
    superuser, or a member of the role owning the tables (either can drop or disable the
    evidence triggers). Empty on SQLite and for a least-privileged role."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
                "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND pg_has_role(current_user, tableowner, 'MEMBER'))"
            )
        ).one()
    user, superuser, owned = str(row[0]), bool(row[1]), int(row[2])
    out = []
    if superuser:
        out.append(
            f"应用以超级用户 {user} 连接数据库：它能停用证据表的触发器、改写证据。"
            "请按 caseflow init --print-roles 建立所有者角色和应用角色"
        )
    elif owned:
        out.append(
            f"应用以表的所有者 {user} 连接数据库（{owned}张表）：它能删除或停用证据表的触发器。"
            "请以所有者角色迁移（CASEFLOW_MIGRATION_DATABASE_URL），应用改用无所有权的角色"
        )
    return out


def warn_if_privileged(engine: Engine) -> list[str]:
    """Log ``privilege_warnings`` (a database that cannot be reached is left to the first request)."""
    try:
        warnings = privilege_warnings(engine)
    except SQLAlchemyError as exc:
        log.warning("could not check the database role's privileges: %s", exc.__class__.__name__)
        return []
    for warning in warnings:
        log.warning(warning)
    return warnings
