"""The archive: its manifest, the members it may hold, and the data files a restore writes.

An archive holds the database member (with the documents' bytes), ``manifest.json`` and files below
``data/keys/`` and ``data/calendar/`` only; archives made before migration 0021 also hold the
documents as files below ``data/documents/``, which a restore writes back for the upgrade to load.
Anything else (an absolute name, ``..``, a link or device, a folder such as ``data/fonts/``, a
document whose name is not its SHA-256) makes the whole archive refused before anything is changed.
Members are never extracted by name into the file system (no ``tarfile.extract``): each is read as
a stream and written to a path built from the checked name below the data directory, so a crafted
archive cannot write elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from caseflow.backup.common import (
    BACKED_UP_PARTS,
    CHUNK,
    DATA_PARTS,
    FORMAT,
    MANIFEST,
    PG_MEMBER,
    SQLITE_MEMBER,
    VERSION,
    BackupError,
    Counts,
    sha256_of,
)

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_REVISION = re.compile(r"^[0-9A-Za-z_]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def data_files(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, file) of everything kept from the data directory, in a stable order (never
    the checkpoint key, even when it was configured inside one of these folders)."""
    from caseflow.evidence.checkpoint import key_file

    checkpoint_key = key_file().resolve()
    for part in BACKED_UP_PARTS:
        root = data_dir / part
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if (
                path.is_file()
                and not path.is_symlink()
                and not path.name.startswith(".incoming-")
                and path.resolve() != checkpoint_key
            ):
                yield f"data/{path.relative_to(data_dir).as_posix()}", path


def member_problem(name: str, entry: Any, database_member: str) -> str | None:
    """Why ``name`` may not be in an archive (None when it may)."""
    if name == database_member:
        return None
    if name in (SQLITE_MEMBER, PG_MEMBER):
        return "第二个数据库"
    if _CONTROL.search(name):
        return "名称含控制字符或反斜杠"
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return "路径不在数据目录之内"
    if parts[0] != "data" or len(parts) < 3 or parts[1] not in DATA_PARTS:
        return f"只恢复 data/{'、data/'.join(DATA_PARTS)} 下的文件"
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        return "清单中没有它的 SHA-256"
    if parts[1] == "documents":
        sha = parts[-1]
        if len(parts) != 5 or not _HEX64.match(sha) or parts[2:4] != [sha[:2], sha[2:4]]:
            return "不是文档库中的文档（文件名应为其 SHA-256）"
        if entry["sha256"] != sha:
            return "文档内容的 SHA-256 与其文件名不符"
    return None


def wanted_counts(manifest: dict[str, Any]) -> Counts:
    """The manifest's (revision, requests, events), checked to be what they claim to be."""
    database = manifest["database"]
    revision, requests, events = database.get("revision"), database.get("requests"), database.get("events")
    if revision is not None and (not isinstance(revision, str) or not _REVISION.match(revision)):
        raise BackupError(f"备份清单已损坏：结构版本 {revision!r} 无效")
    for value in (requests, events):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BackupError(f"备份清单已损坏：数量 {value!r} 无效")
    assert isinstance(requests, int) and isinstance(events, int)
    return revision, requests, events


def read_manifest(archive: Path) -> dict[str, Any]:
    """The archive's manifest, after checking every member against it (nothing missing, nothing
    extra, only members a restore may write, every SHA-256 and size as recorded). Raises
    BackupError naming the first problem."""
    if not archive.is_file():
        raise BackupError(f"no archive at {archive}")
    try:
        with tarfile.open(archive, "r:*") as tar:
            manifest = _manifest_of(tar, archive)
            expected: dict[str, Any] = manifest["files"]
            seen: set[str] = set()
            for info in tar:
                if info.name == MANIFEST and info.isfile() and MANIFEST not in seen:
                    seen.add(MANIFEST)
                    continue
                if not info.isfile() or info.name not in expected:
                    raise BackupError(
                        f"备份文件含有不应有的成员，未恢复任何内容（{archive} is not as its manifest "
                        f"says: unexpected member {info.name!r}）"
                    )
                if info.name in seen:
                    raise BackupError(f"{archive} holds {info.name!r} twice")
                seen.add(info.name)
                handle = tar.extractfile(info)
                assert handle is not None
                digest = hashlib.sha256()
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                want = expected[info.name]
                if info.size != want["size"] or digest.hexdigest() != want["sha256"]:
                    raise BackupError(
                        f"备份文件已损坏（{archive} is damaged: {info.name} does not match the SHA-256 in "
                        f"its manifest (recorded {str(want['sha256'])[:16]}…, found "
                        f"{digest.hexdigest()[:16]}…); nothing was restored）"
                    )
            missing = sorted(set(expected) - seen)
            if missing:
                raise BackupError(f"{archive} is incomplete: {missing[0]} is missing ({len(missing)} in all)")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"{archive} is damaged or not a caseflow backup: {exc}") from None
    return manifest


