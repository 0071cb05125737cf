"""The leader lock: of several instances sharing one database, one runs the scheduled jobs.

PostgreSQL: a session-level advisory lock held on a dedicated connection (released by the server
when that connection or its process dies). SQLite: an exclusive lock on a file beside the database
(released by the kernel when the process dies). ``try_acquire`` never waits; a follower asks again
on its next tick and takes over when the leader is gone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, text

from caseflow.settings import get_settings

log = logging.getLogger("caseflow.scheduled")

#: The advisory lock's key: "caseflow" read as a number.
ADVISORY_KEY = int.from_bytes(b"caseflow", "big") >> 1


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...

    def held(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLeader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self.held():
            return True
        connection = self.engine.connect()
        try:
            got = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            )
            connection.commit()
        except Exception:
            connection.close()
            raise
        if got:
            self.connection = connection
        else:
            connection.close()
        return got

    def held(self) -> bool:
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
            return True
        except Exception:  # the connection is gone, and the lock with it
            log.warning("scheduler: lost the leader connection")
            self.connection.invalidate()
            self.connection = None
            return False

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                self.connection.commit()
            finally:
                self.connection.close()
                self.connection = None


class FileLeader:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = FileLock(str(path), thread_local=False)

    def try_acquire(self) -> bool:
        if self.lock.is_locked:
            return True
        try:
            self.lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def held(self) -> bool:
        return bool(self.lock.is_locked)

    def release(self) -> None:
        if self.lock.is_locked:
            self.lock.release(force=True)


def leader_for(engine: Engine) -> LeaderLock:
    if engine.dialect.name == "postgresql":
        return AdvisoryLeader(engine)
    database = engine.url.database
    if database and database != ":memory:":
        return FileLeader(Path(f"{database}.scheduler.lock"))
    return FileLeader(get_settings().data_dir / "scheduler.lock")
