"""Records released with a reply (issue 19, items 4-5) on SQLite and PostgreSQL: the applicant's page
lists and serves the released copies (never an original); the evidence package carries the released
copies always and the originals only when the auditor asks (flagged internal); both verify, and a
released file changed in the package is found."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from caseflow.errors import Forbidden
from caseflow.evidence.casecheck import INTERNAL_NOTE
from caseflow.evidence.export import Scope, export
from caseflow.evidence.keys import ensure_signing_key
from caseflow.evidence.verify import verify_package
from caseflow.models import EvidenceEvent
from tests.integration.conftest import World
from tests.integration.releasing import PLAIN_TITLE, TITLE, Released, answered_partial
from tests.integration.test_applicant_page import link_of
from tests.integration.test_evidence_package import (
    _installation,
    flip_byte,
    problem,
    remanifest,
    rezip,
    unzip,
)
from tests.integration.webapp import Web

# --- the applicant's page -------------------------------------------------------------------------


def test_the_portal_lists_and_serves_the_released_copies_never_an_original(web: Web, world: World) -> None:
    done = answered_partial(world, plain=True)
    assert done.plain is not None and done.case.id is not None
    record = done.record
    assert record.released_sha256 and record.released_sha256 != record.original_sha256
    link = link_of(web, done.case)
    page = web.browser(None).get(link)
    assert page.status_code == 200, page.text
    card = page.text[page.text.index('id="released"') :]
    assert TITLE in card and PLAIN_TITLE in card
    assert "3页" in card and "含遮盖（2页" in card
    assert card.count("含遮盖") == 1  # the plain record is not marked
    hrefs = re.findall(r'href="(/public/r/[^"]+/released/[0-9a-f]{64})"', card)
    assert [h.rsplit("/", 1)[1] for h in hrefs] == [record.released_sha256, done.plain.released_sha256]

    before = web.events(done.case.id)
    got = web.browser(None).get(hrefs[0])
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "no-store" and got.headers["referrer-policy"] == "no-referrer"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert hashlib.sha256(got.content).hexdigest() == record.released_sha256
    assert got.content == done.released_bytes and got.content != done.original
    assert web.events(done.case.id) == before  # a released copy's download is not recorded

    # the original (as uploaded), another request's file, anything else: 404, nothing served
    base = hrefs[0].rsplit("/", 1)[0]
    for sha in (record.original_sha256, record.pdf_sha256, "0" * 64, "not-a-hash"):
        refused = web.browser(None).get(f"{base}/{sha}")
        assert refused.status_code == 404, sha
        assert refused.content[:4] != b"%PDF"
    # a damaged link serves nothing
    token = link.rsplit("/", 1)[1]
    bad = web.browser(None).get(f"/public/r/{token[:-2]}xx/released/{record.released_sha256}")
    assert bad.status_code in (403, 410) and bad.content[:4] != b"%PDF"


def test_before_the_reply_the_page_lists_nothing_released(web: Web, world: World) -> None:
    case = world.new_case()
    page = web.browser(None).get(link_of(web, case))
    assert page.status_code == 200 and 'id="released"' not in page.text


# --- the evidence package -------------------------------------------------------------------------


@pytest.fixture
def signing_key(isolated_data_dir: Path) -> bytes:
    """The installation's key pair in the test's data dir (what ``caseflow init`` makes)."""
    public, _ = ensure_signing_key()
    return public.read_bytes()


def exported(world: World, done: Released, out: Path, **options: Any) -> dict[str, Any]:
    return export(
        session=world.session,
        actor=world["auditor"],
        scope=Scope(tracking_no=done.case.tracking_no),
        out=out,
        **options,
    )


def listing(package: Path) -> tuple[set[str], dict[str, Any]]:
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        case = json.loads(archive.read("data/case.json"))
    return names, case


@pytest.mark.usefixtures("signing_key")
def test_a_package_without_originals_verifies_and_flags_them_internal(
    world: World, tmp_path: Path, cli_runner: Any
) -> None:
    done = answered_partial(world, plain=True)
    assert done.plain is not None
    record, plain = done.record, done.plain
    package = tmp_path / "evidence.zip"
    exported(world, done, package)
    names, case = listing(package)
    # the released copies are in it; the redacted record's original is not
    assert f"data/documents/{record.released_sha256}" in names
    assert f"data/documents/{plain.released_sha256}" in names
    assert f"data/documents/{record.original_sha256}" not in names
    by_kind = {(d["kind"], d["sha256"]): d for d in case["documents"]}
    released = by_kind[("released", record.released_sha256)]
    assert released["path"] == f"documents/{record.released_sha256}" and "internal" not in released
    original = by_kind[("release_original", record.original_sha256)]
    assert original["internal"] is True and original["note"] == INTERNAL_NOTE and original["path"] is None
    assert original["event_seq"] == released["event_seq"] == done.event["seq"]  # the reply's event
    # the plain record's original is its released copy: in the package, not internal
    same = by_kind[("release_original", plain.original_sha256)]
    assert plain.original_sha256 == plain.released_sha256 and "internal" not in same
    assert same["path"] == f"documents/{plain.original_sha256}"

    summary = verify_package(package)
    assert summary.cases == 1 and summary.internal_absent == 1
    from caseflow.cli import app

    result = cli_runner.invoke(app, ["evidence", "verify", str(package), "--allow-untrusted"])
    assert result.exit_code == 0, result.output
    assert "1 internal originals not included" in result.output and "不视为缺失" in result.output
    database = cli_runner.invoke(app, ["verify", "--case", done.case.tracking_no])  # the database's own check
    assert database.exit_code == 0, database.output


@pytest.mark.usefixtures("signing_key")
def test_a_package_with_originals_verifies_them_and_records_the_choice(world: World, tmp_path: Path) -> None:
    done = answered_partial(world)
    record = done.record
    package = tmp_path / "with-originals.zip"
    exported(world, done, package, include_originals=True)
    names, case = listing(package)
    assert f"data/documents/{record.original_sha256}" in names
    with zipfile.ZipFile(package) as archive:
        assert archive.read(f"data/documents/{record.original_sha256}") == done.original
    original = next(d for d in case["documents"] if d["kind"] == "release_original")
    assert original["internal"] is True and original["path"] == f"documents/{record.original_sha256}"
    summary = verify_package(package)
    assert summary.internal_absent == 0
    world.session.expire_all()
    facts = json.loads(
        world.session.exec(
            select(EvidenceEvent.payload)
            .where(col(EvidenceEvent.case_id) == done.case.id, col(EvidenceEvent.action) == "export_evidence")
            .order_by(col(EvidenceEvent.seq).desc())
        ).first()
        or "{}"
    )["facts"]
    assert facts["include_originals"] is True

    # the original changed in the package (manifests and signature redone): its bytes are checked
    bag = unzip(package, tmp_path / "bag")
    flip_byte(bag / "data" / "documents" / record.original_sha256, b"stream")
    remanifest(bag, _installation())
    message = problem(rezip(bag, tmp_path / "forged.zip"))
    assert "release_original" in message and "与其哈希值不符" in message

    # only auditors and supervisors export originals: a clerk is refused, nothing written or recorded
    count = done.case.event_count
    with pytest.raises(Forbidden) as info:
        export(
            session=world.session,
            actor=world["clerk"],
            scope=Scope(tracking_no=done.case.tracking_no),
            out=tmp_path / "clerk.zip",
            include_originals=True,
        )
    assert "仅供审计" in info.value.message and not (tmp_path / "clerk.zip").exists()
    world.session.expire_all()
    assert (
        world.session.exec(
            select(func.count()).select_from(EvidenceEvent).where(col(EvidenceEvent.case_id) == done.case.id)
        ).one()
        == count + 1
    )  # the one auditor's export above


@pytest.mark.usefixtures("signing_key")
def test_a_released_file_changed_in_the_package_is_found(world: World, tmp_path: Path) -> None:
    done = answered_partial(world)
    sha = done.record.released_sha256
    assert sha is not None
    package = tmp_path / "evidence.zip"
    exported(world, done, package)
    # one byte of the released copy: the payload manifest names the file
    bag = unzip(package, tmp_path / "bag")
    flip_byte(bag / "data" / "documents" / sha, b"stream")
    assert problem(rezip(bag, tmp_path / "changed.zip")) == (
        f"文件 data/documents/{sha} 的SHA-256与 manifest-sha256.txt 所列不符（导出后被改动）"
    )
    # the same with manifests and signature redone: the reply's event still names the copy's hash
    remanifest(bag, _installation())
    message = problem(rezip(bag, tmp_path / "redone.zip"))
    assert f"released {sha[:12]}… 与其哈希值不符（文件被改动）" in message
    # the released copy removed (and re-manifested): unlike an original, its absence is a break
    (bag / "data" / "documents" / sha).unlink()
    remanifest(bag, _installation())
    message = problem(rezip(bag, tmp_path / "removed.zip"))
    assert f"所引用的 released {sha[:12]}… 不在证据包中" in message


def test_the_case_page_exports_originals_for_auditors_and_the_page_verifies_both(
    web: Web, world: World, tmp_path: Path
) -> None:
    done = answered_partial(world)
    case_id, original = done.case.id, done.record.original_sha256
    auditor = web.browser("auditor")
    page = auditor.get(f"/cases/{case_id}")
    assert 'id="evidence-include-originals"' in page.text and "仅供审计" in page.text
    assert 'id="evidence-include-originals"' not in web.browser("clerk").get(f"/cases/{case_id}").text

    csrf = web.csrf(auditor, f"/cases/{case_id}")
    packages = {}
    for originals in (False, True):
        form = {"csrf_token": csrf, **({"include_originals": "1"} if originals else {})}
        got = auditor.post(f"/cases/{case_id}/evidence", data=form)
        assert got.status_code == 200 and got.content[:2] == b"PK", got.text[:300]
        packages[originals] = tmp_path / f"web-{originals}.zip"
        packages[originals].write_bytes(got.content)
        names, _ = listing(packages[originals])
        assert (f"data/documents/{original}" in names) is originals
    for originals, package in packages.items():
        shown = auditor.post(
            "/search/verify-package",
            data={"csrf_token": web.csrf(auditor, "/search")},
            files={"package": ("package.zip", package.read_bytes(), "application/zip")},
        )
        assert shown.status_code == 200 and "证据包完整：1件申请" in shown.text, shown.text[-2000:]
        assert ("证据包未收入1份公开材料的原件" in shown.text) is not originals

    # a clerk asking for the originals is refused, nothing exported
    clerk = web.browser("clerk")
    before = web.events(case_id or 0)
    refused = clerk.post(
        f"/cases/{case_id}/evidence",
        data={"csrf_token": web.csrf(clerk, f"/cases/{case_id}"), "include_originals": "1"},
    )
    assert refused.status_code == 403 and refused.content[:2] != b"PK"
    assert web.events(case_id or 0) == before
