"""Offline verification of an evidence package: needs only the zip (and optionally a trusted key).

Checks, first problem wins: the zip holds a bag; no file outside the manifests; the payload and tag
manifests (``bagit``); the Ed25519 signature over the tag manifest (with the package's key, or the
trusted one); every event's hash and link and the chain head recorded in ``bag-info.txt`` and in
``case.json``; every document and letter an event cites present with that hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import bagit
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from caseflow.evidence.chain import verify_events
from caseflow.evidence.export import PUBLIC_KEY, SIGNATURE, fingerprint

logging.getLogger("bagit").setLevel(logging.CRITICAL)  # its findings reach people as PackageProblem


class PackageProblem(Exception):
    """The first thing wrong with a package, said precisely."""


@dataclass
class Summary:
    cases: int = 0
    events: int = 0
    first_moment: str | None = None
    last_moment: str | None = None
    signer: str = ""
    exporter: str = ""
    trusted: bool = False
    tracking_nos: list[str] = field(default_factory=list)


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts:
            raise PackageProblem(f"unsafe path in the zip: {info.filename}")
    archive.extractall(target)


def verify_package(path: Path, trusted_key: bytes | None = None) -> Summary:
    """Verify ``path``; raises ``PackageProblem`` naming the first problem, else returns a summary."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageProblem(f"{path}: not a readable zip file ({exc})") from None
    with archive, tempfile.TemporaryDirectory(prefix="caseflow-verify-") as tmp:
        root = Path(tmp)
        _safe_extract(archive, root)
        return _verify_bag(root, trusted_key)


def _verify_bag(root: Path, trusted_key: bytes | None) -> Summary:
    if not (root / "bagit.txt").is_file():
        raise PackageProblem("not a BagIt bag: bagit.txt is missing")
    tagmanifest = root / "tagmanifest-sha256.txt"
    if not tagmanifest.is_file():
        raise PackageProblem("tagmanifest-sha256.txt is missing")
    listed_tags = {
        line.split(maxsplit=1)[1].strip()
        for line in tagmanifest.read_text("utf-8").splitlines()
        if line.strip()
    }
    for item in sorted(p for p in root.iterdir() if p.is_file()):
        if item.name not in listed_tags and item.name not in ("tagmanifest-sha256.txt", SIGNATURE):
            raise PackageProblem(f"file {item.name} is not listed in the tag manifest (added after export)")
    try:
        bag = bagit.Bag(str(root))
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        details = "; ".join(str(d) for d in exc.details[:3]) if exc.details else str(exc)
        raise PackageProblem(f"BagIt manifests do not match: {details}") from None
    except bagit.BagError as exc:
        raise PackageProblem(f"not a valid bag: {exc}") from None
    summary = Summary()
    summary.signer, summary.trusted = _check_signature(root, tagmanifest.read_bytes(), trusted_key)
    summary.exporter = str(bag.info.get("Caseflow-Exporter", ""))
    heads = bag.info.get("Caseflow-Chain-Head", [])
    recorded = {h.split()[0]: h.split()[1:] for h in ([heads] if isinstance(heads, str) else heads)}
    case_files = sorted((root / "data").rglob("case.json"))
    if not case_files:
        raise PackageProblem("the package holds no case.json")
    for case_file in case_files:
        _verify_case(case_file.parent, recorded, summary)
    if set(recorded) != set(summary.tracking_nos):
        missing = sorted(set(recorded) - set(summary.tracking_nos))
        raise PackageProblem(f"bag-info.txt names requests the package does not hold: {', '.join(missing)}")
    return summary


def _check_signature(root: Path, tagmanifest: bytes, trusted_key: bytes | None) -> tuple[str, bool]:
    signature = root / SIGNATURE
    if not signature.is_file():
        raise PackageProblem(f"the signature {SIGNATURE} is missing")
    pem = trusted_key or (root / PUBLIC_KEY).read_bytes()
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise PackageProblem("the public key is not a PEM Ed25519 key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise PackageProblem("the public key is not an Ed25519 key")
    try:
        key.verify(signature.read_bytes(), tagmanifest)
    except InvalidSignature:
        who = "the trusted key" if trusted_key else "the package's public key"
        raise PackageProblem(
            f"the signature over tagmanifest-sha256.txt does not verify with {who}"
        ) from None
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return fingerprint(raw), trusted_key is not None


def _verify_case(folder: Path, recorded: dict[str, list[str]], summary: Summary) -> None:
    try:
        case = json.loads((folder / "case.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PackageProblem(f"{folder.name}/case.json cannot be read: {exc}") from None
    tracking = case.get("tracking_no", "?")
    events = []
    for n, line in enumerate((folder / "events.jsonl").read_text("utf-8").splitlines(), 1):
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            raise PackageProblem(f"{tracking}: events.jsonl line {n} is not JSON") from None
    problem, count, head = verify_events(tracking, events)
    if problem:
        raise PackageProblem(str(problem))
    if tracking in recorded and recorded[tracking] != [str(count), head]:
        raise PackageProblem(
            f"{tracking}: the chain ({count} events, head {head[:12]}…) differs from the head "
            "recorded in bag-info.txt (events were removed or added)"
        )
    if (case.get("event_count"), case.get("last_hash")) != (count, head):
        raise PackageProblem(f"{tracking}: case.json records a different chain head than events.jsonl")
    for event in events:
        body = json.loads(event["payload"])
        for doc in body.get("documents", []):
            sha = doc["sha256"]
            kind = "letters" if doc["kind"].startswith("letter.") else "documents"
            target = folder / kind / sha
            if not target.is_file():
                raise PackageProblem(
                    f"{tracking} event {event['seq']}: cited {doc['kind']} {sha[:12]}… is missing"
                )
            if hashlib.sha256(target.read_bytes()).hexdigest() != sha:
                raise PackageProblem(
                    f"{tracking} event {event['seq']}: {doc['kind']} {sha[:12]}… does not match its hash"
                )
        moment = body.get("moment")
        if moment:
            summary.first_moment = min(summary.first_moment or moment, moment)
            summary.last_moment = max(summary.last_moment or moment, moment)
    summary.cases += 1
    summary.events += count
    summary.tracking_nos.append(tracking)
