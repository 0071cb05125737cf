"""An export is recorded only once its package is complete (issue 13): after the zip is written and
closed the ``export_evidence`` event names the package by its SHA-256; an export that fails on the
way (a stored file missing or altered, the output not writable, a role that may not export) leaves
every chain exactly as it was and no package behind."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

import caseflow.db
from caseflow.cli import app
from caseflow.errors import Forbidden
from caseflow.evidence.export import Scope, export
from caseflow.evidence.keys import ensure_signing_key
from caseflow.evidence.store import DocumentStore
from caseflow.models import Case, CaseDocument, EvidenceEvent
from caseflow.settings import get_settings
from tests.integration import stored
from tests.integration.conftest import T0, World, snapshot

pytestmark = pytest.mark.usefixtures("isolated_data_dir")


@pytest.fixture
def three(world: World) -> list[int]:
    """Three requests of the city, each with its receipt letter in the store."""
    ensure_signing_key()
    ids = [world.new_case(at=T0).id for _ in range(3)]
    world.session.commit()
    return [i for i in ids if i is not None]


def _chains(world: World, ids: list[int]) -> list[tuple[dict[str, object], int]]:
    return [snapshot(world.session, i) for i in ids]


def _letter_file(world: World, case_id: int) -> str:
    sha = world.session.exec(
        select(CaseDocument.sha256).where(col(CaseDocument.case_id) == case_id).order_by(col(CaseDocument.id))
    ).first()
    assert sha is not None
    return sha


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_missing_document_midway_records_nothing(world: World, three: list[int], tmp_path: Path) -> None:
    """The first request is written before the third's letter turns out missing: no event on any."""
    before = _chains(world, three)
    stored.remove(world.session.get_bind(), _letter_file(world, three[2]))  # type: ignore[arg-type]
    out_dir = tmp_path / "out"
    with pytest.raises(FileNotFoundError):
        export(
            session=world.session, actor=world["auditor"], scope=Scope(agency="city"), out=out_dir / "c.zip"
        )
    assert _chains(world, three) == before
    assert _leftovers(out_dir) == []  # neither the package nor its partial file


def test_an_altered_document_records_nothing(world: World, three: list[int], tmp_path: Path) -> None:
    before = _chains(world, three)
    engine = world.session.get_bind()
    sha = _letter_file(world, three[1])
    stored.tamper(engine, sha, DocumentStore(engine).read(sha) + b"<!-- changed -->")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not match its hash"):
        export(
            session=world.session,
            actor=world["auditor"],
            scope=Scope(agency="city"),
            out=tmp_path / "o" / "c.zip",
        )
    assert _chains(world, three) == before
    assert _leftovers(tmp_path / "o") == []


def test_an_unwritable_output_records_nothing(world: World, three: list[int], tmp_path: Path) -> None:
    before = _chains(world, three)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    with pytest.raises(OSError):
        export(
            session=world.session, actor=world["auditor"], scope=Scope(agency="city"), out=blocker / "c.zip"
        )
    assert _chains(world, three) == before


def test_a_role_that_may_not_export_is_refused_before_any_work(
    world: World, three: list[int], tmp_path: Path
) -> None:
    before = _chains(world, three)
    with pytest.raises(Forbidden):
        export(
            session=world.session,
            actor=world["admin"],
            scope=Scope(agency="city"),
            out=tmp_path / "o" / "c.zip",
        )
    assert _chains(world, three) == before and _leftovers(tmp_path / "o") == []


def test_a_completed_export_is_recorded_after_the_package(
    world: World, three: list[int], tmp_path: Path
) -> None:
    before = _chains(world, three)
    out = tmp_path / "c.zip"
    result = export(session=world.session, actor=world["auditor"], scope=Scope(agency="city"), out=out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert result["sha256"] == digest and result["cases"] == 3
    for case_id, (row, count) in zip(three, before, strict=True):
        _, after = snapshot(world.session, case_id)
        assert after == count + 1
        last = world.session.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == case_id)
            .order_by(col(EvidenceEvent.seq).desc())
        ).first()
        assert last is not None and last.action == "export_evidence" and last.prev_hash == row["last_hash"]
        facts = json.loads(last.payload)["facts"]
        assert (facts["scope"], facts["package_sha256"]) == ("agency city and its subtree", digest)


def _cli(world: World, db_url: str, *args: str) -> tuple[int, str]:
    world.session.rollback()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", db_url)
        get_settings.cache_clear()
        caseflow.db._engine_for.cache_clear()
        try:
            result = CliRunner().invoke(app, list(args))
        finally:
            caseflow.db._engine_for(db_url).dispose()
            caseflow.db._engine_for.cache_clear()
            get_settings.cache_clear()
    return result.exit_code, " ".join(result.output.split())


def test_cli_export_that_fails_leaves_the_chain_unchanged(
    world: World, three: list[int], db_url: str, tmp_path: Path
) -> None:
    before = _chains(world, three)
    stored.remove(world.session.get_bind(), _letter_file(world, three[1]))  # type: ignore[arg-type]
    out = tmp_path / "c.zip"
    code, output = _cli(
        world, db_url, "evidence", "export", "--agency", "city", "--out", str(out), "--user", "auditor"
    )
    assert code == 2, output
    assert "证据包未导出，未作记录" in output and "Traceback" not in output
    assert not out.exists() and _chains(world, three) == before

    # the same export once the store is whole again: written, then recorded with its hash
    tracking = world.session.get(Case, three[0])
    assert tracking is not None
    code, output = _cli(
        world,
        db_url,
        "evidence",
        "export",
        "--case",
        tracking.tracking_no,
        "--out",
        str(out),
        "--user",
        "auditor",
    )
    assert code == 0, output
    with Session(world.session.get_bind()) as s:
        last = s.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == three[0])
            .order_by(col(EvidenceEvent.seq).desc())
        ).first()
        assert last is not None and last.action == "export_evidence"
        assert (
            json.loads(last.payload)["facts"]["package_sha256"]
            == hashlib.sha256(out.read_bytes()).hexdigest()
        )
