"""Removing content-store files that nothing refers to.

The document store (``$CASEFLOW_DATA_DIR/documents``, ``caseflow.evidence.store``) writes a file
before the row that cites it commits; a transaction that then rolls back (a refused registration,
a letter that failed to issue) leaves the file behind, and so does a process that died in the
middle of a write (``.incoming-*``). This job removes such files, conservatively:

- only files older than the grace period (``CASEFLOW_STORE_GRACE_HOURS``, 24 h) as of the run (and
  of the clock: ``caseflow sweep --now`` in the future ages nothing): a file being written now, or
  one whose row has not committed yet, is young;
- only files named by their SHA-256 where the store puts them, that no ``document`` row lists and no
  column of any table holding a SHA-256 (``sha256``, ``*_sha256``: letters, case documents, uploads
  awaiting review, checkpoints, whatever is added later) names;
- a file is first renamed aside, then checked again: if it was stored anew meanwhile (the store
  refreshes the time of a file it is asked to store again) it is put back, so a concurrent upload
  of the same bytes never loses its file; a file left aside by a crash is put back on the next run;
- leftover ``.incoming-*`` temporary files older than the grace period. Anything else is left alone.

A second run finds nothing more to remove. Each removal is logged and listed in the run's result.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from sqlalchemy import Column, Engine, String, Table, select
from sqlmodel import Session, SQLModel
from sqlmodel.sql.sqltypes import AutoString

import caseflow.models  # noqa: F401 - every table registered in the metadata searched here
from caseflow.dates import now as current_moment
from caseflow.evidence.store import DocumentStore
from caseflow.scheduled.runs import Failure, JobResult
from caseflow.settings import get_settings

log = logging.getLogger("caseflow.scheduled.orphans")
SHA256_NAME = re.compile(r"[0-9a-f]{64}")
INCOMING = ".incoming-"
ASIDE = ".sweeping-"
BATCH = 500


def _sha256_columns() -> list[Column[str]]:
    """Every string column of the schema that may hold a SHA-256 of a stored file (by its name:
    ``sha256`` or ``…_sha256``), the ``document`` table's key first."""
    found: list[Column[str]] = []
    for table in SQLModel.metadata.sorted_tables:
        assert isinstance(table, Table)
        for column in table.columns:
            named = column.name == "sha256" or column.name.endswith("_sha256")
            if named and isinstance(column.type, (String, AutoString)):
                found.append(column)
    found.sort(key=lambda c: (c.table.name != "document", c.table.name, c.name))
    return found


def referenced(session: Session, names: Sequence[str], columns: Sequence[Column[str]]) -> set[str]:
    """Those of ``names`` that some row names in one of ``columns``."""
    held: set[str] = set()
    remaining = list(names)
    for column in columns:
        if not remaining:
            break
        held |= {v for v in session.execute(select(column).where(column.in_(remaining))).scalars() if v}
        remaining = [n for n in remaining if n not in held]
    return held


def _files(root: Path) -> Iterator[os.DirEntry[str]]:
    """The files of the store, shard by shard (``ab/cd/abcd…``), as directory entries."""
    for first in sorted(os.scandir(root), key=lambda e: e.name):
        if not first.is_dir(follow_symlinks=False):
            continue
        for second in sorted(os.scandir(first.path), key=lambda e: e.name):
            if not second.is_dir(follow_symlinks=False):
                continue
            with os.scandir(second.path) as entries:
                yield from (e for e in entries if e.is_file(follow_symlinks=False))


def _restore_aside(root: Path) -> None:
    """Files a crashed run had set aside go back to their names (unless stored anew meanwhile)."""
    for entry in _files(root):
        if entry.name.startswith(ASIDE):
            target = Path(entry.path).with_name(entry.name.removeprefix(ASIDE))
            if target.exists():
                Path(entry.path).unlink(missing_ok=True)
            else:
                os.replace(entry.path, target)


def sweep_store(engine: Engine, now: dt.datetime, *, store: DocumentStore | None = None) -> JobResult:
    """Remove the store's unreferenced files older than the grace period as of ``now``."""
    result = JobResult()
    docs = store or DocumentStore()
    if not docs.root.is_dir():
        return result
    # as of the run, but never later than the clock: a run "as of" a future moment does not age files
    cutoff = (min(now, current_moment()) - dt.timedelta(hours=get_settings().store_grace_hours)).timestamp()
    columns = _sha256_columns()
    _restore_aside(docs.root)
    batch: list[Path] = []
    with Session(engine) as session:
        for entry in _files(docs.root):
            if entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue  # young: being written, or its row may not have committed yet
            path = Path(entry.path)
            if entry.name.startswith(INCOMING):
                _remove(path, result, "unfinished write")
            elif SHA256_NAME.fullmatch(entry.name) and path == docs.path_for(entry.name):
                batch.append(path)
                if len(batch) >= BATCH:
                    _sweep_batch(session, batch, columns, cutoff, result)
                    batch = []
        if batch:
            _sweep_batch(session, batch, columns, cutoff, result)
    return result


def _sweep_batch(
    session: Session, batch: list[Path], columns: Sequence[Column[str]], cutoff: float, result: JobResult
) -> None:
    names = [p.name for p in batch]
    held = referenced(session, names, columns)
    session.rollback()  # end the read transaction: no snapshot or lock held while files are moved
    for path in batch:
        if path.name in held:
            continue
        aside = path.with_name(f"{ASIDE}{path.name}")
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            continue
        try:
            # stored again while we looked (the store refreshes its time), or cited since: put it back
            fresh = aside.stat().st_mtime > cutoff or referenced(session, [path.name], columns)
            session.rollback()
        except BaseException:
            os.replace(aside, path)
            raise
        if fresh:
            os.replace(aside, path)
            continue
        _remove(aside, result, "no row refers to it", name=path.name)


def _remove(path: Path, result: JobResult, why: str, *, name: str | None = None) -> None:
    shown = name or path.name
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        result.failed.append(Failure(shown, "remove_orphan", f"{type(exc).__name__}: {exc}"))
        return
    log.info("removed store file %s (%d bytes): %s", shown, size, why)
    result.done.append(f"{shown} removed ({size} bytes; {why})")
