"""``caseflow backup`` and ``caseflow restore`` on SQLite and PostgreSQL.

A database with the demo data (requests in every state, their letters in the document store, the
signing key) is backed up, restored into a fresh empty database and data directory, and then:
``caseflow verify`` passes on it, every evidence event, letter and document is the same, and the
application serves its requests and letters (and signs evidence packages with the restored key,
trusted as the original's). A damaged archive (a flipped byte in the database or in a document,
a truncated file) is refused naming what is wrong, before anything is changed; a restore into a
database that holds tables is refused unless ``--force``, which then replaces it whole. A backup
taken while transitions are being written restores to a consistent database. Without pg_dump
on PATH a PostgreSQL backup names the missing program.

Every command runs through the real command line (typer's CliRunner, in-process), with
CASEFLOW_DATABASE_URL and CASEFLOW_DATA_DIR set as an operator would.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

import caseflow.db
from caseflow import service
from caseflow.backup import backup, restore
from caseflow.calendar import reset_default_calendar
from caseflow.cli import app
from caseflow.dates import SHANGHAI
from caseflow.demo_data import DEFAULT_PASSWORD
from caseflow.evidence.chain import verify_all
from caseflow.evidence.keys import ensure_signing_key, key_paths
from caseflow.evidence.store import DocumentStore
from caseflow.evidence.verify import verify_package
from caseflow.models import Case, Document, EvidenceEvent, Letter, User
from caseflow.settings import get_settings
from tests.conftest import require
from tests.integration.conftest import PG_URL, DemoCopy, _admin_engine
from tests.integration.webapp import reset_limits

_names = itertools.count()


def _forget_caches() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


def run_cli(url: str, data_dir: Path, *args: str) -> Result:
    """``caseflow ARGS`` in-process against ``url`` and ``data_dir``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", url)
        mp.setenv("CASEFLOW_DATA_DIR", str(data_dir))
        _forget_caches()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            caseflow.db._engine_for(url).dispose()
            _forget_caches()


def flat(output: str) -> str:
    return " ".join(output.split())


def squash(output: str) -> str:
    """The output without any white space (rich folds long paths and hashes across lines)."""
    return "".join(output.split())


