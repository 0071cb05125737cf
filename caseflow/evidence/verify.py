"""Offline verification of an evidence package: needs only the zip (and optionally a trusted key).

Checks, first problem wins: the zip holds a bag; no file outside the manifests; the payload and tag
manifests and the Payload-Oxum; the Ed25519 signature over the tag manifest (with the package's
key, or the trusted one); every event's hash and link and the chain head recorded in
``bag-info.txt`` and in ``case.json``; every document and letter an event cites present with that
hash (``casecheck``). The zip is read in place, never extracted, and every byte is hashed once.

A package laid out as ``export`` writes it (the payload request by request, folders in ascending
order, in the order of the manifest and of the chain heads) is checked in one pass (``onepass``):
the zip mapped, its central directory parsed once, by worker processes when it is large, in memory
that does not depend on its number of requests. Any other layout, and any problem, sends the
package to the indexed check, which holds an index of its files and names the first problem in the
order above (the one-pass check never names a problem of the payload or of a chain itself, so both
report the same).
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from caseflow.evidence import bagfiles, onepass
from caseflow.evidence.casecheck import PackageProblem, check_case
from caseflow.evidence.export import (
    BAG_INFO,
    CHAIN_HEAD,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    TAGMANIFEST,
    fingerprint,
)
from caseflow.evidence.onepass import Summary
from caseflow.evidence.ziplimits import check_declared
from caseflow.evidence.zipstream import Entry, ZipLimit, ZipProblem, ZipReader

__all__ = ["PackageProblem", "Summary", "verify_package"]


def verify_package(path: Path, trusted_key: bytes | None = None, *, workers: int | None = None) -> Summary:
    """Verify ``path``; raises ``PackageProblem`` naming the first problem, else returns a summary.

    A problem with the file itself is named by the file's name only (the page verifies an upload
    kept under a temporary name, whose folder means nothing to the auditor). ``workers``: processes
    for the one-pass check (None: as many as the CPUs allow, for a large package; 0: none)."""
    try:
        archive = ZipReader(path)
    except (OSError, ZipProblem) as exc:
        raise PackageProblem(f"{path.name}：{_unreadable(exc)}") from None
    try:
        with archive:
            try:
                found = onepass.check(archive, workers)
            except onepass.Irregular:
                pass
            else:
                return _finish(archive, found, trusted_key)
            check_declared(archive)  # a zip bomb is refused before anything is inflated or parsed
            root, tags = _structure(archive)
            return _indexed(archive, root, tags, trusted_key)
    except ZipLimit as exc:
        raise PackageProblem(f"{path.name}：证据包超出解压限制：{exc}") from None
    except ZipProblem as exc:
        raise PackageProblem(f"{path.name}：{_unreadable(exc)}") from None


def _unreadable(exc: OSError | ZipProblem) -> str:
    """Why the file could not be read as a zip, in Chinese (an OS error by its kind, not its English)."""
    if isinstance(exc, FileNotFoundError):
        return "不是可读取的zip文件（文件不存在）"
    if isinstance(exc, IsADirectoryError):
        return "不是可读取的zip文件（这是一个文件夹）"
    if isinstance(exc, PermissionError):
        return "不是可读取的zip文件（没有读取权限）"
    if isinstance(exc, OSError):
        return f"不是可读取的zip文件（读取出错，错误号 {exc.errno}）"
    return f"不是可读取的zip文件（{exc}）"


# --- both checks ---------------------------------------------------------------------------------


def _structure(archive: ZipReader) -> tuple[dict[str, Entry], dict[str, str]]:
    """The files at the top of the bag and the tag manifest, after the checks of the bag's shape:
    safe paths, bagit.txt, the tag manifest, no file outside ``data/`` that it does not list."""
    root: dict[str, Entry] = {}
    outside: dict[bool, str] = {}  # the first file (False) and folder (True) outside data/, by name
    for entry in archive.entries():
        name = entry[0]
        if name.startswith("/") or (".." in name and ".." in PurePosixPath(name).parts):
            raise PackageProblem(f"zip中有不安全的路径：{name}（指向证据包以外）")
        top, sep, rest = name.partition("/")
        if not sep:
            if name in root:
                raise PackageProblem(f"zip中的文件 {name} 出现了两次")
            root[name] = entry
        elif top != "data":
            folder = not rest or name.endswith("/")
            outside[folder] = min(outside.get(folder, name), name)
    if "bagit.txt" not in root:
        raise PackageProblem("不是BagIt证据包：缺少 bagit.txt")
    if TAGMANIFEST not in root:
        raise PackageProblem(f"证据包缺少标签清单 {TAGMANIFEST}")
    tags = bagfiles.manifest(archive.read(root[TAGMANIFEST]).split(b"\n"), TAGMANIFEST)
    unlisted = [n for n in root if n not in tags and n not in (TAGMANIFEST, SIGNATURE)]
    if outside:
        unlisted.append(outside.get(False) or outside[True])
    if unlisted:
        raise PackageProblem(f"证据包中的文件 {min(unlisted)} 未列入标签清单 {TAGMANIFEST}（导出后被添加）")
    if MANIFEST not in root:
        raise PackageProblem(f"证据包缺少文件清单 {MANIFEST}")
    return root, tags


def _check_signature(
    archive: ZipReader, root: dict[str, Entry], trusted_key: bytes | None
) -> tuple[str, bool]:
    if SIGNATURE not in root:
        raise PackageProblem(f"证据包缺少签名 {SIGNATURE}")
    if trusted_key is None and PUBLIC_KEY not in root:
        raise PackageProblem(f"证据包缺少签名公钥 {PUBLIC_KEY}")
    pem = trusted_key or archive.read(root[PUBLIC_KEY])
    source = "受信任的公钥" if trusted_key else f"包内公钥 {PUBLIC_KEY} "
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise PackageProblem(f"{source}不是PEM格式的Ed25519公钥") from None
    if not isinstance(key, Ed25519PublicKey):
        raise PackageProblem(f"{source}不是Ed25519公钥")
    try:
        key.verify(archive.read(root[SIGNATURE]), archive.read(root[TAGMANIFEST]))
    except InvalidSignature:
        raise PackageProblem(
            f"签名 {SIGNATURE} 无法用{source}验证（{TAGMANIFEST} 在签名后被改动，或不是该密钥签名的）"
        ) from None
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return fingerprint(raw), trusted_key is not None


def _finish(archive: ZipReader, found: onepass.Payload, trusted_key: bytes | None) -> Summary:
    """After the one-pass check: the bag's tag files and its signature."""
    bagfiles.check_bag(archive, found.root, found.tags, found.known, found.oxum, found.files)
    summary = found.summary
    summary.signer, summary.trusted = _check_signature(archive, found.root, trusted_key)
    summary.exporter = bagfiles.one_of(found.exporter)
    return summary


