"""Content-addressed document store: a file's name is the SHA-256 of its bytes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlmodel import Session

from caseflow.models import Document
from caseflow.settings import get_settings


def _refreshed(target: Path) -> bool:
    """Whether the file is already stored; its time is refreshed, so the job that removes
    unreferenced files (``caseflow.scheduled.orphans``) sees it as young and keeps it."""
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    return True


class DocumentStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or get_settings().data_dir) / "documents"

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put_bytes(self, data: bytes) -> str:
        """Store the bytes (once; the same content is the same file) and return their SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if not _refreshed(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return digest

    def put(self, session: Session, data: bytes, *, media_type: str, filename: str = "") -> str:
        """Store the bytes and their ``document`` row (in the caller's transaction)."""
        digest = self.put_bytes(data)
        if session.get(Document, digest) is None:
            session.add(Document(sha256=digest, size=len(data), media_type=media_type, filename=filename))
            session.flush()  # rows that cite the document by hash may follow in this unit of work
        return digest

    def read(self, sha256: str) -> bytes:
        data = self.path_for(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"document {sha256} on disk does not match its hash")
        return data

    def open_verified(self, sha256: str, chunk: int = 1 << 20) -> tuple[int, Iterator[bytes]]:
        """(size, the bytes in chunks) of a stored file, read once: the generator raises ``ValueError``
        after the last chunk if the file does not match its hash."""
        path = self.path_for(sha256)
        size = path.stat().st_size

        def chunks() -> Iterator[bytes]:
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while block := handle.read(chunk):
                    digest.update(block)
                    yield block
            if digest.hexdigest() != sha256:
                raise ValueError(f"document {sha256} on disk does not match its hash")

        return size, chunks()