@pytest.fixture
def demo(engine: Engine, isolated_data_dir: Path, demo_copy: DemoCopy) -> Engine:
    """The source installation: the demo data (12 requests with their letters) and a signing key
    (built once per session and copied, see ``demo_copy``). PostgreSQL backups need the client
    programs (skipped without them, failed under CI)."""
    if engine.dialect.name == "postgresql":
        missing = [name for name in ("pg_dump", "pg_restore", "psql") if shutil.which(name) is None]
        require("the PostgreSQL client programs", f"{', '.join(missing)} not on PATH" if missing else None)
    demo_copy(engine, isolated_data_dir, cases=12, seed=5)
    return engine


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of the same kind (SQLite: not even its file exists)."""
    if make_url(db_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'caseflow.db'}"
        return
    name = f"cf_bk_{os.getpid()}_{next(_names)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fingerprint(url: str) -> tuple[list[tuple[str, int, str]], list[tuple[str, str, str]], list[str]]:
    """Every evidence event (request, seq, hash), letter (number, html, pdf) and document hash."""
    engine = caseflow.db.make_engine(url)
    try:
        with Session(engine) as s:
            events = s.exec(
                select(Case.tracking_no, EvidenceEvent.seq, EvidenceEvent.hash)
                .join(Case, col(Case.id) == col(EvidenceEvent.case_id))
                .order_by(col(Case.tracking_no), col(EvidenceEvent.seq))
            ).all()
            letters = s.exec(
                select(Letter.letter_no, Letter.html_sha256, Letter.pdf_sha256).order_by(
                    col(Letter.letter_no)
                )
            ).all()
            documents = s.exec(select(Document.sha256).order_by(col(Document.sha256))).all()
        return (
            [(tracking_no, seq, digest) for tracking_no, seq, digest in events],
            [(n, h, p or "") for n, h, p in letters],
            list(documents),
        )
    finally:
        engine.dispose()


def _table_count(url: str) -> int:
    engine = caseflow.db.make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                return int(
                    conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type='table'")).scalar_one()
                )
            return int(
                conn.execute(
                    text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _assert_untouched(url: str) -> None:
    """The fresh target is as it was: SQLite, no file; PostgreSQL, no table."""
    if url.startswith("sqlite"):
        assert not Path(make_url(url).database or "").exists()
    else:
        assert _table_count(url) == 0


def test_a_restored_backup_verifies_is_the_same_and_serves(
    demo: Engine,
    db_url: str,
    target: str,
    isolated_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive = tmp_path / "backup.tar"
    made = run_cli(db_url, isolated_data_dir, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "已备份" in made.output and "12件申请" in flat(made.output)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and any(n.startswith("data/keys/") for n in names)
    assert ("database.sqlite3" if db_url.startswith("sqlite") else "database.pgdump") in names
    # the same name again is refused unless --force
    again = run_cli(db_url, isolated_data_dir, "backup", str(archive))
    assert again.exit_code == 2 and "exists" in flat(again.output)

    restored_data = tmp_path / "restored-data"
    done = run_cli(target, restored_data, "restore", str(archive))
    assert done.exit_code == 0, done.output
    assert "已恢复" in done.output and "12件申请" in flat(done.output)

    checked = run_cli(target, restored_data, "verify")
    assert checked.exit_code == 0, checked.output
    assert "12件申请" in flat(checked.output)

    # the same events, letters and documents; every document on disk with its bytes intact; the keys
    source = _fingerprint(db_url)
    assert _fingerprint(target) == source and source[0] and source[1]
    restored = caseflow.db.make_engine(target)
    try:
        store = DocumentStore(restored)
        for sha in source[2]:  # every document in the restored database, its bytes intact
            assert store.read(sha)
    finally:
        restored.dispose()
    assert not any(n.startswith("data/documents/") for n in names)  # the bytes are in the database
    for original, copy in zip(key_paths(isolated_data_dir), key_paths(restored_data), strict=True):
        assert copy.read_bytes() == original.read_bytes()

    # the application serves the restored installation
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", target)
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(restored_data))
    _forget_caches()
    reset_limits()
    from caseflow.api.main import create_app

    try:
        client = TestClient(create_app())
        token = client.post("/api/v1/auth/token", data={"username": "clerk", "password": DEFAULT_PASSWORD})
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        listed = client.get("/api/v1/requests", params={"size": 200})
        assert listed.status_code == 200 and listed.json()["total"] > 0
        first = listed.json()["items"][0]
        shown = client.get(f"/api/v1/requests/{first['id']}")
        assert shown.status_code == 200 and shown.json()["tracking_no"] == first["tracking_no"]
        letters = client.get(f"/api/v1/requests/{first['id']}/letters")
        assert letters.status_code == 200 and letters.json()
        html = client.get(f"/api/v1/letters/{letters.json()[0]['id']}", params={"format": "html"})
        assert html.status_code == 200 and "<html" in html.text
        package = client.get(f"/api/v1/requests/{first['id']}/evidence")
        assert package.status_code == 200
        zipped = tmp_path / "package.zip"
        zipped.write_bytes(package.content)
        summary = verify_package(zipped, key_paths(isolated_data_dir)[1].read_bytes())
        assert summary.trusted  # signed with the restored key: the original installation's
    finally:
        caseflow.db._engine_for(target).dispose()
        _forget_caches()


def _flip(archive: Path, member: str) -> None:
    """Change one byte in the middle of ``member``'s content, in place."""
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
        offset = info.offset_data + info.size // 2
    with archive.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


