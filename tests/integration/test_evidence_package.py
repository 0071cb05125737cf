"""Evidence packages (issue 7) on SQLite and PostgreSQL: export, signature, offline verification.

- an untouched one-request package (several transitions, letters, an uploaded application) verifies:
  its summary, the independent ``bagit`` validator, the installation's key as trusted key;
- the tamper matrix, each change found with a precise message: bytes of ``case.json``, of an event
  line, of a letter, of a document; event lines deleted, duplicated, reordered; the signature or the
  public key replaced; files added; and changes re-manifested and re-signed with the installation's
  key so that only the chain-level checks can find them; not a zip, not a bag;
- an agency subtree in a date range: exactly its requests, one folder each, each export recorded;
- ``caseflow evidence export`` / ``verify`` (exit 0 with the summary, 1 naming the problem);
- the API: ``GET /api/v1/requests/{id}/evidence`` and ``GET /api/v1/evidence/public-key``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import random
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner, Result

import caseflow.db
from caseflow import service
from caseflow.bulk import bulk_requests
from caseflow.calendar import reset_default_calendar
from caseflow.cli import app
from caseflow.errors import NotFound
from caseflow.evidence import export as evidence_export
from caseflow.evidence import onepass
from caseflow.evidence import verify as evidence_verify
from caseflow.evidence.casecheck import exact_chain, fast_chain
from caseflow.evidence.chain import GENESIS, canonical, sha256_hex
from caseflow.evidence.export import PUBLIC_KEY, SIGNATURE, Scope, export, fingerprint
from caseflow.evidence.keys import ensure_signing_key, key_paths, load_private_key
from caseflow.evidence.verify import PackageProblem, Summary, verify_package
from caseflow.evidence.zipstream import ZipReader, ZipWriter
from caseflow.models import Case, EvidenceEvent
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World
from tests.integration.webapp import Web, serve

DAY = dt.timedelta(days=1)
API = "/api/v1"
TAGMANIFEST = "tagmanifest-sha256.txt"
MANIFEST = "manifest-sha256.txt"
APPLICATION_PDF = b"%PDF-1.7\n\xe7\x94\xb3\xe8\xaf\xb7\xe8\xa1\xa8 application form, signed\n%%EOF\n"


# --- keys, zips and bags -------------------------------------------------------------------------


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def raw_fingerprint(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return fingerprint(raw)


def unzip(package: Path, target: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        archive.extractall(target)
    return target


def rezip(bag: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(bag).as_posix())
    return out


def resign(bag: Path, key: Ed25519PrivateKey) -> None:
    """Sign the tag manifest as it now is."""
    (bag / SIGNATURE).write_bytes(key.sign((bag / TAGMANIFEST).read_bytes()))


def remanifest(bag: Path, key: Ed25519PrivateKey) -> None:
    """Recompute the payload and tag manifests and the Payload-Oxum from the files as they now are,
    and sign again: what someone holding ``key`` could do after changing the payload."""
    (bag / SIGNATURE).unlink()
    bagit.Bag(str(bag)).save(manifests=True)
    resign(bag, key)


def problem(package: Path, trusted_key: bytes | None = None) -> str:
    with pytest.raises(PackageProblem) as info:
        verify_package(package, trusted_key)
    return str(info.value)


def flip_byte(path: Path, after: bytes = b"") -> None:
    """Change one byte (same size): the first ASCII letter or digit after ``after``."""
    data = bytearray(path.read_bytes())
    start = data.index(after) + len(after) if after else len(data) // 2
    for i in range(start, len(data)):
        if chr(data[i]).isalnum() and data[i] < 128:
            data[i] ^= 0x01 if chr(data[i] ^ 0x01).isalnum() else 0x02
            path.write_bytes(bytes(data))
            return
    raise AssertionError(f"no byte to change in {path}")


def event_lines(bag: Path) -> list[str]:
    return (bag / "data" / "events.jsonl").read_text("utf-8").splitlines(keepends=True)


def write_event_lines(bag: Path, lines: list[str]) -> None:
    (bag / "data" / "events.jsonl").write_text("".join(lines), encoding="utf-8")


def cited(bag: Path, folder: str = "data") -> list[tuple[int, str, str]]:
    """(seq, kind, sha256) of every document an event of the bag's events cites."""
    found = []
    for line in (bag / folder / "events.jsonl").read_text("utf-8").splitlines():
        event = json.loads(line)
        for doc in json.loads(event["payload"])["documents"]:
            found.append((event["seq"], doc["kind"], doc["sha256"]))
    return found


# --- the request and its package -----------------------------------------------------------------


@pytest.fixture
def signing_key(isolated_data_dir: Path) -> bytes:
    """The installation's key pair in the test's data dir (what ``caseflow init`` makes): its PEM."""
    public, _ = ensure_signing_key()
    assert public == key_paths()[1] and public.is_relative_to(isolated_data_dir)
    return public.read_bytes()


def full_request(world: World) -> Case:
    """A request with an uploaded application, through supplement, extension, reply and delivery."""
    case = service.register(
        session=world.session,
        actor=world["clerk"],
        agency_code="city",
        application=world.application(),
        uploads=(service.Upload("application", APPLICATION_PDF, "application/pdf", "申请表.pdf"),),
        now=T0,
    )
    case = world.act(case, "request_supplement", {"items": ["所需信息的具体名称"]}, at=T0 + DAY)
    case = world.act(case, "receive_supplement", {"summary": "补充了信息名称"}, at=T0 + 2 * DAY)
    case = world.act(case, "extend", {"reason": "需要检索多年档案"}, actor="supervisor", at=T0 + 3 * DAY)
    case = world.act(
        case,
        "draft_reply",
        {"outcome": "disclosed.provided", "provided": "2025年道路维修工程预算表（电子版）"},
        at=T0 + 4 * DAY,
    )
    if case.state == "legal-review":
        case = world.act(case, "approve_reply", {}, actor="reviewer", at=T0 + 4 * DAY)
    case = world.act(
        case,
        "confidentiality_review",
        {"conclusion": "agree", "comments": "经审查，可以公开"},
        actor="reviewer",
        at=T0 + 4 * DAY,
    )
    case = world.act(case, "issue_reply", {}, at=T0 + 5 * DAY)
    case = world.act(case, "record_delivery", {"method": "post", "proof": "EMS1234567890"}, at=T0 + 6 * DAY)
    return case


