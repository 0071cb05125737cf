"""Least privilege on PostgreSQL (issue 13, item 3): an owner role migrates, the application's role
owns nothing and cannot touch the evidence triggers.

Each test makes its own two roles and database with the SQL that ``caseflow init --print-roles``
prints (run by psql as the superuser ``postgres``), migrates with ``caseflow init`` through
``CASEFLOW_MIGRATION_DATABASE_URL``, and then works as the application's role: the service layer
registers and carries requests, the scheduled jobs and the leader lock run, a backup is taken and
restored (by the owner) and the application still works, while every way of rewriting the
evidence (disabling or dropping its triggers, ``session_replication_role``, UPDATE, DELETE,
TRUNCATE, DROP) fails with ``insufficient_privilege``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner, Result

import caseflow.db
from caseflow import service
from caseflow.calendar import reset_default_calendar
from caseflow.cli import app as cli
from caseflow.dates import SHANGHAI
from caseflow.evidence.chain import verify_all
from caseflow.models import EvidenceEvent, User
from caseflow.privileges import privilege_warnings
from caseflow.scheduled import run_all
from caseflow.scheduled.leader import leader_for
from caseflow.settings import get_settings
from tests.conftest import require
from tests.integration.conftest import PG_URL, _admin_engine, _postgres_available

pytestmark = pytest.mark.postgres
_names = itertools.count()
PASSWORD = "correct horse battery staple"


@dataclass
class Split:
    owner: str
    app: str
    database: str

    def url(self, role: str) -> str:
        return (
            make_url(PG_URL)
            .set(username=role, password=None, database=self.database)
            .render_as_string(hide_password=False)
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            "CASEFLOW_DATABASE_URL": self.url(self.app),
            "CASEFLOW_MIGRATION_DATABASE_URL": self.url(self.owner),
        }


def _forget() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


def run_cli(env: dict[str, str], data_dir: Path, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CASEFLOW_MIGRATION_DATABASE_URL", raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
        _forget()
        try:
            return CliRunner().invoke(cli, list(args))
        finally:
            caseflow.db._engine_for(env["CASEFLOW_DATABASE_URL"]).dispose()
            _forget()


@pytest.fixture
def split(isolated_data_dir: Path) -> Iterator[Split]:
    """Two fresh roles and their database, made with the SQL ``caseflow init --print-roles`` prints."""
    require("PostgreSQL", _postgres_available())
    require("psql", None if shutil.which("psql") else "psql not on PATH")
    n = f"{os.getpid()}_{next(_names)}"
    roles = Split(owner=f"cf_own_{n}", app=f"cf_app_{n}", database=f"cf_lp_{n}")
    printed = run_cli(roles.env, isolated_data_dir, "init", "--print-roles")
    assert printed.exit_code == 0, printed.output
    assert f"CREATE ROLE {roles.owner} LOGIN" in printed.output
    assert f"CREATE DATABASE {roles.database} OWNER {roles.owner};" in printed.output
    server = make_url(PG_URL)
    made = subprocess.run(
        ["psql", "--no-psqlrc", "--set=ON_ERROR_STOP=1", "--quiet", "-h", str(server.host), "-p",
         str(server.port or 5432), "-U", str(server.username), "-d", str(server.database)],
        input=printed.output,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    try:
        assert made.returncode == 0, made.stderr
        yield roles
    finally:
        admin = _admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{roles.database}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{roles.app}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{roles.owner}"'))
        admin.dispose()


FORBIDDEN = [
    "ALTER TABLE evidence_event DISABLE TRIGGER evidence_event_no_update_delete",
    "ALTER TABLE evidence_event DISABLE TRIGGER ALL",
    "DROP TRIGGER evidence_event_no_update_delete ON evidence_event",
    "SET session_replication_role = replica",
    "UPDATE evidence_event SET hash = hash",
    "DELETE FROM evidence_event",
    "TRUNCATE evidence_event",
    "DROP TABLE evidence_event",
    "DROP TABLE request CASCADE",
    "ALTER TABLE evidence_event ADD COLUMN note text",
    "DROP FUNCTION evidence_event_append_only() CASCADE",
    "UPDATE report_lock SET year = year",
    "DELETE FROM report_lock",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE shadow (id integer)",
]


def _refused(engine: Engine, sql: str) -> str | None:
    """The SQLSTATE ``sql`` fails with as the engine's role (None if it succeeded; rolled back)."""
    with engine.connect() as conn:
        try:
            conn.execute(text(sql))
        except DBAPIError as exc:
            return getattr(exc.orig, "sqlstate", None)
        finally:
            conn.rollback()
    return None


