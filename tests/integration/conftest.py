"""Integration fixtures: every test gets its own freshly migrated database, SQLite or PostgreSQL.

SQLite: the schema is migrated once into a template file, copied for each test. PostgreSQL: the
schema is migrated once into a template database, and each test gets ``CREATE DATABASE ...
TEMPLATE`` (dropped afterwards). PostgreSQL comes from ``CASEFLOW_TEST_POSTGRES_URL`` (default:
the local server); without it the PostgreSQL variants skip, or fail under ``CASEFLOW_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from caseflow import service
from caseflow.accounts import create_agency, hash_password
from caseflow.dates import SHANGHAI
from caseflow.db import make_engine, upgrade
from caseflow.models import Case, User
from caseflow.settings import get_settings
from tests.conftest import require

PG_URL = os.environ.get("CASEFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_counter = itertools.count()


def _admin_engine() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _admin_sql(*statements: str) -> None:
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        admin.dispose()


def _postgres_template_name() -> str:
    """The migrated template database of this process (one per pytest-xdist worker)."""
    return f"cf_tpl_{os.getpid()}"


def _postgres_available() -> str | None:
    try:
        with _admin_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means: no server to test against
        return f"PostgreSQL not reachable at {make_url(PG_URL).render_as_string()}: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")  # its engine is disposed: the last close checkpoints the WAL
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    require("PostgreSQL", _postgres_available())
    name = _postgres_template_name()
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "caseflow.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"cf_t_{os.getpid()}_{next(_counter)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


DemoCopy = Callable[..., None]


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCopy]:
    """``demo_copy(engine, data_dir, cases=N, seed=S)``: the test's database becomes the demo data
    set (``build_demo(cases=N, seed=S)`` with a signing key), and ``data_dir`` receives the demo's
    data directory (its keys). The demo is built once per session (per pytest-xdist worker), per
    database kind, size and seed, and copied: a SQLite file copy, or PostgreSQL's ``CREATE DATABASE
    ... TEMPLATE``. (Building it takes seconds, most of them hashing the demo users' passwords.)"""
    from caseflow.calendar import reset_default_calendar
    from caseflow.demo_data import build_demo
    from caseflow.evidence.keys import ensure_signing_key

    built: dict[tuple[str, int, int], tuple[str, Path]] = {}  # (kind, cases, seed) -> (database, data)
    databases: list[str] = []

    def build(engine: Engine, cases: int, seed: int) -> tuple[str, Path]:
        folder = tmp_path_factory.mktemp("demo")
        if engine.dialect.name == "sqlite":
            assert engine.url.database is not None
            database = str(folder / "demo.db")
            # the test's own database, migrated and still empty: the demo's starting point
            engine.dispose()
            shutil.copy(engine.url.database, database)
            url = f"sqlite:///{database}"
        else:
            database = f"cf_demo_{os.getpid()}_{next(_counter)}"
            _admin_sql(f'CREATE DATABASE "{database}" TEMPLATE "{_postgres_template_name()}"')
            databases.append(database)
            url = make_url(PG_URL).set(database=database).render_as_string(hide_password=False)
        data_dir = folder / "data"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
            get_settings.cache_clear()
            reset_default_calendar()
            ensure_signing_key()
            demo = make_engine(url)
            try:
                with Session(demo, expire_on_commit=False) as session:
                    build_demo(session, cases=cases, seed=seed)
            finally:
                demo.dispose()  # SQLite: the last close checkpoints the WAL into the file
        get_settings.cache_clear()
        reset_default_calendar()
        return database, data_dir

    def copy(engine: Engine, data_dir: Path, *, cases: int, seed: int) -> None:
        key = (engine.dialect.name, cases, seed)
        if key not in built:
            built[key] = build(engine, cases, seed)
        database, demo_data = built[key]
        engine.dispose()
        if engine.dialect.name == "sqlite":
            assert engine.url.database is not None
            target = Path(engine.url.database)
            for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
                stale.unlink(missing_ok=True)
            shutil.copy(database, target)
        else:
            _admin_sql(
                f'DROP DATABASE IF EXISTS "{engine.url.database}" WITH (FORCE)',
                f'CREATE DATABASE "{engine.url.database}" TEMPLATE "{database}"',
            )
        shutil.copytree(demo_data, data_dir, dirs_exist_ok=True)

    yield copy
    _admin_sql(*(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)' for database in databases))


@pytest.fixture
def engine(db_url: str, isolated_data_dir: Path) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


_HASH: dict[str, str] = {}


def _password_hash() -> str:
    if "h" not in _HASH:
        _HASH["h"] = hash_password("correct horse battery")
    return _HASH["h"]


T0 = dt.datetime(2026, 9, 28, 9, 30, tzinfo=SHANGHAI)  # a Monday


@dataclass
class World:
    """An agency tree (city > dept, city > district) and an actor per role."""

    session: Session
    actors: dict[str, service.Actor]

    def __getitem__(self, name: str) -> service.Actor:
        return self.actors[name]

    def application(self, **changes: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "applicant_type": "natural_person",
            "applicant_name": "𠀾王小明",
            "id_type": "居民身份证",
            "id_number": "１１０１０１１９９００１０７１２３Ｘ",
            "phone": "13800000000",
            "email": "",
            "address": "",
            "description": "2025年本市道路维修工程的预算",
            "provision_form": "electronic",
            "channel": "in_person",
            "arrived_at": T0.isoformat(),
        }
        base.update(changes)
        return base

    def new_case(
        self, *, agency: str = "city", actor: str = "clerk", at: dt.datetime = T0, **changes: Any
    ) -> Case:
        return service.register(
            session=self.session,
            actor=self.actors[actor],
            agency_code=agency,
            application=self.application(arrived_at=at.isoformat(), **changes),
            now=at,
        )

    def act(
        self,
        case: Case,
        action: str,
        facts: dict[str, Any] | None = None,
        *,
        actor: str = "clerk",
        at: dt.datetime | None = None,
        expected_version: int | None = None,
    ) -> Case:
        assert case.id is not None
        return service.perform(
            session=self.session,
            case_id=case.id,
            actor=self.actors[actor],
            action=action,
            facts=facts,
            now=at or T0 + dt.timedelta(days=1),
            expected_version=expected_version,
        )


USERS = (
    # username, roles, agency
    ("clerk", "clerk", "city"),
    ("reviewer", "reviewer", "city"),
    ("supervisor", "supervisor", "city"),
    ("auditor", "auditor", "city"),
    ("admin", "admin", "city"),
    ("clerk2", "clerk", "city"),
    ("dept_clerk", "clerk", "dept"),
    ("dept_reviewer", "reviewer", "dept"),
    ("dept_supervisor", "supervisor", "dept"),
    ("district_clerk", "clerk", "district"),
)


@pytest.fixture
def world(session: Session) -> World:
    create_agency(
        session,
        code="city",
        name="某市人民政府办公室",
        letter_prefix="某政办公开",
        review_body="某市人民政府",
        court="某市中级人民法院",
    )
    create_agency(
        session,
        code="dept",
        name="某市自然资源和规划局",
        parent_code="city",
        letter_prefix="某自然资规公开",
        review_body="某市人民政府",
        court="某市中级人民法院",
    )
    create_agency(
        session,
        code="district",
        name="某市东区人民政府",
        parent_code="city",
        letter_prefix="东政公开",
        review_body="某市人民政府",
        court="某市东区人民法院",
    )
    session.commit()
    from sqlmodel import col, select

    from caseflow.models import Agency

    codes = {a.code: a.id for a in session.exec(select(Agency))}
    for username, roles, agency in USERS:
        session.add(
            User(
                username=username,
                display_name=username,
                password_hash=_password_hash(),
                roles=roles,
                agency_id=codes[agency],
            )
        )
    session.commit()
    actors = {
        u.username: service.Actor.of(session, u) for u in session.exec(select(User).order_by(col(User.id)))
    }
    actors["system"] = service.SYSTEM_ACTOR
    return World(session, actors)


def snapshot(session: Session, case_id: int) -> tuple[dict[str, Any], int]:
    """The request row as stored and its number of evidence events (for "nothing changed" checks)."""
    from sqlmodel import col, func, select

    from caseflow.models import EvidenceEvent

    session.expire_all()
    case = session.get(Case, case_id)
    assert case is not None
    count = session.exec(
        select(func.count()).select_from(EvidenceEvent).where(col(EvidenceEvent.case_id) == case_id)
    ).one()
    return case.model_dump(), int(count)


def refused_unchanged(
    world: World,
    case: Case,
    exc: type[Exception],
    action: str,
    facts: Any = None,
    at: dt.datetime | None = None,
    actor: str = "clerk",
) -> Any:
    """``action`` is refused with ``exc`` and leaves the request and its evidence exactly as before."""
    before = snapshot(world.session, case.id or 0)
    with pytest.raises(exc) as info:
        world.act(case, action, facts, at=at, actor=actor)
    world.session.rollback()
    assert snapshot(world.session, case.id or 0) == before
    return info.value


Snapshot = Callable[[Session, int], tuple[dict[str, Any], int]]


@pytest.fixture
def cli_runner(db_url: str) -> Iterator[Any]:
    """A typer CliRunner for ``caseflow`` commands against the test's database."""
    from typer.testing import CliRunner

    from caseflow import db

    mp = pytest.MonkeyPatch()
    mp.setenv("CASEFLOW_DATABASE_URL", db_url)
    get_settings.cache_clear()
    db._engine_for.cache_clear()
    try:
        yield CliRunner()
    finally:
        mp.undo()
        get_settings.cache_clear()
        db._engine_for.cache_clear()


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, db_url: str, world: World, engine: Engine) -> Iterator[Any]:
    """The web application on ``db_url`` with clients for the users of ``world``
    (``tests.integration.webapp.Web``); a test file may define its own ``web`` for other settings."""
    from tests.integration.webapp import Web, serve

    with serve(monkeypatch, db_url) as app:
        yield Web(app, world, engine)


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A real SMTP server on loopback (``tests.integration.smtp.Inbox``) the mail settings point at."""
    from tests.integration.smtp import running_inbox

    with running_inbox(monkeypatch) as handler:
        yield handler


@pytest.fixture
def enable_pdf(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it to render letters' PDFs from then on (tests run with CASEFLOW_LETTER_PDF=0); rendering
    is off again after the test."""

    def enable() -> None:
        monkeypatch.setenv("CASEFLOW_LETTER_PDF", "1")
        get_settings.cache_clear()

    yield enable
    monkeypatch.setenv("CASEFLOW_LETTER_PDF", "0")
    get_settings.cache_clear()