@dataclass
class Package:
    world: World
    case: Case
    path: Path
    pem: bytes  # the installation's public key
    work: Path
    _n: list[int] = field(default_factory=lambda: [0])

    def extract(self) -> Path:
        self._n[0] += 1
        return unzip(self.path, self.work / f"bag{self._n[0]}")

    def tampered(self, change: Callable[[Path], None]) -> Path:
        """The package extracted, changed by ``change`` and zipped again."""
        bag = self.extract()
        change(bag)
        return rezip(bag, self.work / f"tampered{self._n[0]}.zip")


@pytest.fixture
def package(world: World, signing_key: bytes, tmp_path: Path) -> Package:
    case = full_request(world)
    exported = case.model_copy()  # the request as exported: the package holds this chain
    out = tmp_path / "evidence.zip"
    result = export(
        session=world.session, actor=world["auditor"], scope=Scope(tracking_no=case.tracking_no), out=out
    )
    world.session.expire_all()
    stored = world.session.get(Case, case.id)
    assert stored is not None
    # the export is recorded once the package is complete: one event after the exported chain,
    # naming the package by its SHA-256 (issue 13: no export event for an export that did not finish)
    assert result["cases"] == 1 and result["events"] == exported.event_count == stored.event_count - 1
    assert result["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    last = world.session.exec(
        select(EvidenceEvent)
        .where(col(EvidenceEvent.case_id) == case.id)
        .order_by(col(EvidenceEvent.seq).desc())
    ).first()
    assert last is not None and last.action == "export_evidence" and last.prev_hash == exported.last_hash
    assert json.loads(last.payload)["facts"]["package_sha256"] == result["sha256"]
    assert result["signer"] == raw_fingerprint(load_private_key())
    return Package(world, exported, out, signing_key, tmp_path)


# --- an untouched package ------------------------------------------------------------------------