def _state(owner: Engine) -> tuple[int, list[str], list[str]]:
    """(evidence events, the evidence triggers' enabled flags, tables owned by anyone but the owner)."""
    with owner.connect() as conn:
        events = int(conn.execute(text("SELECT count(*) FROM evidence_event")).scalar_one())
        triggers = list(
            conn.execute(
                text(
                    "SELECT tgname || '=' || tgenabled::text FROM pg_trigger "
                    "WHERE tgrelid = 'evidence_event'::regclass AND NOT tgisinternal ORDER BY tgname"
                )
            ).scalars()
        )
        foreign = list(
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = 'public' AND tableowner <> current_user"
                )
            ).scalars()
        )
    return events, triggers, foreign


def _register_and_act(engine: Engine) -> str:
    """Through the service layer as the application's role: a new request, a note on it."""
    with Session(engine, expire_on_commit=False) as session:
        clerk = session.exec(select(User).where(col(User.username) == "clerk")).one()
        actor = service.Actor.of(session, clerk)
        case = service.register(
            session=session,
            actor=actor,
            agency_code="city",
            application={
                "applicant_type": "natural_person",
                "applicant_name": "钱七",
                "id_type": "居民身份证",
                "id_number": "110101199001055678",
                "phone": "13900000000",
                "description": "本市2025年道路养护合同",
                "provision_form": "electronic",
                "channel": "in_person",
                "arrived_at": (dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)).isoformat(),
            },
        )
        assert case.id is not None
        service.perform(
            session=session, case_id=case.id, actor=actor, action="add_note", facts={"text": "已电话联系"}
        )
        checked, problem = verify_all(session)
        assert problem is None, str(problem)
        events = session.exec(
            select(func.count()).select_from(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id)
        ).one()
        assert events == 2
        return case.tracking_no


