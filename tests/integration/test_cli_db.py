"""``caseflow init``, ``caseflow demo`` and ``caseflow verify`` against real databases.

Each command runs in-process through typer's CliRunner with CASEFLOW_DATABASE_URL and
CASEFLOW_DATA_DIR set and the settings, engine and calendar caches cleared around it. The
databases start empty (not migrated): a SQLite file in tmp_path, or a new PostgreSQL database.
"""

from __future__ import annotations

import itertools
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner, Result

import caseflow.db
from caseflow import law
from caseflow.accounts import authenticate
from caseflow.calendar import reset_default_calendar
from caseflow.cli import app
from caseflow.dates import SHANGHAI
from caseflow.models import Agency, Case, User
from caseflow.settings import get_settings
from caseflow.states.machine import State
from tests.integration.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ROLE_USERS = ("clerk", "reviewer", "supervisor", "auditor", "admin")
_names = itertools.count()


# --- helpers -------------------------------------------------------------------------------------


def _forget_caches() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


def run_cli(database_url: str, data_dir: Path, *args: str) -> Result:
    """``caseflow ARGS`` in-process, with its own settings, engine and calendar."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", database_url)
        mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
        _forget_caches()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            caseflow.db._engine_for(database_url).dispose()
            _forget_caches()


def flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


def handled(result: Result) -> bool:
    """The command ended by its own decision (typer.Exit), not by an uncaught exception."""
    return result.exception is None or isinstance(result.exception, SystemExit)


def _empty_database(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'caseflow.db'}"  # not even its directory exists yet
        return
    request.getfixturevalue(
        "postgres_template"
    )  # skips (or fails under CASEFLOW_REQUIRE_ALL) without a server
    name = f"cf_cli_{os.getpid()}_{next(_names)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, not migrated."""
    yield from _empty_database(tmp_path, request.param, request)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"  # created by the commands


def _session(url: str) -> Iterator[Session]:
    engine = caseflow.db.make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(caseflow.db.migrations_dir()))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


# --- caseflow init -----------------------------------------------------------------------------------


def test_init_creates_schema_signing_key_and_admin(fresh_url: str, data_dir: Path) -> None:
    result = run_cli(fresh_url, data_dir, "init", "--admin-password", PASSWORD)
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert "数据库已就绪" in out and "签名密钥已创建" in out and "已创建管理员 admin" in out
    assert PASSWORD not in result.output

    # the signing key: private key for its owner only, public key beside it, a matching pair
    private_path = data_dir / "keys" / "signing-key.pem"
    public_path = data_dir / "keys" / "signing-key.pub.pem"
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert public_path.is_file()
    private = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    public = serialization.load_pem_public_key(public_path.read_bytes())
    assert isinstance(private, Ed25519PrivateKey) and isinstance(public, Ed25519PublicKey)
    raw = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert private.public_key().public_bytes(*raw) == public.public_bytes(*raw)

    for session in _session(fresh_url):
        # the schema, at the newest migration, with the append-only triggers
        tables = set(inspect(session.get_bind()).get_table_names())
        assert {"agency", "app_user", "request", "evidence_event", "counter", "alembic_version"} <= tables
        version = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == _head_revision()
        if session.get_bind().dialect.name == "sqlite":
            triggers_sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            expected = {"evidence_event_no_update", "evidence_event_no_delete"}
        else:
            triggers_sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            expected = {"evidence_event_no_update_delete", "evidence_event_no_truncate"}
        assert expected <= set(session.execute(text(triggers_sql)).scalars())
        # the admin user, in the top agency, with the password given
        user = authenticate(session, "admin", PASSWORD)
        assert user is not None and user.role_set == {"admin"} and user.active
        assert authenticate(session, "admin", PASSWORD + "x") is None
        agency = session.get(Agency, user.agency_id)
        assert agency is not None and agency.parent_id is None and agency.code == "root"
        assert session.exec(select(func.count()).select_from(User)).one() == 1

    result = run_cli(fresh_url, data_dir, "verify")
    assert result.exit_code == 0, result.output
    assert "0件申请" in flat(result.output)


