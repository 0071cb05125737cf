"""Documents in the database (issue 17 item 2: one durable commit per transition).

- migration 0021 moves the files of ``$CASEFLOW_DATA_DIR/documents`` into the ``document`` rows,
  checking each file's SHA-256: a changed or missing file stops it naming the hash, nothing lost;
  its downgrade writes the files back out (SQLite and PostgreSQL);
- a transition's documents are readable after the process is killed (SIGKILL) right after its
  commit, with no file store at all;
- bytes changed in the database are reported by ``read``, by the export and by ``caseflow verify``;
- a backup made before 0021 (documents as files in the archive) restores, and the upgrade loads them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

import caseflow.db
from caseflow import service
from caseflow.backup import archive as backup_archive
from caseflow.backup import backup, restore
from caseflow.backup.common import DATA_PARTS
from caseflow.cases.upload import Upload
from caseflow.evidence.dbcheck import check_database
from caseflow.evidence.keys import ensure_signing_key
from caseflow.evidence.store import DocumentStore, legacy_path
from caseflow.models import CaseDocument, Letter, User
from caseflow.settings import get_settings
from tests.conftest import require
from tests.integration import stored
from tests.integration.conftest import PG_URL, T0, World, _admin_engine

SCAN = b"%PDF-1.4 the application as scanned"


def _alembic(url: str, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(caseflow.db.migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    getattr(command, verb)(config, revision)


def _revision(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def _has_content(engine: Engine) -> bool:
    return "content" in {c["name"] for c in inspect(engine).get_columns("document")}


def _hashes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT sha256 FROM document ORDER BY sha256")).scalars())


def _registered(world: World) -> list[str]:
    """Two requests: a receipt letter each, and an uploaded scan; every stored hash."""
    world.new_case()
    service.register(
        session=world.session,
        actor=world["clerk"],
        agency_code="city",
        application=world.application(applicant_name="李四"),
        uploads=(Upload("application", SCAN, "application/pdf", "scan.pdf"),),
        now=T0,
    )
    world.session.commit()
    return _hashes(world.session.get_bind())  # type: ignore[arg-type]


def test_migration_0021_moves_the_files_into_the_rows_and_back(
    world: World, engine: Engine, db_url: str, isolated_data_dir: Path
) -> None:
    hashes = _registered(world)
    world.session.close()
    store = DocumentStore(engine)
    before = {sha: store.read(sha) for sha in hashes}
    assert len(hashes) >= 3 and hashlib.sha256(SCAN).hexdigest() in hashes
    engine.dispose()

    _alembic(db_url, "downgrade", "0020")  # the bytes written out as files, the column gone
    assert _revision(engine) == "0020" and not _has_content(engine)
    for sha, data in before.items():
        assert legacy_path(isolated_data_dir, sha).read_bytes() == data

    # a changed file stops the upgrade, naming the hash; nothing is changed
    scan = legacy_path(isolated_data_dir, hashlib.sha256(SCAN).hexdigest())
    scan.write_bytes(SCAN + b" altered")
    with pytest.raises(RuntimeError, match=hashlib.sha256(SCAN).hexdigest()):
        _alembic(db_url, "upgrade", "0021")
    engine.dispose()
    assert _revision(engine) == "0020" and not _has_content(engine)
    # so does a missing one
    scan.unlink()
    with pytest.raises(RuntimeError, match=f"{hashlib.sha256(SCAN).hexdigest()} 的文件不在文件库中"):
        _alembic(db_url, "upgrade", "0021")
    engine.dispose()
    assert _revision(engine) == "0020" and not _has_content(engine)

    scan.write_bytes(SCAN)
    _alembic(db_url, "upgrade", "head")
    engine.dispose()
    assert _has_content(engine) and _hashes(engine) == hashes
    for sha, data in before.items():  # the rows hold the very bytes, checked against their hashes
        assert store.read(sha) == data
    assert check_database(engine).intact


def test_a_transitions_documents_survive_a_sigkill_right_after_its_commit(
    world: World, engine: Engine, db_url: str, isolated_data_dir: Path, tmp_path: Path
) -> None:
    """A child process registers a request with an upload (and its receipt letter), commits, says so
    and is killed at once; its documents are all there, intact, and no file store exists."""
    ensure_signing_key()
    script = tmp_path / "register.py"
    script.write_text(
        "import sys, time\n"
        "from sqlmodel import Session, select\n"
        "from caseflow import service\n"
        "from caseflow.cases.upload import Upload\n"
        "from caseflow.db import make_engine\n"
        "from caseflow.models import Letter, User\n"
        "from tests.integration.conftest import World\n"
        "engine = make_engine(sys.argv[1])\n"
        "with Session(engine, expire_on_commit=False) as s:\n"
        "    clerk = s.exec(select(User).where(User.username == 'clerk')).one()\n"
        "    app = World(s, {}).application()\n"
        "    case = service.register(session=s, actor=service.Actor.of(s, clerk), agency_code='city',\n"
        "        application=app,\n"
        "        uploads=(Upload('application', sys.argv[2].encode(), 'application/pdf'),))\n"
        "    html = s.exec(select(Letter.html_sha256).where(Letter.case_id == case.id)).one()\n"
        "print(case.id, html, flush=True)\n"
        "time.sleep(60)\n"
    )
    marker = "扫描件 written just before the kill"
    env = {**os.environ, "CASEFLOW_DATA_DIR": str(isolated_data_dir), "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen(
        [sys.executable, str(script), db_url, marker], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        child.send_signal(signal.SIGKILL)  # right after the commit was acknowledged
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, line
    case_id, html_sha = line.split()
    store = DocumentStore(engine)
    scan_sha = hashlib.sha256(marker.encode()).hexdigest()
    with Session(engine) as s:
        cited = set(s.exec(select(CaseDocument.sha256).where(col(CaseDocument.case_id) == int(case_id))))
        assert {scan_sha, html_sha} <= cited
        assert store.read(scan_sha, s) == marker.encode() and store.read(html_sha, s).startswith(b"<!DOCTYPE")
    assert not (isolated_data_dir / "documents").exists()  # no file store at all
    assert check_database(engine).intact


def test_bytes_changed_in_the_database_are_reported(world: World, engine: Engine) -> None:
    world.new_case()
    world.session.commit()
    letter = world.session.exec(select(Letter)).one()
    stored.tamper(engine, letter.html_sha256, b"<html>a forged letter</html>")
    store = DocumentStore(engine)
    with pytest.raises(ValueError, match="does not match its hash"):
        store.read(letter.html_sha256)
    size, chunks = store.open_verified(letter.html_sha256, chunk=8)
    assert size == len(b"<html>a forged letter</html>")
    with pytest.raises(ValueError, match="does not match its hash"):
        list(chunks)
    assert store.digest_of(letter.html_sha256) == hashlib.sha256(b"<html>a forged letter</html>").hexdigest()
    report = check_database(engine)
    assert [f.message for f in report.findings if "哈希不符" in f.message], report.findings
    with pytest.raises(FileNotFoundError):
        store.read("0" * 64)


def test_an_archive_from_before_0021_restores_and_its_documents_are_loaded(
    world: World,
    engine: Engine,
    db_url: str,
    isolated_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The old format: the database at 0020 and the documents as files below ``data/documents/``."""
    if engine.dialect.name == "postgresql":
        require("pg_dump", None if shutil.which("pg_dump") else "pg_dump not on PATH")
    hashes = _registered(world)
    world.session.close()
    before = {sha: DocumentStore(engine).read(sha) for sha in hashes}
    engine.dispose()
    _alembic(db_url, "downgrade", "0020")  # an installation as it was before issue 17
    monkeypatch.setattr(backup_archive, "BACKED_UP_PARTS", DATA_PARTS)  # the old backup's parts
    archive = tmp_path / "old.tar"
    backup(db_url, archive, data_dir=isolated_data_dir)
    monkeypatch.undo()
    with tarfile.open(archive) as tar:
        assert {f"data/documents/{s[:2]}/{s[2:4]}/{s}" for s in hashes} <= set(tar.getnames())

    if engine.dialect.name == "sqlite":
        target = f"sqlite:///{tmp_path / 'restored' / 'caseflow.db'}"
    else:  # a fresh, empty database
        name = f"cf_old_{os.getpid()}"
        with _admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    restored = tmp_path / "restored-data"
    summary = restore(archive, target, data_dir=restored)
    assert summary.revision == "0020"
    monkeypatch.setenv("CASEFLOW_DATA_DIR", str(restored))
    get_settings.cache_clear()
    caseflow.db.upgrade(target)  # what ``caseflow init`` / ``serve`` do on start
    fresh = caseflow.db.make_engine(target)
    try:
        assert _revision(fresh) != "0020" and _hashes(fresh) == hashes
        store = DocumentStore(fresh)
        for sha, data in before.items():
            assert store.read(sha) == data
        assert check_database(fresh).intact
    finally:
        fresh.dispose()
        if engine.dialect.name == "postgresql":
            with _admin_engine().connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_uploads_and_pending_uploads_share_one_row(world: World, engine: Engine) -> None:
    """Content-addressed: the same bytes stored twice (a pending upload, then the registration) are
    one row, first stored wins its name; nothing is read back from anywhere but the database."""
    from caseflow.cases import pending_uploads

    clerk = world.session.exec(select(User).where(col(User.username) == "clerk")).one()
    with Session(engine) as s:
        row = pending_uploads.keep(
            s,
            user_id=clerk.id or 0,
            slot="application_scan",
            data=SCAN,
            media_type="application/pdf",
            filename="first.pdf",
        )
        s.commit()
        (upload,) = pending_uploads.as_uploads([row])
    assert upload == Upload("application", SCAN, "application/pdf", "first.pdf")
    before = stored.count(engine)
    world.new_case()
    with Session(engine) as s:
        DocumentStore().put(s, SCAN, media_type="image/png", filename="second.png")
        s.commit()
    assert stored.count(engine) == before + 1  # the receipt letter only: the scan is the same row