def test_the_application_role_works_but_cannot_rewrite_the_evidence(
    split: Split, isolated_data_dir: Path, tmp_path: Path
) -> None:
    # the demo migrates through the owner and then works as the application's role (registration,
    # actions, letters); init afterwards says which role does what and warns about nothing
    demo = run_cli(split.env, isolated_data_dir, "demo", "--cases", "3", "--password", PASSWORD)
    assert demo.exit_code == 0, demo.output
    done = run_cli(split.env, isolated_data_dir, "init", "--admin-password", PASSWORD)
    assert done.exit_code == 0, done.output
    assert f"迁移以所有者角色 {split.owner} 进行；应用角色 {split.app} 已获授权" in " ".join(
        done.output.split()
    )
    assert "warning" not in done.output

    app = caseflow.db.make_engine(split.url(split.app))
    owner = caseflow.db.make_engine(split.url(split.owner))
    superuser = caseflow.db.make_engine(make_url(PG_URL).set(database=split.database).render_as_string(False))
    try:
        # a new request with a note, every scheduled job, the leader lock
        _register_and_act(app)
        runs = run_all(app, dt.datetime.now(SHANGHAI))
        assert runs and all(run.status != "failed" for run, _result in runs), [r.status for r, _ in runs]
        leader = leader_for(app)
        assert leader.try_acquire() and leader.held()
        leader.release()

        # UPDATE is withheld exactly on the tables guarded by an append-only trigger (the evidence,
        # the report locks, and those added since, such as the checkpoint log) and alembic_version
        with owner.connect() as conn:
            guarded = set(
                conn.execute(
                    text(
                        "SELECT DISTINCT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                        "JOIN pg_proc p ON p.oid = g.tgfoid WHERE p.proname LIKE '%append_only%'"
                    )
                ).scalars()
            )
            frozen = set(
                conn.execute(
                    text(
                        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = 'public' AND c.relkind = 'r' "
                        "AND NOT has_table_privilege(:app, c.oid, 'UPDATE')"
                    ),
                    {"app": split.app},
                ).scalars()
            )
        assert {"evidence_event", "report_lock"} <= guarded
        assert frozen == guarded | {"alembic_version"}

        before = _state(owner)
        assert before[0] > 0 and before[2] == []  # the owner owns every table
        assert all(flag.endswith("=O") for flag in before[1]) and len(before[1]) == 2
        for sql in FORBIDDEN:
            assert _refused(app, sql) == "42501", sql  # insufficient_privilege
        assert _state(owner) == before
        with app.connect() as conn:
            owned = conn.execute(
                text(
                    "SELECT count(*) FROM pg_class "
                    "WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
                )
            ).scalar_one()
        assert owned == 0

        # who is warned about at start: the superuser and the owner, not the application's role
        assert privilege_warnings(app) == []
        assert any("超级用户" in w for w in privilege_warnings(superuser))
        assert any("所有者" in w for w in privilege_warnings(owner))

        # a backup taken with the application's role, restored over the database by the owner:
        # the application's role is granted again and still cannot rewrite the evidence
        archive = tmp_path / "backup.tar"
        made = run_cli(split.env, isolated_data_dir, "backup", str(archive))
        assert made.exit_code == 0, made.output
        later = _register_and_act(app)
        app.dispose()
        # the application's role alone cannot restore (it owns nothing): refused, nothing changed
        grown = _state(owner)
        alone = run_cli(
            {"CASEFLOW_DATABASE_URL": split.url(split.app)},
            isolated_data_dir,
            "restore",
            "--force",
            str(archive),
        )
        assert alone.exit_code == 2, alone.output
        assert "CASEFLOW_MIGRATION_DATABASE_URL" in "".join(alone.output.split())
        assert _state(owner) == grown
        restored = run_cli(split.env, isolated_data_dir, "restore", "--force", str(archive))
        assert restored.exit_code == 0, restored.output
        assert _state(owner)[0] == before[0] and _state(owner)[2] == []
        _register_and_act(app)
        for sql in FORBIDDEN:
            assert _refused(app, sql) == "42501", sql
        # the replaced tables are kept, out of the application's reach
        assert _refused(app, "SELECT count(*) FROM caseflow_before_restore.request") == "42501"
        with owner.connect() as conn:
            kept = conn.execute(
                text("SELECT count(*) FROM caseflow_before_restore.request WHERE tracking_no = :t"),
                {"t": later},
            ).scalar_one()
        assert kept == 1
        checked = run_cli(split.env, isolated_data_dir, "verify")
        assert checked.exit_code == 0, checked.output
    finally:
        for engine in (app, owner, superuser):
            engine.dispose()


def test_the_application_role_cannot_migrate_and_is_told_how(split: Split, isolated_data_dir: Path) -> None:
    only_app = {"CASEFLOW_DATABASE_URL": split.url(split.app)}
    refused = run_cli(only_app, isolated_data_dir, "init", "--admin-password", PASSWORD)
    assert refused.exit_code == 2, refused.output
    assert "CASEFLOW_MIGRATION_DATABASE_URL" in "".join(refused.output.split())
    owner = caseflow.db.make_engine(split.url(split.owner))
    try:
        with owner.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
        assert tables == 0
    finally:
        owner.dispose()


def test_the_server_warns_at_start_when_its_role_could_disable_the_triggers(
    split: Split, isolated_data_dir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(split.env, isolated_data_dir, "init", "--admin-password", PASSWORD).exit_code == 0
    import caseflow.api.main

    monkeypatch.setenv("CASEFLOW_SCHEDULER", "false")
    for url, warned in ((split.url(split.owner), "所有者"), (split.url(split.app), None)):
        monkeypatch.setenv("CASEFLOW_DATABASE_URL", url)
        _forget()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="caseflow.privileges"):
            caseflow.api.main.served_app()
        caseflow.db._engine_for(url).dispose()
        messages = [r.getMessage() for r in caplog.records if r.name == "caseflow.privileges"]
        if warned:
            assert any(warned in m for m in messages), messages
        else:
            assert messages == []
    _forget()