def test_init_twice_is_harmless(fresh_url: str, data_dir: Path) -> None:
    assert run_cli(fresh_url, data_dir, "init", "--admin-password", PASSWORD).exit_code == 0
    private_path = data_dir / "keys" / "signing-key.pem"
    key_before = private_path.read_bytes()
    public_before = private_path.with_name("signing-key.pub.pem").read_bytes()

    result = run_cli(fresh_url, data_dir, "init", "--admin-password", "another password entirely")
    assert result.exit_code == 0, result.output
    out = flat(result.output)
    assert "签名密钥已存在" in out and "管理员 admin 已存在" in out
    assert private_path.read_bytes() == key_before
    assert private_path.with_name("signing-key.pub.pem").read_bytes() == public_before
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    for session in _session(fresh_url):
        assert session.exec(select(func.count()).select_from(User)).one() == 1
        assert session.exec(select(func.count()).select_from(Agency)).one() == 1
        assert authenticate(session, "admin", PASSWORD) is not None  # the password is not replaced
        assert authenticate(session, "admin", "another password entirely") is None

    # and a third time without a password at all: nothing to ask for
    result = run_cli(fresh_url, data_dir, "init")
    assert result.exit_code == 0, result.output
    assert "已存在" in result.output


def test_init_refuses_a_short_password(fresh_url: str, data_dir: Path) -> None:
    result = run_cli(fresh_url, data_dir, "init", "--admin-password", "short7!")
    assert result.exit_code not in (0, 1), result.output
    assert handled(result), repr(result.exception)
    assert "Traceback" not in result.output
    out = flat(result.output)
    assert "password" in out and "密码至少8个字符" in out
    for session in _session(fresh_url):
        assert session.exec(select(func.count()).select_from(User)).one() == 0
        assert session.exec(select(func.count()).select_from(Agency)).one() == 0  # rolled back too
    # a good password afterwards works
    result = run_cli(fresh_url, data_dir, "init", "--admin-password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "已创建管理员 admin" in flat(result.output)


def test_init_without_a_password_and_no_terminal(fresh_url: str, data_dir: Path) -> None:
    result = run_cli(fresh_url, data_dir, "init")
    assert result.exit_code not in (0, 1), result.output
    assert handled(result), repr(result.exception)
    assert "--admin-password" in flat(result.output)
    for session in _session(fresh_url):
        assert session.exec(select(func.count()).select_from(User)).one() == 0


def test_init_as_a_subprocess(tmp_path: Path) -> None:
    """The real entry point (python -m caseflow): exit statuses and no traceback on refusal."""
    env = {
        **os.environ,
        "CASEFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'sub.db'}",
        "CASEFLOW_DATA_DIR": str(tmp_path / "data"),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "caseflow", *args],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    bad = run("init", "--admin-password", "abc")
    assert bad.returncode not in (0, 1), bad.stderr
    assert "Traceback" not in bad.stderr and "密码至少8个字符" in flat(bad.stderr)
    good = run("init", "--admin-password", PASSWORD)
    assert good.returncode == 0, good.stderr
    again = run("init", "--admin-password", PASSWORD)
    assert again.returncode == 0, again.stderr
    assert "已存在" in again.stdout
    assert run("verify").returncode == 0


# --- caseflow verify when the database cannot be read ------------------------------------------------


def test_verify_on_a_database_it_cannot_read_is_not_reported_as_broken(tmp_path: Path) -> None:
    """INTERFACES.md: ``caseflow verify`` exits 0 when intact and 1 naming the first broken link.

    A database that cannot be read (never initialised, unreachable) says nothing about the chains:
    the command must not answer with the "broken" status 1 (nor with a traceback), or a monitoring
    job would report tampering when the database is merely missing.
    """
    env = {
        **os.environ,
        "CASEFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'never-initialised.db'}",
        "CASEFLOW_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "caseflow", "verify"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode not in (0, 1), (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]


# --- caseflow demo -----------------------------------------------------------------------------------


DEMO_CASES = 40


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """One demo data set per database kind, shared by the tests below (they only read it)."""
    tmp = tmp_path_factory.mktemp(f"demo-{request.param}")
    for url in _empty_database(tmp, request.param, request):
        data_dir = tmp / "data"
        result = run_cli(url, data_dir, "demo", "--cases", str(DEMO_CASES), "--seed", "3")
        assert result.exit_code == 0, result.output
        assert f"演示数据：{DEMO_CASES}件依申请公开" in flat(result.output)
        yield url, data_dir


def _column_values(url: str, column: str) -> list[object]:
    values: list[object] = []
    for session in _session(url):
        values = list(session.exec(select(getattr(Case, column))))
    return values


def test_demo_covers_every_state(demo_db: tuple[str, Path]) -> None:
    url, _ = demo_db
    states = _column_values(url, "state")
    assert len(states) == DEMO_CASES
    missing = {s.value for s in State} - set(states)
    assert not missing, f"the demo's {DEMO_CASES} requests leave out the states {sorted(missing)}"
    assert set(states) <= {s.value for s in State}


def test_demo_covers_every_outcome(demo_db: tuple[str, Path]) -> None:
    url, _ = demo_db
    outcomes = {o for o in _column_values(url, "outcome") if o is not None}
    missing = {o.code for o in law.OUTCOMES} - outcomes
    assert not missing, f"the demo's {DEMO_CASES} requests leave out the outcomes {sorted(missing)}"
    assert outcomes <= set(law.OUTCOMES_BY_CODE)


def test_demo_spans_this_year_and_last(demo_db: tuple[str, Path]) -> None:
    import datetime as dt

    url, _ = demo_db
    years = {d.year for d in _column_values(url, "receipt_date")}  # type: ignore[attr-defined]
    this_year = dt.datetime.now(SHANGHAI).year
    assert years == {this_year - 1, this_year}


def test_demo_has_one_user_per_role(demo_db: tuple[str, Path]) -> None:
    url, _ = demo_db
    for session in _session(url):
        users = {u.username: u for u in session.exec(select(User).where(col(User.username).in_(ROLE_USERS)))}
        assert set(users) == set(ROLE_USERS)
        for name in ROLE_USERS:
            assert users[name].role_set == {name}
        # the documented default password (printed by the command)
        assert authenticate(session, "clerk", "caseflow-demo") is not None
        assert authenticate(session, "auditor", "caseflow-demo") is not None


def test_verify_passes_after_demo(demo_db: tuple[str, Path]) -> None:
    url, data_dir = demo_db
    result = run_cli(url, data_dir, "verify")
    assert result.exit_code == 0, result.output
    assert f"证据链完整：{DEMO_CASES}件申请" in flat(result.output)
    for session in _session(url):
        first = session.exec(select(Case).order_by(col(Case.id))).first()
        assert first is not None
        tracking_no = first.tracking_no
    result = run_cli(url, data_dir, "verify", "--case", tracking_no)
    assert result.exit_code == 0, result.output


def test_demo_twice_is_refused(demo_db: tuple[str, Path]) -> None:
    url, data_dir = demo_db
    result = run_cli(url, data_dir, "demo", "--cases", "5", "--seed", "3")
    assert result.exit_code not in (0, 1), result.output
    assert handled(result), repr(result.exception)
    out = flat(result.output)
    assert "数据库中已有机关" in out and "空数据库" in out
    assert len(_column_values(url, "id")) == DEMO_CASES  # nothing added


def test_demo_at_scale_bulk_inserts_history_with_valid_chains(tmp_path: Path) -> None:
    """Above 2,000 requests the demo carries 300 through the services and bulk-inserts the rest."""
    url = f"sqlite:///{tmp_path / 'big.db'}"
    result = run_cli(url, tmp_path / "data", "demo", "--cases", "2600", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "演示数据：2600件依申请公开" in flat(result.output)
    states = _column_values(url, "state")
    assert len(states) == 2600 and {s.value for s in State} <= set(states)
    agencies = _column_values(url, "agency_id")
    assert len(set(agencies)) > 1  # spread over the agency tree
    for session in _session(url):
        handled = session.exec(
            select(Case.agency_id, User.agency_id).join(User, col(User.id) == col(Case.handler_id))
        ).all()
        assert handled and all(case_agency == clerk_agency for case_agency, clerk_agency in handled)
        late = session.exec(select(Case).where(col(Case.answered_on) > col(Case.reply_due))).all()
        assert late  # a few replies are late, as in real offices
    assert len(set(_column_values(url, "description"))) > 20  # what applicants ask for varies
    checked = run_cli(url, tmp_path / "data", "verify")
    assert checked.exit_code == 0 and "2600件申请" in flat(checked.output)