def test_untouched_package_verifies(package: Package) -> None:
    world, case = package.world, package.case
    events = world.session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id).order_by(col(EvidenceEvent.seq))
    ).all()
    assert [e.action for e in events][:2] == ["register", "request_supplement"]
    # the export recorded after the package was written: the package holds the chain before it
    assert events[-1].action == "export_evidence" and len(events) == case.event_count + 1 >= 8
    assert dt.datetime.fromisoformat(json.loads(events[-1].payload)["moment"]) > T0 + 6 * DAY  # just now
    events = events[:-1]

    with pytest.MonkeyPatch.context() as m:
        indexed_check_refused(m)  # as exported, the package is checked in one pass
        summary = verify_package(package.path)
    assert isinstance(summary, Summary)
    assert summary.cases == 1 and summary.tracking_nos == [case.tracking_no]
    assert summary.events == case.event_count == len(events)
    moments = [json.loads(e.payload)["moment"] for e in events]
    assert summary.first_moment == moments[0] == T0.isoformat()
    assert summary.last_moment == moments[-1] == (T0 + 6 * DAY).isoformat()  # the delivery
    assert summary.exporter == "auditor"
    assert summary.signer == raw_fingerprint(load_private_key()) and not summary.trusted

    bag = package.extract()
    names = {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    assert {
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        TAGMANIFEST,
        PUBLIC_KEY,
        SIGNATURE,
        "data/case.json",
        "data/events.jsonl",
    } <= names
    # the events as stored, one per line; the application as uploaded; every letter as issued
    lines = [json.loads(x) for x in event_lines(bag)]
    assert [(x["seq"], x["hash"], x["payload"]) for x in lines] == [
        (e.seq, e.hash, e.payload) for e in events
    ]
    application = hashlib.sha256(APPLICATION_PDF).hexdigest()
    assert (bag / "data" / "documents" / application).read_bytes() == APPLICATION_PDF
    kinds = {kind for _, kind, _ in cited(bag)}
    assert kinds == {
        "application",
        "letter.html:receipt",
        "letter.html:supplement_notice",
        "letter.html:extension_notice",
        "letter.html:reply",
    }
    for _, kind, sha in cited(bag):
        target = bag / "data" / ("letters" if kind.startswith("letter.") else "documents") / sha
        assert hashlib.sha256(target.read_bytes()).hexdigest() == sha
    # exactly the cited files: every letter in letters/, the rest in documents/
    for folder, is_letter in (("letters", True), ("documents", False)):
        held = {p.name for p in (bag / "data" / folder).iterdir()}
        assert held == {sha for _, kind, sha in cited(bag) if kind.startswith("letter.") == is_letter}
    facts = json.loads((bag / "data" / "case.json").read_text("utf-8"))
    assert facts["tracking_no"] == case.tracking_no
    assert (facts["event_count"], facts["last_hash"]) == (case.event_count, case.last_hash)
    info = (bag / "bag-info.txt").read_text("utf-8")
    assert f"Caseflow-Chain-Head: {case.tracking_no} {case.event_count} {case.last_hash}" in info
    assert "Caseflow-Exporter: auditor" in info and "Caseflow-Cases: 1" in info
    assert f"Caseflow-Events: {case.event_count}" in info

    # the independent validator (Library of Congress bagit) accepts the bag
    assert bagit.Bag(str(bag)).validate(processes=1)
    # the installation's public key, as trusted key; another key refuses it
    trusted = verify_package(package.path, package.pem)
    assert trusted.trusted and trusted.signer == summary.signer
    assert "无法用受信任的公钥验证" in problem(package.path, public_pem(Ed25519PrivateKey.generate()))
    assert problem(package.path, b"-----BEGIN NONSENSE-----\n") == "受信任的公钥不是PEM格式的Ed25519公钥"


# --- the tamper matrix -----------------------------------------------------------------------------


def _letter(bag: Path) -> Path:
    """The first letter an event cites (the receipt)."""
    return next(bag / "data" / "letters" / sha for _, kind, sha in cited(bag) if kind.startswith("letter."))


def _document(bag: Path) -> Path:
    return bag / "data" / "documents" / hashlib.sha256(APPLICATION_PDF).hexdigest()


def _installation() -> Ed25519PrivateKey:
    return load_private_key()


def _delete_line(bag: Path) -> None:
    lines = event_lines(bag)
    write_event_lines(bag, lines[:2] + lines[3:])  # event 3


def _duplicate_line(bag: Path) -> None:
    lines = event_lines(bag)
    write_event_lines(bag, lines[:3] + lines[2:])  # event 3 twice


def _reorder_lines(bag: Path) -> None:
    lines = event_lines(bag)
    lines[2], lines[3] = lines[3], lines[2]  # events 3 and 4
    write_event_lines(bag, lines)


def _drop_last_line(bag: Path) -> None:
    write_event_lines(bag, event_lines(bag)[:-1])


def _edit_event(bag: Path, *, rehash: bool) -> None:
    """Change what event 3 says (its facts), keeping or recomputing its hash."""
    lines = event_lines(bag)
    event = json.loads(lines[2])
    body = json.loads(event["payload"])
    body["facts"]["forged"] = "改过的事实"
    event["payload"] = canonical(body)
    if rehash:
        event["hash"] = sha256_hex(event["payload"])
    lines[2] = json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n"
    write_event_lines(bag, lines)


def _edit_column(bag: Path) -> None:
    """Event 2's actor column (outside the hashed payload) changed."""
    lines = event_lines(bag)
    assert '"actor": "clerk"' in lines[1]
    lines[1] = lines[1].replace('"actor": "clerk"', '"actor": "supervisor"', 1)
    write_event_lines(bag, lines)


def _edit_case_head(bag: Path) -> None:
    case = bag / "data" / "case.json"
    case.write_text(case.read_text("utf-8").replace('"event_count": ', '"event_count": 1', 1), "utf-8")


def _write_extra(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("后加的文件\n", encoding="utf-8")


def _unlist_bag_info(bag: Path) -> None:
    manifest = bag / TAGMANIFEST
    lines = manifest.read_text("utf-8").splitlines(keepends=True)
    manifest.write_text("".join(x for x in lines if not x.rstrip().endswith(" bag-info.txt")), "utf-8")


def redone(change: Callable[[Path], None]) -> Callable[[Path], None]:
    """``change``, then manifests, Payload-Oxum and signature recomputed with the installation's key:
    the bag is consistent and signed, so only the chain-level checks can find the change."""

    @functools.wraps(change)  # the change alone is ``__wrapped__``
    def both(bag: Path) -> None:
        change(bag)
        remanifest(bag, _installation())

    return both


@dataclass(frozen=True)
class Tamper:
    change: Callable[[Path], None]
    words: tuple[str, ...]  # all in the message


TAMPERS: dict[str, Tamper] = {
    # one byte changed: the payload manifest finds it and names the file
    "case.json byte": Tamper(
        lambda bag: flip_byte(bag / "data" / "case.json", b'"tracking_no": "'),
        ("文件 data/case.json 的SHA-256与 manifest-sha256.txt 所列不符（导出后被改动）",),
    ),
    "event line byte": Tamper(
        lambda bag: flip_byte(bag / "data" / "events.jsonl", b'"actor": "'),
        ("文件 data/events.jsonl 的SHA-256与 manifest-sha256.txt 所列不符",),
    ),
    "letter byte": Tamper(
        lambda bag: flip_byte(_letter(bag)),
        ("文件 data/letters/", "的SHA-256与 manifest-sha256.txt 所列不符"),
    ),
    "document byte": Tamper(
        lambda bag: flip_byte(_document(bag), b"application "),
        ("文件 data/documents/", "的SHA-256与 manifest-sha256.txt 所列不符"),
    ),
    # event lines deleted, duplicated, reordered: the file that changed is named
    "event line deleted": Tamper(_delete_line, ("文件 data/events.jsonl 的SHA-256与", "所列不符")),
    "event line duplicated": Tamper(_duplicate_line, ("文件 data/events.jsonl 的SHA-256与", "所列不符")),
    "event lines reordered": Tamper(
        _reorder_lines, ("文件 data/events.jsonl 的SHA-256与 manifest-sha256.txt 所列不符",)
    ),
    # the signature and the public key
    "signature random bytes": Tamper(
        lambda bag: (bag / SIGNATURE).write_bytes(os.urandom(64)),
        (f"签名 {SIGNATURE} 无法用包内公钥 {PUBLIC_KEY} 验证",),
    ),
    "signature by another key": Tamper(
        lambda bag: resign(bag, Ed25519PrivateKey.generate()),
        (f"签名 {SIGNATURE} 无法用包内公钥 {PUBLIC_KEY} 验证", "在签名后被改动，或不是该密钥签名的"),
    ),
    "signature removed": Tamper(lambda bag: (bag / SIGNATURE).unlink(), (f"证据包缺少签名 {SIGNATURE}",)),
    "public key replaced": Tamper(
        lambda bag: (bag / PUBLIC_KEY).write_bytes(public_pem(Ed25519PrivateKey.generate())),
        (f"文件 {PUBLIC_KEY} 的SHA-256与 {TAGMANIFEST} 所列不符（导出后被改动）",),
    ),
    # the tag files: each is listed in the signed tag manifest
    "bag-info.txt byte": Tamper(
        lambda bag: flip_byte(bag / "bag-info.txt", b"Caseflow-Exporter: "),
        (f"文件 bag-info.txt 的SHA-256与 {TAGMANIFEST} 所列不符",),
    ),
    "tag manifest byte": Tamper(
        lambda bag: flip_byte(bag / TAGMANIFEST, b"\n"),  # in the second line's hash
        (f"的SHA-256与 {TAGMANIFEST} 所列不符",),
    ),
    # files added, or taken out of the tag manifest: the file is named
    "unlisted file in data/": Tamper(
        lambda bag: _write_extra(bag / "data" / "extra.txt"), ("data/extra.txt",)
    ),
    "unlisted file in data/documents/": Tamper(
        lambda bag: _write_extra(bag / "data" / "documents" / ("0" * 64)), ("data/documents/" + "0" * 64,)
    ),
    "unlisted file at the root": Tamper(
        lambda bag: _write_extra(bag / "extra.txt"),
        (f"证据包中的文件 extra.txt 未列入标签清单 {TAGMANIFEST}（导出后被添加）",),
    ),
    "unlisted file in a new folder at the root": Tamper(
        lambda bag: _write_extra(bag / "notes" / "extra.txt"), ("notes/extra.txt",)
    ),
    "bag-info.txt unlisted from the tag manifest": Tamper(
        _unlist_bag_info, (f"证据包中的文件 bag-info.txt 未列入标签清单 {TAGMANIFEST}",)
    ),
    # consistent, signed bags: only the chain-level checks find these
    "cited letter removed, manifests and signature redone": Tamper(
        redone(lambda bag: _letter(bag).unlink()), ("第1条事件：所引用的 letter.", "不在证据包中")
    ),
    "cited document removed, manifests and signature redone": Tamper(
        redone(lambda bag: _document(bag).unlink()), ("第1条事件：所引用的 application", "不在证据包中")
    ),
    "event edited, manifests and signature redone": Tamper(
        redone(lambda bag: _edit_event(bag, rehash=False)),
        ("第3条事件：内容与其哈希值不符",),
    ),
    "event edited and rehashed, manifests and signature redone": Tamper(
        redone(lambda bag: _edit_event(bag, rehash=True)),
        ("第4条事件：未与前一条事件衔接",),
    ),
    "event line deleted, manifests and signature redone": Tamper(
        redone(_delete_line), ("事件顺序不连续：应为第3条，实为第4条",)
    ),
    "event line duplicated, manifests and signature redone": Tamper(
        redone(_duplicate_line), ("事件顺序不连续：应为第4条，实为第3条",)
    ),
    "event lines reordered, manifests and signature redone": Tamper(
        redone(_reorder_lines), ("事件顺序不连续：应为第3条，实为第4条",)
    ),
    "last event removed, manifests and signature redone": Tamper(
        redone(_drop_last_line), ("与 bag-info.txt 记载的链头不符（事件被删除或添加）",)
    ),
    "event column edited, manifests and signature redone": Tamper(
        redone(_edit_column), ("第2条事件：actor 列与已哈希的事件内容不一致",)
    ),
    "case.json head changed, manifests and signature redone": Tamper(
        redone(_edit_case_head), ("case.json 记载的链头与 events.jsonl 不符",)
    ),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tamper_matrix(package: Package, name: str) -> None:
    tamper = TAMPERS[name]
    tampered = package.tampered(tamper.change)
    message = problem(tampered)
    for word in tamper.words:
        assert word in message, f"{name}: {word!r} not in {message!r}"
    if "redone" in name:  # the chain-level findings name the request first
        assert message.startswith(package.case.tracking_no), message
    # a trusted key does not make a tampered package pass either
    assert problem(tampered, package.pem)


def reseal(bag: Path, order: list[str], key: Ed25519PrivateKey) -> None:
    """Manifest (in ``order``), Payload-Oxum, tag manifest and signature recomputed, keeping the
    export's layout (``remanifest`` lets ``bagit`` choose the manifest's order)."""
    digests = {name: hashlib.sha256((bag / name).read_bytes()).hexdigest() for name in order}
    (bag / MANIFEST).write_text("".join(f"{digests[n]}  {n}\n" for n in order), "utf-8")
    oxum = f"Payload-Oxum: {sum((bag / n).stat().st_size for n in order)}.{len(order)}"
    info = bag / "bag-info.txt"
    lines = info.read_text("utf-8").splitlines()
    info.write_text("".join((oxum if x.startswith("Payload-Oxum:") else x) + "\n" for x in lines), "utf-8")
    tagmanifest = "".join(
        f"{hashlib.sha256((bag / name).read_bytes()).hexdigest()} {name}\n"
        for name in ("bagit.txt", "bag-info.txt", MANIFEST, PUBLIC_KEY)
    )
    (bag / TAGMANIFEST).write_text(tagmanifest, "utf-8")
    resign(bag, key)


@pytest.mark.parametrize("name", [n for n in TAMPERS if "redone" in n])
def test_tampering_in_the_export_layout(package: Package, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chain-level tampers, the package kept as exported (stored, payload first, manifest in its
    order): the one-pass check gets to the request, hands it to the indexed one, which names the
    same problem."""
    closed: list[str] = []
    close = onepass._close
    monkeypatch.setattr(onepass, "_close", lambda f, *a: closed.append(f.name) or close(f, *a))
    with zipfile.ZipFile(package.path) as archive:
        names = archive.namelist()
    bag = package.extract()
    TAMPERS[name].change.__wrapped__(bag)  # type: ignore[attr-defined]  # without remanifest
    payload = [n for n in names if n.startswith("data/") and (bag / n).exists()]
    reseal(bag, payload, _installation())
    out = package.work / "export-layout.zip"
    with zipfile.ZipFile(out, "w") as archive:
        for member in payload + [n for n in names if not n.startswith("data/")]:
            archive.write(bag / member, member)
    message = problem(out)
    for word in TAMPERS[name].words:
        assert word in message, f"{name}: {word!r} not in {message!r}"
    assert message.startswith(package.case.tracking_no), message
    assert closed == ["data"]


def test_byte_changed_inside_the_zip(package: Package) -> None:
    """Members are stored: one byte of an event line changed in the zip itself (no unzipping, the
    CRC-32 left as it was) is named like the same change made to the extracted file."""
    data = bytearray(package.path.read_bytes())
    at = data.index(b'"actor": "clerk"') + len(b'"actor": "')
    data[at] ^= 0x01
    changed = package.work / "patched.zip"
    changed.write_bytes(bytes(data))
    message = problem(changed)
    assert "文件 data/events.jsonl 的SHA-256与 manifest-sha256.txt 所列不符（导出后被改动）" in message


# --- malformed packages signed with their own key ----------------------------------------------------
# Without a trusted key the package's own key is used, so anyone can re-sign a package after changing
# it: whatever it then holds, verification names a problem (exit 1), never crashes (a traceback).


def forged(change: Callable[[Path], None]) -> Callable[[Path], None]:
    """``change``, then a forger's own key pair: the public key replaced, manifests redone, signed."""

    def both(bag: Path) -> None:
        change(bag)
        forger = Ed25519PrivateKey.generate()
        (bag / PUBLIC_KEY).write_bytes(public_pem(forger))
        remanifest(bag, forger)

    return both


def _tracking(bag: Path) -> str:
    return str(json.loads((bag / "data" / "case.json").read_text("utf-8"))["tracking_no"])


def _replace_chain(bag: Path, payloads: list[str]) -> None:
    """A one-request bag's chain replaced by ``payloads``, correctly hashed and linked, and the heads
    in case.json and bag-info.txt made to agree with it."""
    prev, lines = GENESIS, []
    for seq, payload in enumerate(payloads, 1):
        digest = sha256_hex(payload)
        event = {"seq": seq, "payload": payload, "prev_hash": prev, "hash": digest}
        lines.append(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
        prev = digest
    write_event_lines(bag, lines)
    tracking = _tracking(bag)
    case_file = bag / "data" / "case.json"
    case = json.loads(case_file.read_text("utf-8"))
    case.update(event_count=len(payloads), last_hash=prev)
    case_file.write_text(json.dumps(case, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    info = bag / "bag-info.txt"
    head = f"Caseflow-Chain-Head: {tracking} {len(payloads)} {prev}"
    info.write_text(
        "\n".join(
            head if x.startswith("Caseflow-Chain-Head:") else x for x in info.read_text("utf-8").split("\n")
        ),
        "utf-8",
    )


def _one_event(tracking: str, **changes: object) -> str:
    body: dict[str, object] = {
        "v": 1, "case": tracking, "seq": 1, "moment": T0.isoformat(), "actor": "clerk", "role": "clerk",
        "action": "register", "from": None, "to": "received", "facts": {}, "basis": [], "documents": [],
        "prev_hash": GENESIS,
    }  # fmt: skip
    body.update(changes)
    return canonical(body)


MALFORMED: dict[str, Callable[[Path], None]] = {
    "events.jsonl missing": lambda bag: (bag / "data" / "events.jsonl").unlink(),
    "an event line that is not an object": lambda bag: write_event_lines(bag, ["[]\n"]),
    "case.json not an object": lambda bag: (bag / "data" / "case.json").write_text("[]\n", "utf-8"),
    "a payload that is not an object": lambda bag: _replace_chain(bag, ["[]"]),
    "a cited document without its kind": lambda bag: _replace_chain(
        bag, [_one_event(_tracking(bag), documents=[{"sha256": "0" * 64}])]
    ),
    "documents not a list": lambda bag: _replace_chain(bag, [_one_event(_tracking(bag), documents="abc")]),
    "an empty chain head in bag-info.txt": lambda bag: (bag / "bag-info.txt").write_text(
        (bag / "bag-info.txt").read_text("utf-8") + "Caseflow-Chain-Head: \n", "utf-8"
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_but_signed_packages_are_refused(package: Package, name: str) -> None:
    tampered = package.tampered(forged(MALFORMED[name]))
    try:
        verify_package(tampered)
    except PackageProblem as exc:
        assert re.search("[\u4e00-\u9fff]", str(exc)), f"{name}: not in Chinese: {exc}"
    except Exception as exc:  # noqa: BLE001 - what the command line would show as a traceback
        pytest.fail(f"{name}: verify_package crashed with {exc.__class__.__name__}: {exc}")
    else:
        pytest.fail(f"{name}: the package verified")
    # the installation's key, as trusted key, refuses the forger's signature first
    assert "无法用受信任的公钥验证" in problem(tampered, package.pem)


def test_tampered_letter_is_named(package: Package) -> None:
    """The manifest finding names the changed letter itself (by its hash)."""
    bag = package.extract()
    letter = _letter(bag)
    flip_byte(letter)
    message = problem(rezip(bag, package.work / "letter.zip"))
    assert f"data/letters/{letter.name}" in message


def test_public_key_replaced_and_resigned(package: Package) -> None:
    """A forger's own key pair: the package verifies with its own key, never with the trusted one."""
    forger = Ed25519PrivateKey.generate()

    def replace(bag: Path) -> None:
        (bag / PUBLIC_KEY).write_bytes(public_pem(forger))
        (bag / SIGNATURE).unlink()
        bagit.Bag(str(bag)).save()  # the tag manifest lists the new key
        resign(bag, forger)

    tampered = package.tampered(replace)
    own = verify_package(tampered)
    assert own.signer == raw_fingerprint(forger) != raw_fingerprint(_installation())
    assert not own.trusted
    message = problem(tampered, package.pem)
    assert f"签名 {SIGNATURE} 无法用受信任的公钥验证（{TAGMANIFEST} 在签名后被改动" in message


def test_not_a_zip_and_not_a_bag(package: Package) -> None:
    text = package.work / "notes.zip"
    text.write_text("这不是压缩文件", encoding="utf-8")
    assert problem(text) == (
        "notes.zip：不是可读取的zip文件（找不到中央目录结束记录：不是zip文件，或文件被截断）"
    )
    assert problem(package.work / "absent.zip") == "absent.zip：不是可读取的zip文件（文件不存在）"
    truncated = package.work / "truncated.zip"
    truncated.write_bytes(package.path.read_bytes()[: package.path.stat().st_size // 2])
    assert problem(truncated).startswith("truncated.zip：不是可读取的zip文件（")

    no_bagit = package.tampered(lambda bag: (bag / "bagit.txt").unlink())
    assert problem(no_bagit) == "不是BagIt证据包：缺少 bagit.txt"
    empty = package.work / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    assert problem(empty) == "不是BagIt证据包：缺少 bagit.txt"
    escaping = package.work / "escaping.zip"
    with zipfile.ZipFile(escaping, "w") as archive:
        archive.writestr("../outside.txt", "x")
    assert "zip中有不安全的路径：../outside.txt" in problem(escaping)
    assert not (package.work.parent / "outside.txt").exists()


# --- an agency subtree in a date range -------------------------------------------------------------


def test_agency_subtree_in_a_date_range(world: World, signing_key: bytes, tmp_path: Path) -> None:
    """city > dept, city > district: requests received on five days; the range takes days 1 to 3."""
    plan = [  # (agency, clerk, day)
        ("city", "clerk", 0),
        ("dept", "dept_clerk", 1),
        ("district", "district_clerk", 1),
        ("city", "clerk", 2),
        ("dept", "dept_clerk", 3),
        ("district", "district_clerk", 4),
        ("dept", "dept_clerk", 4),
    ]
    registered = [world.new_case(agency=a, actor=clerk, at=T0 + day * DAY) for a, clerk, day in plan]
    world.act(registered[3], "extend", {"reason": "需要会商"}, actor="supervisor", at=T0 + 5 * DAY)
    # plain values: the export works on the caller's session (and detaches what it had loaded)
    cases = [(c.id, c.tracking_no, day) for c, (_, _, day) in zip(registered, plan, strict=True)]
    chosen = sorted(tracking for _, tracking, day in cases if 1 <= day <= 3)
    assert len(chosen) == 4 and {t.split("-")[0] for t in chosen} == {"CITY", "DEPT", "DISTRICT"}

    scope = Scope(agency="city", received_from=(T0 + DAY).date(), received_to=(T0 + 3 * DAY).date())
    assert scope.describe() == "agency city and its subtree 2026-09-29..2026-10-01"
    calls: list[tuple[int, int]] = []
    out = tmp_path / "city.zip"
    result = export(
        session=world.session,
        actor=world["auditor"],
        scope=scope,
        out=out,
        progress=lambda n, total: calls.append((n, total)),
    )
    assert calls == [(n, 4) for n in range(1, 5)]
    assert result["cases"] == 4
    summary = verify_package(out, signing_key)
    assert sorted(summary.tracking_nos) == chosen
    assert summary.cases == 4 and summary.trusted and summary.exporter == "auditor"

    bag = unzip(out, tmp_path / "bag")
    assert sorted(p.name for p in (bag / "data" / "cases").iterdir()) == chosen
    assert not (bag / "data" / "case.json").exists() and not (bag / "data" / "events.jsonl").exists()
    assert bagit.Bag(str(bag)).validate(processes=1)

    # every exported request has its export event (who, the scope, the package's hash), recorded
    # after the package was complete: the package holds the chain up to the event before it
    world.session.expire_all()
    total = 0
    for case_id, tracking, day in cases:
        stored = world.session.get(Case, case_id)
        assert stored is not None
        events = world.session.exec(
            select(EvidenceEvent)
            .where(col(EvidenceEvent.case_id) == case_id)
            .order_by(col(EvidenceEvent.seq))
        ).all()
        exports = [e for e in events if e.action == "export_evidence"]
        if tracking not in chosen:
            assert not exports, (tracking, day)
            continue
        total += stored.event_count - 1
        assert exports == [events[-1]]
        last = events[-1]
        assert (last.actor, last.role) == ("auditor", "auditor")
        facts = json.loads(last.payload)["facts"]
        assert (facts["scope"], facts["package_sha256"]) == (scope.describe(), result["sha256"])
        assert last.hash == stored.last_hash
        folder = bag / "data" / "cases" / tracking
        lines = (folder / "events.jsonl").read_text("utf-8").splitlines()
        assert [json.loads(x)["hash"] for x in lines] == [e.hash for e in events[:-1]]
        assert json.loads(lines[-1])["hash"] == last.prev_hash
        facts = json.loads((folder / "case.json").read_text("utf-8"))
        assert facts["tracking_no"] == tracking
        assert (facts["event_count"], facts["last_hash"]) == (stored.event_count - 1, last.prev_hash)
    assert summary.events == result["events"] == total
    info = (bag / "bag-info.txt").read_text("utf-8")
    assert info.count("Caseflow-Chain-Head:") == 4 and "Caseflow-Cases: 4" in info
    assert f"Caseflow-Events: {total}" in info

    # a department's subtree: its own requests only, whatever their date
    dept = export(
        session=world.session, actor=world["auditor"], scope=Scope(agency="dept"), out=tmp_path / "dept.zip"
    )
    assert dept["cases"] == 3
    assert sorted(verify_package(tmp_path / "dept.zip").tracking_nos) == sorted(
        tracking for _, tracking, _ in cases if tracking.startswith("DEPT-")
    )


def test_tampering_one_request_of_several_is_named(world: World, signing_key: bytes, tmp_path: Path) -> None:
    victim = [world.new_case(at=T0 + n * DAY) for n in range(3)][1].tracking_no
    out = tmp_path / "city.zip"
    export(session=world.session, actor=world["auditor"], scope=Scope(agency="city"), out=out)

    bag = unzip(out, tmp_path / "bag")
    flip_byte(bag / "data" / "cases" / victim / "events.jsonl", b'"actor": "')
    message = problem(rezip(bag, tmp_path / "byte.zip"))
    assert f"文件 data/cases/{victim}/events.jsonl 的SHA-256与 manifest-sha256.txt 所列不符" in message

    bag = unzip(out, tmp_path / "bag2")
    _drop_last_line_of(bag / "data" / "cases" / victim / "events.jsonl")
    remanifest(bag, load_private_key())
    message = problem(rezip(bag, tmp_path / "tampered.zip"))
    assert message.startswith(victim) and "与 bag-info.txt 记载的链头不符" in message

    bag = unzip(out, tmp_path / "bag3")
    shutil.rmtree(bag / "data" / "cases" / victim)
    remanifest(bag, load_private_key())
    message = problem(rezip(bag, tmp_path / "removed.zip"))
    assert message == f"bag-info.txt 记载的申请在证据包中不存在：{victim}（导出后被删除）"


def _drop_last_line_of(events: Path) -> None:
    events.write_text("".join(events.read_text("utf-8").splitlines(keepends=True)[:-1]), "utf-8")


def test_nothing_to_export_and_foreign_agency(world: World, signing_key: bytes, tmp_path: Path) -> None:
    world.new_case()
    with pytest.raises(NotFound):
        export(
            session=world.session,
            actor=world["auditor"],
            scope=Scope(agency="dept"),
            out=tmp_path / "none.zip",
        )
    with pytest.raises(NotFound):  # the city's request is not the department's to export
        export(
            session=world.session,
            actor=world["dept_supervisor"],
            scope=Scope(tracking_no="CITY-2026-00001"),
            out=tmp_path / "foreign.zip",
        )
    with pytest.raises(NotFound):
        export(
            session=world.session,
            actor=world["dept_supervisor"],
            scope=Scope(agency="city"),
            out=tmp_path / "foreign.zip",
        )
    assert not (tmp_path / "none.zip").exists() and not (tmp_path / "foreign.zip").exists()


# --- many requests: streamed, checked in one pass ---------------------------------------------------


def indexed_check_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the indexed check fail: what verifies then was verified in one pass."""

    def refuse(*args: object) -> Summary:
        raise AssertionError("the package went to the indexed check")

    monkeypatch.setattr(evidence_verify, "_indexed", refuse)


def manifest_names(bag: Path) -> list[str]:
    return [line.split("  ", 1)[1] for line in (bag / "manifest-sha256.txt").read_text("utf-8").splitlines()]


def test_agency_export_of_many_requests(
    world: World, signing_key: bytes, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few hundred requests in three agencies (bulk history, and two full requests with letters and
    an uploaded application), read in batches: the package verifies in one pass; its zip is stored,
    the payload request by request in tracking-number order, in the manifest's order, the tag files
    last; the ``bagit`` validator accepts it; zipped again in other orders it verifies the same."""
    full = [full_request(world).tracking_no for _ in range(2)]
    world.session.commit()
    bulk_requests(engine, count=240, seed=7, today=T0.date(), agency_codes=["dept", "district"])
    monkeypatch.setattr(evidence_export, "BATCH", 17)  # several batches, and one cut short
    calls: list[tuple[int, int]] = []
    out = tmp_path / "city.zip"
    result = export(
        session=world.session,
        actor=world["auditor"],
        scope=Scope(agency="city"),
        out=out,
        progress=lambda n, total: calls.append((n, total)),
    )
    assert result["cases"] == 242 and calls == [(n, 242) for n in range(1, 243)]
    world.session.expire_all()
    cases = world.session.exec(select(Case.tracking_no, Case.event_count)).all()
    world.session.commit()
    trackings = sorted(tracking for tracking, _ in cases)
    # each request's export was recorded after the package was written: one event more than it holds
    assert set(full) <= set(trackings) and result["events"] == sum(count - 1 for _, count in cases)

    with monkeypatch.context() as m:
        indexed_check_refused(m)
        summary = verify_package(out, signing_key)
    assert summary.tracking_nos == trackings and summary.trusted and summary.exporter == "auditor"
    assert (summary.cases, summary.events) == (242, result["events"])

    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
        names = archive.namelist()
    tags = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", PUBLIC_KEY, TAGMANIFEST, SIGNATURE]
    payload = names[: -len(tags)]
    assert names[-len(tags) :] == tags
    folders = [name.split("/")[2] for name in payload]
    assert folders == sorted(folders) and sorted(set(folders)) == trackings
    bag = unzip(out, tmp_path / "bag")
    assert bagit.Bag(str(bag)).validate(processes=1)
    assert manifest_names(bag) == payload
    heads = [
        x.split()[1] for x in (bag / "bag-info.txt").read_text("utf-8").splitlines() if "Chain-Head" in x
    ]
    assert heads == trackings
    for tracking in full:  # the letters and the application are there
        assert {p.parent.name for p in (bag / "data" / "cases" / tracking).rglob("*") if p.is_file()} == {
            tracking,
            "letters",
            "documents",
        }

    def same(package: Path) -> None:
        again = verify_package(package, signing_key)
        assert sorted(again.tracking_nos) == trackings
        assert (again.cases, again.events, again.first_moment, again.last_moment, again.signer) == (
            summary.cases, summary.events, summary.first_moment, summary.last_moment, summary.signer
        )  # fmt: skip

    # deflated, every file in reverse order: the indexed check
    reversed_zip = tmp_path / "reversed.zip"
    with zipfile.ZipFile(reversed_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in reversed(names):
            archive.write(bag / name, name)
    same(reversed_zip)
    # one request's events after every other file, the manifest in that order and signed again:
    # its folder comes back after others, so its first part cannot be checked alone
    moved = f"data/cases/{trackings[0]}/events.jsonl"
    order = [name for name in payload if name != moved] + [moved]
    digests = dict(
        reversed([x.split("  ", 1)[::-1] for x in (bag / MANIFEST).read_text("utf-8").splitlines()])
    )
    (bag / MANIFEST).write_text("".join(f"{digests[n]}  {n}\n" for n in order), "utf-8")
    tagmanifest = "".join(
        f"{hashlib.sha256((bag / name).read_bytes()).hexdigest()} {name}\n"
        for name in ("bagit.txt", "bag-info.txt", MANIFEST, PUBLIC_KEY)
    )
    (bag / TAGMANIFEST).write_text(tagmanifest, "utf-8")
    resign(bag, load_private_key())
    split_zip = tmp_path / "split.zip"
    with zipfile.ZipFile(split_zip, "w") as archive:
        for name in order + tags:
            archive.write(bag / name, name)
    same(split_zip)
    assert bagit.Bag(str(unzip(split_zip, tmp_path / "split"))).validate(processes=1)


def test_fast_line_reader_agrees_with_json(package: Package) -> None:
    """The event lines read without a JSON object per line (``fast_chain``) give what ``json`` and
    ``verify_events`` give, or defer to them: untouched, and after hundreds of one-byte changes."""
    data = (package.extract() / "data" / "events.jsonl").read_bytes()
    tracking = package.case.tracking_no
    assert fast_chain(tracking, data) == exact_chain(tracking, data)
    assert fast_chain(tracking, data) is not None

    def agree(changed: bytes) -> None:
        fast = fast_chain(tracking, changed)
        try:
            exact = exact_chain(tracking, changed)
        except PackageProblem:
            assert fast is None, changed
            return
        assert fast is None or fast == exact, changed

    rng = random.Random(20261)
    special = [i for i, byte in enumerate(data) if byte in b'"\\:,{}[] ']
    for at in rng.sample(range(len(data)), 300) + rng.sample(special, 200):
        for value in {data[at] ^ 0x01, ord('"'), ord("\\"), ord(" "), 0x09, 0x01}:
            agree(data[:at] + bytes([value]) + data[at + 1 :])
        agree(data[:at] + data[at + 1 :])
        agree(data[:at] + data[at : at + 1] + data[at:])


def test_facts_with_escapes_and_line_separators(world: World, signing_key: bytes, tmp_path: Path) -> None:
    """Free text with a newline, a tab, quotes, a backslash and U+2028 (kept as is in the JSON, and a
    line break for ``str.splitlines``): the package verifies, ``orjson`` reading them as ``json`` does."""
    case = world.new_case()
    reason = '需要会商\u2028第二段\n第三行\t"引号"\\反斜杠\u0085'
    case = world.act(case, "extend", {"reason": reason}, actor="supervisor", at=T0 + DAY)
    out = tmp_path / "escapes.zip"
    export(session=world.session, actor=world["auditor"], scope=Scope(tracking_no=case.tracking_no), out=out)
    summary = verify_package(out, signing_key)
    assert summary.tracking_nos == [case.tracking_no] and summary.events == 2  # register, extend
    data = (unzip(out, tmp_path / "bag") / "data" / "events.jsonl").read_bytes()
    assert exact_chain(case.tracking_no, data)[:2] == (2, summary_head(out))
    assert fast_chain(case.tracking_no, data) == exact_chain(case.tracking_no, data)  # orjson reads them


def summary_head(package: Path) -> str:
    with zipfile.ZipFile(package) as archive:
        info = archive.read("bag-info.txt").decode()
    return next(x.split()[3] for x in info.splitlines() if x.startswith("Caseflow-Chain-Head"))


def test_zip_with_more_than_65535_members(tmp_path: Path) -> None:
    """ZIP64 end records: ``zipfile`` reads what ``ZipWriter`` writes, ``ZipReader`` too."""
    path = tmp_path / "many.zip"
    moment = dt.datetime(2026, 9, 28, 9, 30, 12)
    with ZipWriter(path, moment) as writer:
        for n in range(70_000):
            writer.add(f"data/{n}", b"%d" % n)
        writer.add_stream("data/文件", iter([b"x" * 1000, b"y" * 24]), 1024)
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) == 70_001 and archive.read("data/69999") == b"69999"
        assert archive.read("data/文件") == b"x" * 1000 + b"y" * 24
        assert archive.getinfo("data/5").date_time == (2026, 9, 28, 9, 30, 12)
    with ZipReader(path) as reader:
        entries = list(reader.entries())
        assert len(entries) == 70_001
        assert [reader.read(e) for e in entries[-2:]] == [b"69999", b"x" * 1000 + b"y" * 24]


# --- the command line ------------------------------------------------------------------------------


def _forget_caches() -> None:
    get_settings.cache_clear()
    caseflow.db._engine_for.cache_clear()
    reset_default_calendar()


def run_cli(session: Session, database_url: str, *args: str) -> Result:
    """``caseflow ARGS`` in-process against ``database_url`` (the test's session ends its transaction
    first: on SQLite it would hold the write lock)."""
    session.rollback()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEFLOW_DATABASE_URL", database_url)
        _forget_caches()
        try:
            return CliRunner().invoke(app, list(args))
        finally:
            caseflow.db._engine_for(database_url).dispose()
            _forget_caches()


def flat(output: str) -> str:
    return " ".join(output.split())


def test_cli_export_and_verify(world: World, signing_key: bytes, db_url: str, tmp_path: Path) -> None:
    case = world.new_case()
    case = world.act(case, "extend", {"reason": "需要会商"}, actor="supervisor", at=T0 + DAY)
    out = tmp_path / "pkg.zip"
    result = run_cli(
        world.session, db_url, "evidence", "export", "--case", case.tracking_no, "--out", str(out),
        "--user", "auditor",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # register, extend: the export itself is recorded after the package was written, not in it
    assert "已导出1件申请、2条证据记录" in flat(result.output)
    assert raw_fingerprint(load_private_key()) in result.output

    # without a trusted key: integrity only, the signer not trusted (exit 2; issue 13, item 4)
    result = run_cli(world.session, db_url, "evidence", "verify", str(out))
    assert result.exit_code == 2, result.output
    assert "签名人不受信任" in flat(result.output)
    result = run_cli(world.session, db_url, "evidence", "verify", str(out), "--allow-untrusted")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "证据包完整：1件申请，2条证据记录" in text
    assert f"{T0.isoformat()} 至" in text and "导出人 auditor" in text and "（包内公钥）" in text
    key = tmp_path / "trusted.pem"
    key.write_bytes(signing_key)
    result = run_cli(world.session, db_url, "evidence", "verify", str(out), "--key", str(key))
    assert result.exit_code == 0 and "（受信任）" in result.output, result.output

    bag = unzip(out, tmp_path / "bag")
    flip_byte(bag / "data" / "events.jsonl", b'"actor": "')
    tampered = rezip(bag, tmp_path / "tampered.zip")
    result = run_cli(world.session, db_url, "evidence", "verify", str(tampered))
    assert result.exit_code == 1, result.output
    assert "INVALID" in result.output
    said = "".join(result.output.split())  # the console wraps long lines anywhere
    assert "文件data/events.jsonl的SHA-256与manifest-sha256.txt所列不符（导出后被改动）" in said
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)

    other = tmp_path / "other.pem"
    other.write_bytes(public_pem(Ed25519PrivateKey.generate()))
    result = run_cli(world.session, db_url, "evidence", "verify", str(out), "--key", str(other))
    assert result.exit_code == 1 and "无法用受信任的公钥验证" in "".join(result.output.split())
    assert "Traceback" not in result.output

    # an agency export in a range, as the system (the default user)
    whole = tmp_path / "city.zip"
    result = run_cli(
        world.session, db_url, "evidence", "export", "--agency", "city", "--from", "2026-09-28",
        "--to", "2026-09-28", "--out", str(whole),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert verify_package(whole, signing_key).tracking_nos == [case.tracking_no]

    # refusals: exit 2 with a message, no traceback
    for args in (
        ("evidence", "export", "--out", str(tmp_path / "x.zip")),
        ("evidence", "export", "--case", "NO-SUCH-1", "--out", str(tmp_path / "x.zip")),
        ("evidence", "export", "--agency", "city", "--from", "28.9.2026", "--out", str(tmp_path / "x.zip")),
        (
            "evidence",
            "export",
            "--case",
            case.tracking_no,
            "--user",
            "nobody",
            "--out",
            str(tmp_path / "x.zip"),
        ),
    ):
        result = run_cli(world.session, db_url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and "error" in result.output
    assert not (tmp_path / "x.zip").exists()
    result = run_cli(world.session, db_url, "evidence", "verify", str(tmp_path / "absent.zip"))
    assert result.exit_code == 1 and "不是可读取的zip文件（文件不存在）" in "".join(result.output.split())


# --- the API ---------------------------------------------------------------------------------------


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, db_url: str, world: World, engine: Engine) -> Iterator[Web]:
    with serve(monkeypatch, db_url) as application:
        yield Web(application, world, engine)


def test_api_evidence_package(web: Web, signing_key: bytes, tmp_path: Path) -> None:
    world = web.world
    case = world.new_case()
    case = world.act(case, "extend", {"reason": "需要会商"}, actor="supervisor", at=T0 + DAY)
    world.session.commit()
    before = web.events(case.id or 0)

    reply = web.api("auditor").get(f"{API}/requests/{case.id}/evidence")
    assert reply.status_code == 200, reply.text[:300]
    assert reply.headers["content-type"] == "application/zip"
    assert f'filename="{case.tracking_no}-evidence.zip"' in reply.headers["content-disposition"]
    out = tmp_path / "api.zip"
    out.write_bytes(reply.content)
    summary = verify_package(out)
    assert summary.cases == 1 and summary.exporter == "auditor"
    # the package holds the chain as exported; the export was recorded once it was complete
    assert summary.events == before and web.events(case.id or 0) == before + 1

    # another agency's user: no such request for them (and nothing recorded)
    assert web.api("dept_clerk").get(f"{API}/requests/{case.id}/evidence").status_code == 404
    assert web.api("district_clerk").get(f"{API}/requests/{case.id}/evidence").status_code == 404
    assert web.api(None).get(f"{API}/requests/{case.id}/evidence").status_code == 401
    assert web.events(case.id or 0) == before + 1

    key = web.api("auditor").get(f"{API}/evidence/public-key")
    assert key.status_code == 200 and key.content == signing_key
    assert key.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert web.api(None).get(f"{API}/evidence/public-key").content == signing_key
    trusted = verify_package(out, key.content)
    assert trusted.trusted and trusted.signer == summary.signer
    assert "无法用受信任的公钥验证" in problem(out, public_pem(Ed25519PrivateKey.generate()))
