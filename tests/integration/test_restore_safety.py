"""A restore cannot destroy (issue 13, item 10).

Archives that pass the manifest's SHA-256 check (the manifest recomputed after the change, as an
attacker or a broken tool would) are still refused when the database in them is damaged or holds
other counts than the manifest says, even with ``--force`` into the live database, which is left
exactly as it was. Members other than the database and the documents, keys and notices (a path
leaving the data directory, an absolute path, a link, a folder such as ``data/fonts``) make the
whole archive refused, with nothing written anywhere. A restore that succeeds keeps what it
replaced: SQLite's file as ``FILE.bak`` (an older ``.bak`` renamed, not overwritten), PostgreSQL's
tables in the schema ``caseflow_before_restore``, keys in ``before-restore-TIME/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

import caseflow.db
from caseflow import service
from caseflow.backup import PG_MEMBER, SQLITE_MEMBER
from caseflow.dates import SHANGHAI
from caseflow.evidence.keys import key_paths
from caseflow.models import User
from tests.conftest import require
from tests.integration.conftest import DemoCopy
from tests.integration.test_backup import (  # noqa: F401 - the target fixture
    _assert_untouched,
    _fingerprint,
    run_cli,
    squash,
    target,
)

APPLICATION = {
    "applicant_type": "natural_person",
    "applicant_name": "赵六",
    "id_type": "居民身份证",
    "id_number": "110101199001055678",
    "phone": "13900000000",
    "description": "本市2025年道路养护合同",
    "provision_form": "electronic",
    "channel": "in_person",
}


@pytest.fixture
def source(engine: Engine, isolated_data_dir: Path, demo_copy: DemoCopy) -> Engine:
    """A small installation: three demo requests with their letters, and a signing key (built once
    per session and copied, see ``demo_copy``)."""
    if engine.dialect.name == "postgresql":
        missing = [name for name in ("pg_dump", "pg_restore", "psql") if shutil.which(name) is None]
        require("the PostgreSQL client programs", f"{', '.join(missing)} not on PATH" if missing else None)
    demo_copy(engine, isolated_data_dir, cases=3, seed=11)
    return engine


def _backup(db_url: str, data_dir: Path, archive: Path) -> Path:
    made = run_cli(db_url, data_dir, "backup", str(archive))
    assert made.exit_code == 0, made.output
    return archive


def _members(archive: Path) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as tar:
        out = {}
        for info in tar:
            handle = tar.extractfile(info)
            out[info.name] = (info, handle.read() if handle else b"")
        return out


def _rewrite(
    archive: Path,
    dest: Path,
    *,
    contents: dict[str, bytes] | None = None,
    extra: list[tuple[tarfile.TarInfo, bytes]] | None = None,
    manifest_change: dict[str, object] | None = None,
) -> Path:
    """A copy of ``archive`` with members changed or added and the manifest recomputed to match
    (so the SHA-256 check alone cannot catch it)."""
    members = _members(archive)
    manifest = json.loads(members.pop("manifest.json")[1])
    manifest["database"].update(manifest_change or {})
    with tarfile.open(dest, "w") as tar:
        for name, (info, data) in members.items():
            data = (contents or {}).get(name, data)
            info.size = len(data)
            manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra or []:
            if info.isfile():
                info.size = len(data)
                manifest["files"][info.name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                tar.addfile(info, io.BytesIO(data))
            else:
                manifest["files"][info.name] = {"sha256": hashlib.sha256(b"").hexdigest(), "size": 0}
                tar.addfile(info)
        body = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return dest


def _corrupt(data: bytes) -> bytes:
    """The bytes with garbage written over the middle of every 4 KiB page after the first (SQLite)
    or over the middle of the dump (pg_dump's compressed data)."""
    damaged = bytearray(data)
    if data.startswith(b"SQLite format 3"):
        for page in range(4096, len(data), 4096):
            damaged[page + 8 : page + 200] = b"\xa5" * 192
    else:
        middle = len(data) // 2
        damaged[middle : middle + 64] = b"\xa5" * 64
    return bytes(damaged)


def _previous_schemas(url: str) -> list[str]:
    engine = caseflow.db.make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'caseflow_before_restore%'")
                ).scalars()
            )
    finally:
        engine.dispose()