# --- the indexed check ---------------------------------------------------------------------------


def _indexed(
    archive: ZipReader, root: dict[str, Entry], tags: dict[str, str], trusted_key: bytes | None
) -> Summary:
    entries: dict[str, Entry] = {}
    for entry in archive.entries():
        name = entry[0]
        if name.startswith("data/") and not name.endswith("/"):
            if name in entries:
                raise PackageProblem(f"zip中的文件 {name} 出现了两次")
            entries[name] = entry
    manifest_bytes = archive.read(root[MANIFEST])
    listed = bagfiles.manifest(manifest_bytes.split(b"\n"), MANIFEST)
    for name in sorted(entries.keys() - listed.keys()):
        raise PackageProblem(f"证据包中的文件 {name} 未列入 {MANIFEST}（导出后被添加）")
    for name in sorted(listed.keys() - entries.keys()):
        raise PackageProblem(f"{MANIFEST} 列有文件 {name}，但证据包中没有（导出后被删除）")
    for name, digest in sorted(listed.items()):
        if bagfiles.digest_of(archive.chunks(entries[name])) != digest:
            raise PackageProblem(f"文件 {name} 的SHA-256与 {MANIFEST} 所列不符（导出后被改动）")
    info_bytes = archive.read(root[BAG_INFO]) if BAG_INFO in root else b""
    info: dict[str, list[str]] = {}
    for name, value in bagfiles.tags(info_bytes.split(b"\n")):
        info.setdefault(name, []).append(value)
    known = {MANIFEST: hashlib.sha256(manifest_bytes).hexdigest()}
    known[BAG_INFO] = hashlib.sha256(info_bytes).hexdigest()
    payload = (len(entries), sum(entry[5] for entry in entries.values()))
    bagfiles.check_bag(archive, root, tags, known, info.get("Payload-Oxum", []), payload)
    summary = Summary()
    summary.signer, summary.trusted = _check_signature(archive, root, trusted_key)
    summary.exporter = bagfiles.one_of(info.get("Caseflow-Exporter", []))
    recorded: dict[str, list[str]] = {}
    for line in info.get(CHAIN_HEAD, []):
        parts = line.split()
        if len(parts) != 3:
            raise PackageProblem(f"{BAG_INFO} 中的 {CHAIN_HEAD} 不是“编号 事件数 哈希”格式：{line!r}")
        recorded[parts[0]] = parts[1:]
    if not recorded:
        raise PackageProblem(f"{BAG_INFO} 未记载任何链头（{CHAIN_HEAD}）")
    folders: dict[str, dict[str, Entry]] = {}  # folder -> case.json and events.jsonl
    held: dict[str, dict[str, str]] = {}  # folder -> documents/SHA and letters/SHA -> digest
    for name, entry in entries.items():
        place, role = onepass.place(name)
        if role == "case.json" or role == "events.jsonl":
            folders.setdefault(place, {})[role] = entry
        elif role is not None:
            held.setdefault(place, {})[role] = listed[name]  # the file's digest: checked above
    cases = sorted(name for name, files in folders.items() if "case.json" in files)
    if not cases:
        raise PackageProblem("证据包中没有任何申请的 case.json")
    for name in cases:
        files = folders[name]
        events = archive.read(files["events.jsonl"]) if "events.jsonl" in files else None
        case_json = archive.read(files["case.json"])
        summary.add(check_case(name, case_json, events, held.get(name, {}), recorded))
    verified = set(summary.tracking_nos)
    if set(recorded) != verified:
        missing = sorted(set(recorded) - verified)
        raise PackageProblem(f"{BAG_INFO} 记载的申请在证据包中不存在：{'、'.join(missing)}（导出后被删除）")
    return summary
