"""Backup and restore of an installation: its database and its data directory in one archive.

A backup is a tar file (gzip-compressed when its name ends in ``.gz`` or ``.tgz``) holding

- ``database.sqlite3``: a SQLite database copied with SQLite's online backup API, a consistent
  snapshot taken while the server keeps running (readers never block writers in WAL mode); or
  ``database.pgdump``: ``pg_dump --format=custom`` of a PostgreSQL database, dumped in one
  repeatable-read snapshot; it holds the documents too (scans, letters as issued: their bytes are
  ``document`` rows since migration 0021);
- ``data/keys/…``, ``data/calendar/…``: the evidence signing key pair and the holiday notices an
  admin loaded, from ``CASEFLOW_DATA_DIR`` (the prepared letter fonts are not kept: they are made
  again); archives made before 0021 also hold ``data/documents/…``, the documents as files, which
  a restore writes back and the upgrade loads into the database;
- ``manifest.json``: the format, when and from where, the schema revision, the number of requests
  and evidence events in the snapshot, and the SHA-256 and size of every other member.

Every document the snapshot cites is in the snapshot: the bytes commit with the rows citing them.

``restore`` cannot destroy: it checks the whole archive, then the database in it, before it
changes anything, keeps what it replaces (``FILE.bak``, the schema ``caseflow_before_restore``,
``before-restore-TIME/`` in the data directory) and refuses any archive member other than the
database and the documents, keys and notices (see ``restoring``).

Modules: ``common`` (errors, counts), ``archive`` (manifest and members), ``sqlite`` and
``postgres`` (each database's snapshot and checked replacement), ``writing`` and ``restoring``.
"""

from caseflow.backup.archive import read_manifest
from caseflow.backup.common import (
    DATA_PARTS,
    FORMAT,
    MANIFEST,
    PG_MEMBER,
    SQLITE_MEMBER,
    VERSION,
    BackupError,
    Summary,
)
from caseflow.backup.restoring import restore
from caseflow.backup.writing import backup

__all__ = [
    "DATA_PARTS",
    "FORMAT",
    "MANIFEST",
    "PG_MEMBER",
    "SQLITE_MEMBER",
    "VERSION",
    "BackupError",
    "Summary",
    "backup",
    "read_manifest",
    "restore",
]