def _assert_intact(db_url: str, before: object) -> None:
    """The database the refused restore was aimed at holds exactly what it held, nothing kept aside."""
    assert _fingerprint(db_url) == before
    if db_url.startswith("sqlite"):
        path = Path(make_url(db_url).database or "")
        assert not path.with_name(path.name + ".bak").exists()
        assert not list(path.parent.glob(".restore-*"))
    else:
        assert _previous_schemas(db_url) == []


def _member(db_url: str) -> str:
    return SQLITE_MEMBER if db_url.startswith("sqlite") else PG_MEMBER


def test_a_damaged_database_with_a_recomputed_manifest_is_refused_even_when_forced(
    source: Engine, db_url: str, isolated_data_dir: Path, tmp_path: Path
) -> None:
    archive = _backup(db_url, isolated_data_dir, tmp_path / "good.tar")
    member = _member(db_url)
    damaged = _rewrite(
        archive, tmp_path / "damaged.tar", contents={member: _corrupt(_members(archive)[member][1])}
    )
    before = _fingerprint(db_url)
    source.dispose()
    refused = run_cli(db_url, isolated_data_dir, "restore", "--force", str(damaged))
    assert refused.exit_code == 2, refused.output
    assert squash("未恢复，原数据库保持不变") in squash(refused.output)
    _assert_intact(db_url, before)
    assert run_cli(db_url, isolated_data_dir, "verify").exit_code == 0


@pytest.mark.parametrize("change", [{"requests": 4}, {"events": 1}, {"revision": "0001"}])
def test_counts_other_than_the_manifest_says_are_refused_and_rolled_back(
    source: Engine,
    db_url: str,
    isolated_data_dir: Path,
    tmp_path: Path,
    change: dict[str, object],
) -> None:
    archive = _backup(db_url, isolated_data_dir, tmp_path / "good.tar")
    lying = _rewrite(archive, tmp_path / "lying.tar", manifest_change=change)
    before = _fingerprint(db_url)
    source.dispose()
    refused = run_cli(db_url, isolated_data_dir, "restore", "--force", str(lying))
    assert refused.exit_code == 2, refused.output
    assert squash("备份中的数据库与其清单不符，未恢复，原数据库保持不变") in squash(refused.output)
    _assert_intact(db_url, before)
    # the honest archive restores over it
    done = run_cli(db_url, isolated_data_dir, "restore", "--force", str(archive))
    assert done.exit_code == 0, done.output
    assert _fingerprint(db_url) == before