def _manifest_of(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        handle = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError(f"{archive} is not a caseflow backup (no {MANIFEST})") from None
    if handle is None:
        raise BackupError(f"{archive}: {MANIFEST} is not a file")
    try:
        manifest = json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive} is damaged: its {MANIFEST} cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a caseflow backup")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{archive} is a backup of format {manifest.get('version')}; this caseflow reads {VERSION}"
        )
    database = manifest.get("database")
    files = manifest.get("files")
    if not isinstance(database, dict) or not isinstance(files, dict) or database.get("member") not in files:
        raise BackupError(f"{archive} is damaged: its {MANIFEST} names no database")
    member = database["member"]
    if (database.get("kind"), member) not in (("sqlite", SQLITE_MEMBER), ("postgresql", PG_MEMBER)):
        raise BackupError(f"{archive} is damaged: its {MANIFEST} names no database")
    for name, entry in files.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("size"), int):
            raise BackupError(f"{archive} is damaged: its {MANIFEST} lists {name!r} without a size")
        problem = member_problem(name, entry, member)
        if problem is not None:
            raise BackupError(
                f"备份中有不能恢复的文件 {name!r}（{problem}），未恢复任何内容 "
                f"({archive} names a file outside the archive's data)"
            )
    wanted_counts(manifest)
    return manifest


@contextmanager
def extracted(archive: Path, name: str, directory: Path) -> Iterator[Path]:
    """One member written to a temporary file in ``directory`` (removed afterwards unless moved)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".restore-")
    path = Path(tmp)
    try:
        with tarfile.open(archive, "r:*") as tar, os.fdopen(fd, "wb") as out:
            handle = tar.extractfile(name)
            assert handle is not None
            shutil.copyfileobj(handle, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        yield path
    finally:
        path.unlink(missing_ok=True)


def _target(data_dir: Path, name: str) -> Path:
    return data_dir.joinpath(*name.split("/")[1:])


def conflicting_files(manifest: dict[str, Any], data_dir: Path) -> list[str]:
    """Keys and notices in the data directory that differ from the archive's (documents are
    named by their content and cannot differ)."""
    out = []
    for name, entry in manifest["files"].items():
        if not name.startswith("data/") or name.startswith("data/documents/"):
            continue
        target = _target(data_dir, name)
        if target.exists() and sha256_of(target) != entry["sha256"]:
            out.append(name.removeprefix("data/"))
    return out


def restore_files(
    archive: Path, manifest: dict[str, Any], data_dir: Path, parts: tuple[str, ...], aside: Path
) -> int:
    """Write the archive's data files below ``parts`` that the data directory lacks or holds
    otherwise; a file that differs is moved below ``aside`` first, never overwritten."""
    written = 0
    prefixes = tuple(f"data/{part}/" for part in parts)
    with tarfile.open(archive, "r:*") as tar:
        for info in tar:
            if not info.name.startswith(prefixes) or not info.isfile():
                continue
            target = _target(data_dir, info.name)
            if target.is_file() and sha256_of(target) == manifest["files"][info.name]["sha256"]:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = tar.extractfile(info)
            assert handle is not None
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(handle, out, CHUNK)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, info.mode & 0o700 if "/keys/" in info.name else info.mode & 0o755)
                if target.exists() or target.is_symlink():
                    kept = _target(aside, info.name)
                    kept.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(target, kept)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            written += 1
    return written
