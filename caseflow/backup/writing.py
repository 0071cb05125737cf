"""``backup``: the database snapshot first, then the data files, into one archive with its manifest."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from caseflow.backup import postgres, sqlite
from caseflow.backup.archive import data_files
from caseflow.backup.common import (
    FORMAT,
    MANIFEST,
    PG_MEMBER,
    SQLITE_MEMBER,
    VERSION,
    BackupError,
    Summary,
    kind_of,
    safe_url,
    sha256_of,
)


def _open_for_writing(path: Path, compress: bool) -> tarfile.TarFile:
    return tarfile.open(path, "w:gz") if compress else tarfile.open(path, "w")


def backup(
    url: str,
    dest: Path,
    *,
    data_dir: Path | None = None,
    overwrite: bool = False,
    now: dt.datetime | None = None,
) -> Summary:
    """Write the database at ``url`` (documents included) and the data directory's keys and calendar
    notices into the archive ``dest`` (written aside and moved into place when complete)."""
    from caseflow.settings import get_settings

    kind = kind_of(url)
    data_dir = data_dir if data_dir is not None else get_settings().data_dir
    if dest.exists() and not overwrite:
        raise BackupError(f"{dest} exists (give --force to replace it)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="caseflow-backup-", dir=dest.parent) as work:
        member = SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER
        snapshot = Path(work) / member
        revision, requests, events = (
            sqlite.snapshot(url, snapshot) if kind == "sqlite" else postgres.snapshot(url, snapshot)
        )
        files: dict[str, dict[str, Any]] = {}
        partial = Path(work) / "archive.partial"
        with _open_for_writing(partial, dest.name.endswith((".gz", ".tgz"))) as tar:
            for name, path in [(member, snapshot), *data_files(data_dir)]:
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                digest = sha256_of(path)
                with path.open("rb") as handle:
                    tar.addfile(info, handle)
                files[name] = {"sha256": digest, "size": info.size}
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
                "source": safe_url(url),
                "database": {
                    "kind": kind,
                    "member": member,
                    "revision": revision,
                    "requests": requests,
                    "events": events,
                },
                "files": files,
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(body))
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, dest)
    return Summary(dest, kind, revision, requests, events, len(files) - 1, dest.stat().st_size)