def _file(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = 0o644
    return info


def _link(name: str, to: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = to
    return info


SHA = hashlib.sha256(b"payload").hexdigest()
HOSTILE = {
    "traversal": _file("data/../../escaped.txt"),
    "traversal inside data": _file("data/keys/../../../escaped.txt"),
    "absolute": _file("/tmp/caseflow-restore-escaped.txt"),
    "fonts": _file("data/fonts/letters.ttf"),
    "checkpoint folder": _file("data/checkpoint/checkpoint-key.pem"),
    "top level": _file("escaped.txt"),
    "document not named by its hash": _file("data/documents/ab/cd/" + "ab" * 32),
    "document in the wrong folder": _file(f"data/documents/00/00/{SHA}"),
    "symlink": _link("data/keys/link.pem", "/etc/passwd", tarfile.SYMTYPE),
    "hard link": _link("data/calendar/2027.json", "/etc/passwd", tarfile.LNKTYPE),
    "second database": _file(PG_MEMBER),
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the archive's check, before any database
def test_an_archive_with_members_outside_documents_keys_and_notices_is_refused(
    source: Engine,
    db_url: str,
    target: str,  # noqa: F811 - the fixture imported above
    isolated_data_dir: Path,
    tmp_path: Path,
) -> None:
    archive = _backup(db_url, isolated_data_dir, tmp_path / "good.tar")
    restored_data = tmp_path / "deep" / "restored-data"
    for hostile, member in HOSTILE.items():
        crafted = _rewrite(archive, tmp_path / "crafted.tar", extra=[(member, b"payload")])
        refused = run_cli(target, restored_data, "restore", str(crafted))
        assert refused.exit_code == 2, (hostile, refused.output)
        assert "未恢复任何内容" in squash(refused.output), (hostile, refused.output)
        _assert_untouched(target)
        assert not restored_data.exists() or not any(restored_data.rglob("*")), hostile
        assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "deep" / "escaped.txt").exists()
        assert not Path("/tmp/caseflow-restore-escaped.txt").exists()
    # the same archive without them restores
    assert run_cli(target, restored_data, "restore", str(archive)).exit_code == 0


def _add_request(engine: Engine) -> str:
    with Session(engine, expire_on_commit=False) as session:
        clerk = session.exec(select(User).where(col(User.username) == "clerk")).one()
        case = service.register(
            session=session,
            actor=service.Actor.of(session, clerk),
            agency_code="city",
            application={
                **APPLICATION,
                "arrived_at": (dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)).isoformat(),
            },
        )
    return case.tracking_no


def _requests_in(url: str, schema: str = "public") -> int:
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return int(conn.execute("SELECT count(*) FROM request").fetchone()[0])
        finally:
            conn.close()
    engine = caseflow.db.make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {schema}.request")).scalar_one())
    finally:
        engine.dispose()


def test_a_forced_restore_keeps_what_it_replaced(
    source: Engine, db_url: str, isolated_data_dir: Path, tmp_path: Path
) -> None:
    archive = _backup(db_url, isolated_data_dir, tmp_path / "good.tar")
    restored = _fingerprint(db_url)
    _add_request(source)  # the live database now has a fourth request (SQLite: in its WAL)
    assert _requests_in(db_url) == 4
    # a data directory whose signing key is another one
    old_key = key_paths(isolated_data_dir)[0]
    old_key.write_bytes(b"another key\n")
    source.dispose()

    done = run_cli(db_url, isolated_data_dir, "restore", "--force", str(archive))
    assert done.exit_code == 0, done.output
    assert _fingerprint(db_url) == restored and _requests_in(db_url) == 3
    if db_url.startswith("sqlite"):
        path = Path(make_url(db_url).database or "")
        bak = path.with_name(path.name + ".bak")
        assert f"原数据库已保留在文件{bak}" in squash(done.output)
        assert _requests_in(f"sqlite:///{bak}") == 4  # the WAL's last request folded into the copy
    else:
        assert "caseflow_before_restore" in squash(done.output)
        assert _previous_schemas(db_url) == ["caseflow_before_restore"]
        assert _requests_in(db_url, "caseflow_before_restore") == 4
    kept = list(isolated_data_dir.glob(f"before-restore-*/keys/{old_key.name}"))
    assert [k.read_bytes() for k in kept] == [b"another key\n"]
    assert old_key.read_bytes() != b"another key\n"

    # a second restore keeps the first one's copy too (renamed, not overwritten)
    again = run_cli(db_url, isolated_data_dir, "restore", "--force", str(archive))
    assert again.exit_code == 0, again.output
    if db_url.startswith("sqlite"):
        older = list(path.parent.glob(f"{path.name}.bak-*"))
        assert len(older) == 1 and _requests_in(f"sqlite:///{older[0]}") == 4
        assert _requests_in(f"sqlite:///{bak}") == 3
    else:
        schemas = _previous_schemas(db_url)
        assert len(schemas) == 2 and "caseflow_before_restore" in schemas
        older_schema = next(s for s in schemas if s != "caseflow_before_restore")
        assert _requests_in(db_url, older_schema) == 4
        # and a backup of the restored database leaves the kept schemas out
        second = _backup(db_url, isolated_data_dir, tmp_path / "second.tar")
        import subprocess

        dump = tmp_path / "second.pgdump"
        dump.write_bytes(_members(second)[PG_MEMBER][1])
        listing = subprocess.run(
            ["pg_restore", "--list", str(dump)], capture_output=True, check=True, text=True
        ).stdout
        assert "caseflow_before_restore" not in listing and "public request" in listing
    assert run_cli(db_url, isolated_data_dir, "verify").exit_code == 0


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_postgresql_error_during_the_restore_changes_nothing(
    source: Engine,
    db_url: str,
    target: str,  # noqa: F811 - the fixture imported above
    isolated_data_dir: Path,
    tmp_path: Path,
) -> None:
    """An object in the way (a function the dump creates) makes psql fail half-way: the
    transaction is rolled back, the target is as it was, and the message says so."""
    archive = _backup(db_url, isolated_data_dir, tmp_path / "good.tar")
    blocker = caseflow.db.make_engine(target)
    with blocker.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION public.evidence_event_append_only() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$"
            )
        )
    blocker.dispose()
    restored_data = tmp_path / "restored-data"
    refused = run_cli(target, restored_data, "restore", str(archive))
    assert refused.exit_code == 2, refused.output
    assert "已全部撤销），未恢复，原数据库保持不变" in squash(refused.output)
    _assert_untouched(target)
    assert not restored_data.exists() or not any(restored_data.rglob("*"))
