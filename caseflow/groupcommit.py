"""Group commit on SQLite: one writer per database and process, many transitions per durable commit.

SQLite has one write lock. Without this module every transition is its own ``BEGIN IMMEDIATE`` ...
``COMMIT`` (one fsync each) and concurrent writers wait in SQLite's busy handler, which sleeps and
retries: under load p95 collapses. Here a caller submits its unit of work and waits; one thread
at a time per database and process is the writer (the first caller to find none at work, with a
connection of its own): it takes everything waiting (a batch), opens one ``BEGIN IMMEDIATE``
transaction, runs each unit in its own ``SAVEPOINT`` and commits once:

- a unit that raises is rolled back to its savepoint alone (the request and its evidence exactly as
  before) and its exception is re-raised in its caller; the others of the batch go on;
- a caller is answered only after the batch's ``COMMIT`` returned (``synchronous=FULL``: on disk);
  if the commit fails, every unit of the batch fails with that error;
- work to do after a durable commit (``after_commit``) runs after the batch's ``COMMIT`` only.

A batch of one is today's transaction (plus a savepoint), in the caller's own thread. Readers are
not involved (WAL). Several processes (uvicorn workers) each have their writer; SQLite's lock
arbitrates between them.
PostgreSQL has row locks and no single write lock: there is no group commit and the work runs in
the caller's session as before. ``CASEFLOW_GROUP_COMMIT=0`` turns it off.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine, event
from sqlmodel import Session

from caseflow.calendar import WorkingCalendar
from caseflow.cases import actions, engine
from caseflow.cases.actor import Actor
from caseflow.db import WRITE_OPTION
from caseflow.models import Case
from caseflow.settings import get_settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: ``Session.info`` key: the list of callables to run once the session's work is durably committed.
AFTER_COMMIT = "caseflow_after_commit"
#: ``Session.info`` key marking a unit's session while its batch is open (its commit only flushes).
IN_GROUP = "caseflow_in_group"

#: At most this many units in one transaction (a bound on what one failed commit takes down).
MAX_BATCH = 64


def after_commit(session: Session, work: Callable[[], None]) -> None:
    """Run ``work`` once what ``session`` wrote is durably committed; never if it is rolled back.

    In a group transaction that is after the batch's ``COMMIT``; otherwise after the session's own
    commit. (E.g. waking a renderer: it must find what it is woken for.)"""
    session.info.setdefault(AFTER_COMMIT, []).append(work)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for hook in session.info.pop(AFTER_COMMIT, []):
        try:
            hook()
        except Exception:  # the commit stands; a failed follow-up is logged (jobs redo their work)
            log.exception("after-commit work failed")


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_commit(session: Session, previous: Any) -> None:
    if not previous.nested:  # a savepoint rolled back leaves the transaction's own work standing
        session.info.pop(AFTER_COMMIT, None)


class _UnitSession(Session):
    """A unit's session, joined to the unit's savepoint. Its ``commit`` only flushes while the
    batch is open: the real one, with its ``after_commit`` listeners (``after_commit`` above, the
    letter renderer's wake-up), comes after the batch's ``COMMIT``. Its ``rollback`` rolls the
    unit's savepoint back (``join_transaction_mode="rollback_only"``)."""

    def commit(self) -> None:
        if self.info.get(IN_GROUP):
            self.flush()
        else:
            super().commit()


class BrokenBatch(RuntimeError):
    """A unit broke the batch's transaction (see ``_run_unit``): every unit of it fails."""


@dataclass
class _Unit:
    work: Callable[[Session], Any]
    future: Future[Any] = field(default_factory=Future)


class GroupCommitter:
    """The writer of one SQLite database in this process (see the module's description)."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH):
        self.engine = engine
        self.max_batch = max_batch
        self._waiting: deque[_Unit] = deque()
        self._cond = threading.Condition()
        #: The thread writing a batch now (one at a time), or None.
        self._leader: threading.Thread | None = None
        #: Sizes of the batches committed so far (for tests and benchmarks).
        self.batches: list[int] = []

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` in the writer's transaction; its result once committed.

        ``work`` may commit (a flush until the batch commits) or roll back (its savepoint) its
        session; what it leaves unflushed is committed with it. Its exception is raised here, with
        nothing of it written. Results must be usable detached (``expire_on_commit=False``).

        The calling thread waits while another writes a batch; when none does, it becomes the
        writer and commits everything waiting, its own unit included (alone: today's transaction,
        in the caller's thread, no hand-over)."""
        me = threading.current_thread()
        if self._leader is me:
            raise RuntimeError("group commit: a unit of work may not submit another")
        unit = _Unit(work)
        with self._cond:
            self._waiting.append(unit)
        while True:
            with self._cond:
                while self._leader is not None and not unit.future.done():
                    self._cond.wait()
                if unit.future.done():
                    break
                self._leader = me
                batch = [self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))]
            try:
                self._commit(batch)
            finally:
                with self._cond:
                    self._leader = None
                    self._cond.notify_all()
        result: T = unit.future.result()
        return result

    def _commit(self, batch: list[_Unit]) -> None:
        done: list[tuple[_Unit, Any, _UnitSession]] = []
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: True})
                try:
                    self._write(conn, batch, done)
                    self.batches.append(len(batch))
                    for _unit, _result, session in done:  # durable now: after-commit work may run
                        session.info.pop(IN_GROUP)
                        try:
                            if session.in_transaction():
                                session.commit()  # nothing left to write: after_commit listeners run
                            else:
                                _run_after_commit(session)
                        except Exception:  # committed all the same: the unit succeeded
                            log.exception("after-commit work failed")
                finally:
                    for _unit, _result, session in done:
                        session.close()
        except BaseException as exc:  # BEGIN or COMMIT failed: nothing of the batch was written
            for unit in batch:
                if not unit.future.done():
                    unit.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for unit, result, _session in done:
            unit.future.set_result(result)

    @staticmethod
    def _write(conn: Any, batch: list[_Unit], done: list[tuple[_Unit, Any, _UnitSession]]) -> None:
        """BEGIN IMMEDIATE (``caseflow.db``), the units, COMMIT. A batch of one needs no savepoint:
        its transaction is the unit's (statement for statement today's transaction)."""
        with conn.begin() as transaction:  # COMMIT at the end (unless a lone unit rolled it back)
            for unit in batch:
                outcome = _run_unit(conn, unit, transaction if len(batch) == 1 else None)
                if outcome is not None:
                    done.append((unit, *outcome))


