"""The auditor's evidence package: a BagIt bag (RFC 8493), zipped, signed with Ed25519.

Layout (one request: its files at the top of ``data/``; several: one folder each under ``data/cases/``)::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    signing-key.pub.pem                 the installation's public key (listed in the tag manifest)
    tagmanifest-sha256.txt.sig          Ed25519 signature over tagmanifest-sha256.txt (detached)
    data/[cases/TRACKING/]case.json     the request's facts
    data/[cases/TRACKING/]events.jsonl  the evidence chain, one event per line, as stored
    data/[cases/TRACKING/]documents/SHA256   application, proofs, records released with a reply
    data/[cases/TRACKING/]letters/SHA256     every letter as issued (HTML and PDF)

``case.json`` lists the request's files under ``documents``: each file's kind, SHA-256, the event that
recorded it and its place in the package. The internal files of a release (``release.INTERNAL_KINDS``:
a released record's original as uploaded and its PDF conversion, which never leave the office) are
exported only when the auditor asks (``include_originals``); either way they are listed, marked
``"internal": true`` with ``INTERNAL_NOTE``, and ``"path": null`` when left out. The released copies
(kind ``released``) are always in the package.

The export streams: requests are read in batches (keyset pagination, in tracking-number order) and
written to the zip one at a time, members stored uncompressed, the zip's central directory, the
payload manifest and the chain heads of ``bag-info.txt`` spooled to temporary files; nothing of a
request stays in memory once it is written, so memory does not grow with the number of requests.
The zip holds the payload first, request by request, in the order of the manifest and of the chain
heads, then the tag files: ``verify`` reads such a package in one pass.

An export is evidence only once it exists: after the zip is completely written, closed and in its
place, every exported request gets an ``export_evidence`` event (who, when, the scope and the
package's SHA-256). An export that fails on the way (a stored file missing or altered, the output
not writable) leaves no package and no event; the package holds each chain as it was before its
export was recorded.

``masked=True`` writes the variant for external auditors (``Caseflow-Identity: masked`` in
``bag-info.txt``): ``case.json`` holds the masked ID number, new events hold only the number's keyed
commitment and masked form anyway, and the register events written before the commitment (with
the number in clear) are written redacted: the number masked, ``"redacted": "identity"``, the
stored hash kept. Verification takes such an event's hash as recorded (it cannot be recomputed)
and still checks every link to it and the chain heads; it reports how many events were redacted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import ColumnElement, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from caseflow import identity, queries, service
from caseflow.cases.engine import acting_role
from caseflow.dates import SHANGHAI, now
from caseflow.errors import Forbidden, NotFound
from caseflow.evidence.casecheck import INTERNAL_NOTE
from caseflow.evidence.chain import EVENT_TABLE
from caseflow.evidence.keys import key_paths, load_private_key
from caseflow.evidence.store import DocumentStore
from caseflow.evidence.zipstream import ZipWriter
from caseflow.models import Agency, Case, CaseDocument
from caseflow.release import INTERNAL_KINDS
from caseflow.replies.pdf_after import render_pending_of
from caseflow.states.roles import AUDITOR, SUPERVISOR, SYSTEM
from caseflow.visibility import visible_agencies

SIGNATURE = "tagmanifest-sha256.txt.sig"
PUBLIC_KEY = "signing-key.pub.pem"
MANIFEST = "manifest-sha256.txt"
TAGMANIFEST = "tagmanifest-sha256.txt"
BAG_INFO = "bag-info.txt"
BAGIT_TXT = b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n"
CHAIN_HEAD = "Caseflow-Chain-Head"
FORMAT = "caseflow-evidence/1"
#: bag-info.txt: "full" (ID numbers whole in case.json) or "masked" (for external auditors: masked in
#: case.json, and events written before the commitment redacted, their hashes as recorded).
IDENTITY_TAG = "Caseflow-Identity"
BATCH = 200  # requests per query
#: Who may export the originals of released records (internal files, for audit only).
ORIGINALS_ROLES = frozenset({AUDITOR, SUPERVISOR, SYSTEM})


@dataclass(frozen=True)
class Scope:
    tracking_no: str | None = None
    agency: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None

    def describe(self) -> str:
        if self.tracking_no:
            return f"case {self.tracking_no}"
        span = (
            f" {self.received_from or '…'}..{self.received_to or '…'}"
            if self.received_from or self.received_to
            else ""
        )
        return f"agency {self.agency} and its subtree{span}"


def _conditions(session: Session, actor: service.Actor, scope: Scope) -> list[ColumnElement[bool]]:
    where = [visible_agencies(session, actor)]
    if scope.tracking_no:
        return [*where, col(Case.tracking_no) == scope.tracking_no]
    agency = session.exec(select(Agency).where(col(Agency.code) == scope.agency)).first()
    if agency is None or not actor.sees(agency.path):
        raise NotFound(f"没有代码为 {scope.agency} 的机关")
    subtree = select(Agency.id).where(col(Agency.path).startswith(agency.path))
    where.append(col(Case.agency_id).in_(subtree))
    if scope.received_from:
        where.append(col(Case.receipt_date) >= scope.received_from)
    if scope.received_to:
        where.append(col(Case.receipt_date) <= scope.received_to)
    return where


def _case_ids(session: Session, where: list[ColumnElement[bool]], last_id: int) -> Iterator[int]:
    """The ids of the requests in scope, by tracking number in code-point order (the order of the
    package's folders), ``BATCH`` at a time; requests created after ``last_id`` are left out."""
    pg = session.get_bind().dialect.name == "postgresql"
    column: ColumnElement[str] = Case.__table__.c.tracking_no  # type: ignore[attr-defined]
    tracking = column.collate("C") if pg else column  # byte order of UTF-8, as Python compares strings
    after: str | None = None
    while True:
        stmt = select(Case.id, Case.tracking_no).where(*where, col(Case.id) <= last_id)
        if after is not None:
            stmt = stmt.where(tracking > after)
        rows = session.exec(stmt.order_by(tracking).limit(BATCH)).all()
        if not rows:
            return
        for case_id, _ in rows:
            assert case_id is not None
            yield case_id
        after = rows[-1][1]


class _Bag:
    """The package being written: the zip, the spooled manifest and chain heads, the counts."""

    def __init__(self, writer: ZipWriter, spool: Path) -> None:
        self.zip = writer
        self.manifest: IO[bytes] = tempfile.TemporaryFile(dir=spool)  # noqa: SIM115
        self.heads: IO[bytes] = tempfile.TemporaryFile(dir=spool)  # noqa: SIM115
        self.cases = self.events = self.files = self.bytes = 0

    def add(self, name: str, data: bytes) -> None:
        self._listed(name, self.zip.add(name, data), len(data))

    def add_document(self, name: str, sha256: str, store: DocumentStore, session: Session) -> None:
        size, chunks = store.open_verified(sha256, session=session)  # raises if the bytes were changed
        self.zip.add_stream(name, chunks, size)
        self._listed(name, sha256, size)

    def _listed(self, name: str, digest: str, size: int) -> None:
        self.manifest.write(f"{digest}  {name}\n".encode())
        self.files += 1
        self.bytes += size

    def close(self) -> None:
        self.manifest.close()
        self.heads.close()


def _file_list(session: Session, case_id: int, originals: bool) -> list[dict[str, Any]]:
    """The request's files as ``case.json`` lists them (``path`` None: an internal file left out)."""
    links = session.exec(
        select(CaseDocument.kind, CaseDocument.sha256, CaseDocument.event_seq)
        .where(col(CaseDocument.case_id) == case_id)
        .order_by(col(CaseDocument.id))
    ).all()
    shared = {sha for kind, sha, _ in links if kind not in INTERNAL_KINDS}  # e.g. released as it is
    out: list[dict[str, Any]] = []
    for kind, sha, seq in links:
        entry: dict[str, Any] = {"kind": kind, "sha256": sha, "event_seq": seq}
        path: str | None = f"{'letters' if kind.startswith('letter.') else 'documents'}/{sha}"
        if kind in INTERNAL_KINDS and sha not in shared:
            entry.update(internal=True, note=INTERNAL_NOTE)
            if not originals:
                path = None
        entry["path"] = path
        out.append(entry)
    return out


def _write_case(
    session: Session,
    case: Case,
    folder: str,
    bag: _Bag,
    store: DocumentStore,
    *,
    masked: bool = False,
    originals: bool = False,
) -> None:
    assert case.id is not None
    detail = queries.case_detail(session, case, today=now().date(), full_identity=not masked)
    detail["last_hash"] = case.last_hash
    detail["event_count"] = case.event_count
    files = _file_list(session, case.id, originals)
    detail["documents"] = files
    facts = json.dumps(detail, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    bag.add(f"{folder}case.json", facts.encode())
    rows = session.execute(
        sa_select(
            EVENT_TABLE.c.seq, EVENT_TABLE.c.moment, EVENT_TABLE.c.actor, EVENT_TABLE.c.role,
            EVENT_TABLE.c.action, EVENT_TABLE.c.from_state, EVENT_TABLE.c.to_state,
            EVENT_TABLE.c.payload, EVENT_TABLE.c.prev_hash, EVENT_TABLE.c.hash,
        )
        .where(EVENT_TABLE.c.case_id == case.id)
        .order_by(EVENT_TABLE.c.seq)
    ).mappings()  # fmt: skip
    lines = []
    for row in rows:  # the moment in the payload's zone: the same text as in the payload
        event = {**row, "moment": row["moment"].astimezone(SHANGHAI).isoformat()}
        if masked:  # an old payload with the number in clear: redacted, its hash as recorded
            event = identity.masked_event(event)
        lines.append(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
    bag.add(f"{folder}events.jsonl", "".join(lines).encode())
    bag.events += len(lines)
    written = set()
    for file in files:  # where verification looks for them: letters by their kind
        if file["path"] is not None and file["path"] not in written:
            written.add(file["path"])
            bag.add_document(f"{folder}{file['path']}", file["sha256"], store, session)
    bag.heads.write(f"{CHAIN_HEAD}: {case.tracking_no} {case.event_count} {case.last_hash}\n".encode())
    bag.cases += 1


def _spooled(spool: IO[bytes], digest: hashlib._Hash) -> Iterator[bytes]:
    spool.seek(0)
    while chunk := spool.read(1 << 20):
        digest.update(chunk)
        yield chunk


def _tag_line(key: str, value: object) -> bytes:
    text = str(value).replace("\r", "").replace("\n", "")  # as bagit writes tag files
    return f"{key}: {text}\n".encode()


def _finish(bag: _Bag, info: dict[str, str], key: Ed25519PrivateKey, public: bytes) -> None:
    """The tag files after the payload: bagit.txt, bag-info.txt (the chain heads copied from their
    spool in their sorted place), the manifest, the public key, the tag manifest, its signature."""
    tags: list[tuple[str, str]] = [("bagit.txt", hashlib.sha256(BAGIT_TXT).hexdigest())]
    bag.zip.add("bagit.txt", BAGIT_TXT)
    before = b"".join(_tag_line(k, v) for k, v in sorted(info.items()) if k < CHAIN_HEAD)
    after = b"".join(_tag_line(k, v) for k, v in sorted(info.items()) if k > CHAIN_HEAD)
    info_digest = hashlib.sha256(before)

    def info_chunks() -> Iterator[bytes]:
        yield before
        yield from _spooled(bag.heads, info_digest)
        info_digest.update(after)
        yield after

    bag.zip.add_stream(BAG_INFO, info_chunks(), len(before) + bag.heads.tell() + len(after))
    tags.append((BAG_INFO, info_digest.hexdigest()))
    manifest_digest = hashlib.sha256()
    bag.zip.add_stream(MANIFEST, _spooled(bag.manifest, manifest_digest), bag.manifest.tell())
    tags.append((MANIFEST, manifest_digest.hexdigest()))
    tags.append((PUBLIC_KEY, bag.zip.add(PUBLIC_KEY, public)))
    tagmanifest = "".join(f"{d} {name}\n" for name, d in tags).encode()
    bag.zip.add(TAGMANIFEST, tagmanifest)
    bag.zip.add(SIGNATURE, key.sign(tagmanifest))


def export(
    *,
    session: Session,
    actor: service.Actor,
    scope: Scope,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
    store: DocumentStore | None = None,
    masked: bool = False,
    include_originals: bool = False,
) -> dict[str, Any]:
    """Write the signed, zipped bag to ``out``, then record the export on every request in it;
    returns its summary (cases, events, signer, the package's SHA-256). ``include_originals``: the
    internal files of released records too (for the auditor only; the export records it)."""
    acting_role(actor, "export_evidence")  # a role that may not export is refused before any work
    if include_originals and not actor.roles & ORIGINALS_ROLES:
        raise Forbidden(
            "含公开材料原件的证据包仅供审计，须由审计人员或负责人导出", code="originals_for_auditors"
        )
    where = _conditions(session, actor, scope)
    # Letters whose PDF is still pending are rendered first, so the package holds both files of each
    # letter (one that cannot be rendered now stays pending: its HTML is exported, its PDF later).
    render_pending_of(session, where)
    total, last_id = session.exec(select(func.count(), func.max(Case.id)).where(*where)).one()
    if not total or last_id is None:
        span = ""
        if scope.received_from or scope.received_to:
            span = f"（收到日期 {scope.received_from or '…'} 至 {scope.received_to or '…'}）"
        what = f"申请 {scope.tracking_no}" if scope.tracking_no else f"机关 {scope.agency} 及其下级机关{span}"
        raise NotFound(f"{what}没有可导出的申请", code="nothing_to_export")
    docs = store or DocumentStore()
    key = load_private_key()
    public = key_paths()[1].read_bytes()
    moment = now()
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with tempfile.TemporaryDirectory(prefix="caseflow-export-") as spool:
            with ZipWriter(part, moment) as writer:
                bag = _Bag(writer, Path(spool))
                try:
                    for n, case_id in enumerate(_case_ids(session, where, last_id), 1):
                        case = service.load_visible(session, actor, case_id, lock=False)
                        folder = "data/" if scope.tracking_no else f"data/cases/{case.tracking_no}/"
                        _write_case(
                            session, case, folder, bag, docs, masked=masked, originals=include_originals
                        )
                        session.expunge_all()  # flat memory: nothing of the exported requests stays loaded
                        if progress:
                            progress(n, total)
                    info = {
                        "Source-Organization": scope.agency or "caseflow",
                        "Bag-Software-Agent": "caseflow",
                        "External-Description": f"{FORMAT}; {scope.describe()}",
                        "Bagging-Date": moment.date().isoformat(),
                        "Caseflow-Exporter": actor.username,
                        "Caseflow-Export-Moment": moment.isoformat(),
                        "Caseflow-Cases": str(bag.cases),
                        "Caseflow-Events": str(bag.events),
                        "Payload-Oxum": f"{bag.bytes}.{bag.files}",
                        IDENTITY_TAG: "masked" if masked else "full",
                    }
                    _finish(bag, info, key, public)
                finally:
                    bag.close()
        os.replace(part, out)  # the package is complete: only now is the export recorded
    finally:
        part.unlink(missing_ok=True)
    try:
        digest = _file_sha256(out)
        facts: dict[str, object] = {"scope": scope.describe(), "package_sha256": digest}
        if masked:
            facts["masked"] = True
        if include_originals:
            facts["include_originals"] = True
        for case_id in _case_ids(session, where, last_id):
            service.perform(
                session=session, case_id=case_id, actor=actor, action="export_evidence", facts=facts
            )
            session.expunge_all()
    except BaseException:
        out.unlink(missing_ok=True)  # no package goes out without its export on record
        raise
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "cases": bag.cases,
        "events": bag.events,
        "signer": fingerprint(raw),
        "out": str(out),
        "sha256": digest,
    }


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(raw_public_key: bytes) -> str:
    """How a signing key is named to people: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]
