"""The auditor's evidence package: a BagIt bag (RFC 8493), zipped, signed with Ed25519.

Layout (one request: its files at the top of ``data/``; several: one folder each under ``data/cases/``)::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    signing-key.pub.pem                 the installation's public key (listed in the tag manifest)
    tagmanifest-sha256.txt.sig          Ed25519 signature over tagmanifest-sha256.txt (detached)
    data/[cases/TRACKING/]case.json     the request's facts
    data/[cases/TRACKING/]events.jsonl  the evidence chain, one event per line, as stored
    data/[cases/TRACKING/]documents/SHA256   application, proofs of receipt and delivery
    data/[cases/TRACKING/]letters/SHA256.html|.pdf   every letter as issued

Requests are written to disk one at a time (memory stays flat however many are exported); the bag's
manifests are computed by the ``bagit`` package and the zip is streamed from disk. Every exported
request first gets an ``export_evidence`` event (who, when, scope), so the package holds it too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bagit
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, col, select

from caseflow import queries, service
from caseflow.dates import now
from caseflow.evidence.keys import key_paths, load_private_key
from caseflow.evidence.store import DocumentStore
from caseflow.models import Agency, Case, CaseDocument, Letter

SIGNATURE = "tagmanifest-sha256.txt.sig"
PUBLIC_KEY = "signing-key.pub.pem"
FORMAT = "caseflow-evidence/1"


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


def _case_ids(session: Session, actor: service.Actor, scope: Scope) -> list[int]:
    stmt = select(Case.id).where(queries.visible_agencies(session, actor)).order_by(col(Case.id))
    if scope.tracking_no:
        stmt = stmt.where(col(Case.tracking_no) == scope.tracking_no)
    else:
        agency = session.exec(select(Agency).where(col(Agency.code) == scope.agency)).first()
        if agency is None or not actor.sees(agency.path):
            from caseflow.errors import NotFound

            raise NotFound(f"no agency {scope.agency!r}")
        stmt = stmt.where(
            col(Case.agency_id).in_(select(Agency.id).where(col(Agency.path).startswith(agency.path)))
        )
        if scope.received_from:
            stmt = stmt.where(col(Case.receipt_date) >= scope.received_from)
        if scope.received_to:
            stmt = stmt.where(col(Case.receipt_date) <= scope.received_to)
    return [i for i in session.exec(stmt) if i is not None]


def _write_case(session: Session, case: Case, folder: Path, store: DocumentStore) -> dict[str, Any]:
    assert case.id is not None
    folder.mkdir(parents=True, exist_ok=True)
    detail = queries.case_detail(session, case, today=now().date(), full_identity=True)
    detail["last_hash"] = case.last_hash
    detail["event_count"] = case.event_count
    (folder / "case.json").write_text(
        json.dumps(detail, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    with (folder / "events.jsonl").open("w", encoding="utf-8") as out:
        for event in queries.events(session, case.id):
            out.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
    letters = {x.html_sha256 for x in session.exec(select(Letter).where(col(Letter.case_id) == case.id))}
    letters |= {
        x.pdf_sha256
        for x in session.exec(select(Letter).where(col(Letter.case_id) == case.id))
        if x.pdf_sha256
    }
    for link in session.exec(select(CaseDocument).where(col(CaseDocument.case_id) == case.id)):
        sub = "letters" if link.sha256 in letters else "documents"
        target = folder / sub / link.sha256
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.read(link.sha256))
    return {"tracking_no": case.tracking_no, "head": case.last_hash, "events": case.event_count}


def export(
    *,
    session: Session,
    actor: service.Actor,
    scope: Scope,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
    store: DocumentStore | None = None,
) -> dict[str, Any]:
    """Write the signed, zipped bag to ``out``; returns its summary (cases, events, heads)."""
    ids = _case_ids(session, actor, scope)
    if not ids:
        from caseflow.errors import NotFound

        raise NotFound(f"nothing to export for {scope.describe()}")
    docs = store or DocumentStore()
    key = load_private_key()
    moment = now()
    heads: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="caseflow-export-") as tmp:
        root = Path(tmp) / "bag"  # bagit.make_bag moves what is written here into data/
        for n, case_id in enumerate(ids, 1):
            case = service.perform(
                session=session,
                case_id=case_id,
                actor=actor,
                action="export_evidence",
                facts={"scope": scope.describe()},
                now=moment,
            )
            folder = root if scope.tracking_no else root / "cases" / case.tracking_no
            heads.append(_write_case(session, case, folder, docs))
            session.expunge_all()  # flat memory: nothing of the exported requests stays loaded
            if progress:
                progress(n, len(ids))
        info = {
            "Source-Organization": scope.agency or "caseflow",
            "Bag-Software-Agent": "caseflow",
            "External-Description": f"{FORMAT}; {scope.describe()}",
            "Bagging-Date": moment.date().isoformat(),
            "Caseflow-Exporter": actor.username,
            "Caseflow-Export-Moment": moment.isoformat(),
            "Caseflow-Cases": str(len(heads)),
            "Caseflow-Events": str(sum(h["events"] for h in heads)),
            "Caseflow-Chain-Head": [f"{h['tracking_no']} {h['events']} {h['head']}" for h in heads],
        }
        public = key_paths()[1].read_bytes()
        bag = bagit.make_bag(str(root), bag_info=info, checksums=["sha256"])
        (root / PUBLIC_KEY).write_bytes(public)
        bag.save(manifests=True)  # the tag manifest now lists the public key as well
        tagmanifest = (root / "tagmanifest-sha256.txt").read_bytes()
        (root / SIGNATURE).write_bytes(key.sign(tagmanifest))
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(_files(root)):
                archive.write(path, path.relative_to(root).as_posix())
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "cases": len(heads),
        "events": sum(h["events"] for h in heads),
        "signer": fingerprint(raw),
        "out": str(out),
    }


def export_case_zip(session: Session, actor: service.Actor, tracking_no: str) -> bytes:
    """One request's package as bytes (for a download)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "evidence.zip"
        export(session=session, actor=actor, scope=Scope(tracking_no=tracking_no), out=out)
        return out.read_bytes()


def fingerprint(raw_public_key: bytes) -> str:
    """How a signing key is named to people: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def _files(root: Path) -> Iterator[Path]:
    return (p for p in root.rglob("*") if p.is_file())
