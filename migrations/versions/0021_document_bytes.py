"""document bytes in the database: ``document.content``

The bytes of every document move from ``$CASEFLOW_DATA_DIR/documents/ab/cd/<sha256>`` into its row,
each file's SHA-256 checked while it is copied; a missing or changed file stops the upgrade naming
the hash (nothing is lost silently: the transaction rolls back and the files stay). Files of pending
uploads (which had no ``document`` row) get one. The files are left in place (they are no longer
read; remove ``documents/`` once the upgrade has committed). Downgrade writes the bytes back out.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
BATCH = 500
DOCUMENT = sa.table(
    "document",
    sa.column("sha256", sa.String),
    sa.column("size", sa.Integer),
    sa.column("media_type", sa.String),
    sa.column("filename", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("content", sa.LargeBinary),
)
PENDING = sa.table(
    "pending_upload",
    sa.column("id", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("size", sa.Integer),
    sa.column("media_type", sa.String),
    sa.column("filename", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _root() -> Path:
    from caseflow.settings import get_settings

    return get_settings().data_dir / "documents"


def _path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def _read(root: Path, sha256: str) -> bytes | None:
    """The file's bytes, checked against their hash (None when there is no file)."""
    try:
        data = _path(root, sha256).read_bytes()
    except FileNotFoundError:
        return None
    found = hashlib.sha256(data).hexdigest()
    if found != sha256:
        raise RuntimeError(
            f"迁移0021未完成，未作任何修改：文件库中的文档 {sha256} 内容已被改动（其SHA-256为 {found}），"
            f"请从备份恢复该文件（{_path(root, sha256)}）"
        )
    return data


def _load(conn: sa.Connection) -> None:
    root = _root()
    last = ""
    moved = 0
    while True:  # one batch of hashes at a time, one file's bytes in memory at a time
        hashes = (
            conn.execute(
                sa.select(DOCUMENT.c.sha256)
                .where(sa.or_(DOCUMENT.c.content.is_(None), sa.func.length(DOCUMENT.c.content) == 0))
                .where(DOCUMENT.c.sha256 > last)
                .order_by(DOCUMENT.c.sha256)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
        if not hashes:
            break
        for sha in hashes:
            data = _read(root, sha)
            if data is None:
                raise RuntimeError(
                    f"迁移0021未完成，未作任何修改：文档 {sha} 的文件不在文件库中（{_path(root, sha)}），"
                    "请先从备份恢复该文件"
                )
            conn.execute(sa.update(DOCUMENT).where(DOCUMENT.c.sha256 == sha).values(content=data))
            moved += 1
        last = hashes[-1]
    # pending uploads kept their bytes as files without a ``document`` row: they get one
    known = sa.select(DOCUMENT.c.sha256).where(DOCUMENT.c.sha256 == PENDING.c.sha256).exists()
    rows = conn.execute(  # pending uploads are few (a day's forms at most)
        sa.select(
            PENDING.c.id, PENDING.c.sha256, PENDING.c.media_type, PENDING.c.filename, PENDING.c.created_at
        )
        .where(~known)
        .order_by(PENDING.c.id)
    ).all()
    for pid, sha, media_type, filename, created_at in rows:
        if conn.execute(sa.select(DOCUMENT.c.sha256).where(DOCUMENT.c.sha256 == sha)).first():
            continue  # two pending uploads of the same bytes
        data = _read(root, sha)
        if data is None:  # unusable already (its form said so): the upload is discarded
            log.warning("pending upload %s: file %s missing, discarded", pid, sha)
            conn.execute(sa.delete(PENDING).where(PENDING.c.id == pid))
            continue
        conn.execute(
            sa.insert(DOCUMENT).values(
                sha256=sha,
                size=len(data),
                media_type=media_type,
                filename=filename,
                created_at=created_at,
                content=data,
            )
        )
        moved += 1
    if moved:
        log.info("0021: %d documents moved from %s into the database", moved, root)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        # SQLite adds a NOT NULL column only with a default; rebuilding ``document`` instead (batch
        # mode) would drop a table that letters and request documents reference. The empty default
        # is never a document's content for long: the load below fills every row, and a row written
        # without bytes would fail every read (its hash would not match).
        op.execute("ALTER TABLE document ADD COLUMN content BLOB NOT NULL DEFAULT x''")
    else:
        op.add_column("document", sa.Column("content", sa.LargeBinary(), nullable=True))
    _load(conn)
    if conn.dialect.name != "sqlite":
        op.alter_column("document", "content", existing_type=sa.LargeBinary(), nullable=False)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".incoming-{path.name}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def downgrade() -> None:
    conn = op.get_bind()
    root = _root()
    last = ""
    while True:
        hashes = (
            conn.execute(
                sa.select(DOCUMENT.c.sha256)
                .where(DOCUMENT.c.sha256 > last)
                .order_by(DOCUMENT.c.sha256)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
        if not hashes:
            break
        for sha in hashes:
            data = conn.execute(sa.select(DOCUMENT.c.content).where(DOCUMENT.c.sha256 == sha)).scalar_one()
            if hashlib.sha256(data).hexdigest() != sha:
                raise RuntimeError(f"document {sha} in the database does not match its hash: not written out")
            path = _path(root, sha)
            if not (path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data):
                _write(path, bytes(data))
        last = hashes[-1]
    op.drop_column("document", "content")  # SQLite 3.35+ drops a column in place