def test_a_damaged_archive_is_refused_before_anything_changes(
    demo: Engine, db_url: str, target: str, isolated_data_dir: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar"
    assert run_cli(db_url, isolated_data_dir, "backup", str(archive)).exit_code == 0
    restored_data = tmp_path / "restored-data"
    with tarfile.open(archive) as tar:
        database = next(n for n in tar.getnames() if n.startswith("database."))
        document = next(n for n in tar.getnames() if n.startswith("data/keys/"))

    for member in (database, document):
        damaged = tmp_path / f"damaged-{member.replace('/', '_')}.tar"
        damaged.write_bytes(archive.read_bytes())
        _flip(damaged, member)
        refused = run_cli(target, restored_data, "restore", str(damaged))
        assert refused.exit_code == 2, refused.output
        message = squash(refused.output)
        assert squash(f"is damaged: {member} does not match the SHA-256 in its manifest") in message
        assert squash("nothing was restored") in message

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    refused = run_cli(target, restored_data, "restore", str(truncated))
    assert refused.exit_code == 2
    assert "damaged" in flat(refused.output) or "incomplete" in flat(refused.output)

    # nothing was written: no database, no files
    _assert_untouched(target)
    assert not restored_data.exists() or not any(restored_data.rglob("*"))


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    demo: Engine, db_url: str, target: str, isolated_data_dir: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "backup.tar"
    assert run_cli(db_url, isolated_data_dir, "backup", str(archive)).exit_code == 0
    before = _fingerprint(db_url)

    # into the very database it came from, which now has one more request: refused, unchanged
    with Session(demo, expire_on_commit=False) as session:
        clerk = session.exec(select(User).where(col(User.username) == "clerk")).one()
        actor = service.Actor.of(session, clerk)
        extra = service.register(
            session=session,
            actor=actor,
            agency_code="city",
            application={
                "applicant_type": "natural_person",
                "applicant_name": "王五",
                "id_type": "居民身份证",
                "id_number": "110101199001055678",
                "phone": "13900000000",
                "description": "本市2025年预算",
                "provision_form": "electronic",
                "channel": "in_person",
                "arrived_at": (dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)).isoformat(),
            },
        )
    grown = _fingerprint(db_url)
    assert len(grown[0]) == len(before[0]) + 1
    refused = run_cli(db_url, isolated_data_dir, "restore", str(archive))
    assert refused.exit_code == 2, refused.output
    assert "is not empty" in flat(refused.output) and "--force" in flat(refused.output)
    assert _fingerprint(db_url) == grown

    # --force replaces it whole: back to the backup, the newer request and a table the backup does
    # not have gone, the chains intact (as with a server, no connection may stay open on a SQLite
    # file that is replaced)
    with demo.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id integer)"))
    tables = _table_count(db_url)
    demo.dispose()
    forced = run_cli(db_url, isolated_data_dir, "restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert _fingerprint(db_url) == before
    assert _table_count(db_url) == tables - 1
    assert extra.tracking_no not in {tracking_no for tracking_no, _seq, _hash in before[0]}
    assert run_cli(db_url, isolated_data_dir, "verify").exit_code == 0

    # a data directory holding another signing key is not overwritten silently either
    other_data = tmp_path / "other-data"
    ensure_signing_key(other_data)
    refused = run_cli(target, other_data, "restore", str(archive))
    assert refused.exit_code == 2 and "keys/signing-key" in squash(refused.output)
    _assert_untouched(target)


def test_a_backup_taken_while_transitions_are_written_is_consistent(
    demo: Engine, db_url: str, target: str, isolated_data_dir: Path, tmp_path: Path
) -> None:
    """The online backup (SQLite) and pg_dump's snapshot (PostgreSQL) never catch a transition
    half-written: the restored copy has every request's version equal to its events, chains intact."""
    with Session(demo) as session:
        clerk = service.Actor.of(
            session, session.exec(select(User).where(col(User.username) == "clerk")).one()
        )
        ids = [c.id for c in session.exec(select(Case).where(col(Case.agency_id) == clerk.agency_id)) if c.id]
    stop = threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with Session(demo, expire_on_commit=False) as session:
                n = 0
                while not stop.is_set():
                    service.perform(
                        session=session,
                        case_id=ids[n % len(ids)],
                        actor=clerk,
                        action="add_note",
                        facts={"text": f"note {n}"},
                    )
                    n += 1
                    written.append(n)
        except BaseException as exc:  # reported by the test
            failures.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        archives = []
        for i in range(3):
            while len(written) < 5 * (i + 1):  # transitions keep coming between the backups
                assert writer.is_alive(), failures
                stop.wait(0.01)
            archive = tmp_path / f"live-{i}.tar"
            backup(db_url, archive, data_dir=isolated_data_dir)
            archives.append(archive)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not failures and len(written) >= 15

    restored_data = tmp_path / "restored-data"
    seen = []
    for archive in archives:
        summary = restore(archive, target, data_dir=restored_data, force=True)
        engine = caseflow.db.make_engine(target)
        try:
            with Session(engine) as s:
                checked, problem = verify_all(s)
                assert problem is None, str(problem)
                for case in s.exec(select(Case)):
                    events = s.exec(
                        select(EvidenceEvent.seq).where(col(EvidenceEvent.case_id) == case.id)
                    ).all()
                    assert case.version == case.event_count == len(events)
                seen.append(summary.events)
        finally:
            engine.dispose()
    assert seen == sorted(seen) and seen[0] < seen[-1]  # each later backup holds more notes


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_postgresql_backup_names_the_missing_pg_dump(
    engine: Engine, db_url: str, isolated_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = run_cli(db_url, isolated_data_dir, "backup", str(tmp_path / "b.tar"))
    assert result.exit_code == 2
    assert "pg_dump not found" in flat(result.output)
    assert not (tmp_path / "b.tar").exists()