def _run_unit(conn: Any, unit: _Unit, alone: Any) -> tuple[Any, _UnitSession] | None:
    """One unit in its own savepoint (or, ``alone``, in that transaction): (result, its session),
    or None with its future failed."""
    scope = alone or conn.begin_nested()
    session = _UnitSession(bind=conn, join_transaction_mode="rollback_only", expire_on_commit=False)
    session.info[IN_GROUP] = True
    try:
        result = unit.work(session)
        if not scope.is_active:  # rolled back and went on: its later writes are not its own
            raise BrokenBatch("group commit: a unit rolled back its session without raising")
        session.flush()
        if alone is None:
            scope.commit()  # RELEASE SAVEPOINT
    except BrokenBatch:
        session.close()
        raise  # the whole batch is rolled back and fails
    except BaseException as exc:
        session.rollback()
        if scope.is_active:
            scope.rollback()
        session.close()
        unit.future.set_exception(exc)
        if not isinstance(exc, Exception):
            raise
        return None
    return result, session


_committers: weakref.WeakKeyDictionary[Engine, GroupCommitter] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def _forget_writers() -> None:
    """In a forked child no thread of the parent's is writing: every writer starts afresh."""
    global _registry_lock
    _committers.clear()
    _registry_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_writers)


def committer_for(session: Session) -> GroupCommitter | None:
    """The writer for ``session``'s database, or None where there is no group commit (PostgreSQL,
    turned off, a session bound to a connection of its own, or already inside a group transaction)."""
    if not get_settings().group_commit or session.info.get(IN_GROUP):
        return None
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return None
    with _registry_lock:
        committer = _committers.get(bind)
        if committer is None:
            committer = _committers[bind] = GroupCommitter(bind)
        return committer


def perform(
    *,
    session: Session,
    case_id: int,
    actor: Actor,
    action: str,
    facts: BaseModel | dict[str, Any] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
    addon: engine.Addon | None = None,
) -> Case:
    """``service.perform`` through the writer where there is group commit, else directly.

    The caller's session ends its read transaction first (as ``begin_write`` does) and gets the
    request back as committed, in its own identity map."""
    args: dict[str, Any] = {
        "case_id": case_id,
        "actor": actor,
        "action": action,
        "facts": facts,
        "expected_version": expected_version,
        "now": now,
        "calendar": calendar,
        "addon": addon,
    }
    committer = committer_for(session)
    if committer is None:
        return actions.perform(session=session, **args)
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("group commit: the session holds unsaved changes")
    if session.in_transaction():
        session.rollback()  # a read snapshot: the answer must be read after the commit
    case = committer.run(lambda own: actions.perform(session=own, **args))
    return session.merge(case, load=False)
