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
    listed_tags = _manifest(tagmanifest)
    for item in sorted(root.iterdir()):
        if item.name == "data" and item.is_dir():
            continue
        if item.is_dir():
            inside = sorted(p.relative_to(root).as_posix() for p in item.rglob("*") if p.is_file())
            raise PackageProblem(
                f"file {inside[0] if inside else item.name + '/'} is not listed in the tag "
                "manifest (added after export)"
            )
        if item.name not in listed_tags and item.name not in ("tagmanifest-sha256.txt", SIGNATURE):
            raise PackageProblem(f"file {item.name} is not listed in the tag manifest (added after export)")
    _check_payload(root)
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
    recorded: dict[str, list[str]] = {}
    for line in [heads] if isinstance(heads, str) else heads:
        parts = str(line).split()
        if len(parts) != 3:
            raise PackageProblem(
                f"bag-info.txt: a Caseflow-Chain-Head is not 'TRACKING COUNT HASH': {line!r}"
            )
        recorded[parts[0]] = parts[1:]
    if not recorded:
        raise PackageProblem("bag-info.txt records no chain head (Caseflow-Chain-Head)")
    case_files = sorted((root / "data").rglob("case.json"))
    if not case_files:
        raise PackageProblem("the package holds no case.json")
    for case_file in case_files:
        _verify_case(case_file.parent, recorded, summary)
    if set(recorded) != set(summary.tracking_nos):
        missing = sorted(set(recorded) - set(summary.tracking_nos))
        raise PackageProblem(f"bag-info.txt names requests the package does not hold: {', '.join(missing)}")
    return summary


def _manifest(path: Path) -> dict[str, str]:
    """A BagIt manifest: relative path -> SHA-256."""
    entries = {}
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition(" ")
        if not name.strip() or len(digest) != 64:
            raise PackageProblem(f"{path.name} line {n} is not 'SHA256 path'")
        entries[name.strip()] = digest.lower()
    return entries


def _check_payload(root: Path) -> None:
    """Every payload file listed, present and matching its hash: named precisely, before BagIt's
    own (coarser) checks."""
    manifest_path = root / "manifest-sha256.txt"
    if not manifest_path.is_file():
        raise PackageProblem("manifest-sha256.txt is missing")
    listed = _manifest(manifest_path)
    present = {p.relative_to(root).as_posix() for p in (root / "data").rglob("*") if p.is_file()}
    for name in sorted(present - set(listed)):
        raise PackageProblem(f"file {name} is not listed in manifest-sha256.txt (added after export)")
    for name in sorted(set(listed) - present):
        raise PackageProblem(f"{name} is listed in manifest-sha256.txt but missing (removed after export)")
    for name, digest in sorted(listed.items()):
        if hashlib.sha256((root / name).read_bytes()).hexdigest() != digest:
            raise PackageProblem(
                f"BagIt manifests do not match: {name} sha256 validation failed (changed after export)"
            )


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
    where = folder.name if folder.name != "data" else "data"
    try:
        case = json.loads((folder / "case.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PackageProblem(f"{where}/case.json cannot be read: {exc}") from None
    if not isinstance(case, dict):
        raise PackageProblem(f"{where}/case.json is not a JSON object")
    tracking = str(case.get("tracking_no", "?"))
    events_file = folder / "events.jsonl"
    if not events_file.is_file():
        raise PackageProblem(f"{tracking}: events.jsonl is missing")
    events = []
    for n, line in enumerate(events_file.read_text("utf-8").splitlines(), 1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise PackageProblem(f"{tracking}: events.jsonl line {n} is not JSON") from None
        if not isinstance(event, dict):
            raise PackageProblem(f"{tracking}: events.jsonl line {n} is not a JSON object")
        events.append(event)
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
        try:
            body = json.loads(event["payload"])
        except (TypeError, json.JSONDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("documents", []), list):
            raise PackageProblem(f"{tracking} event {event.get('seq')}: the payload is not an event object")
        for doc in body.get("documents", []):
            if (
                not isinstance(doc, dict)
                or not isinstance(doc.get("sha256"), str)
                or not isinstance(doc.get("kind"), str)
            ):
                raise PackageProblem(
                    f"{tracking} event {event.get('seq')}: a cited document lacks its kind or hash"
                )
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
        if isinstance(moment, str):
            summary.first_moment = min(summary.first_moment or moment, moment)
            summary.last_moment = max(summary.last_moment or moment, moment)
    summary.cases += 1
    summary.events += count
    summary.tracking_nos.append(tracking)
