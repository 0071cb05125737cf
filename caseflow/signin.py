"""Sign-in that cannot take the server down.

Every attempt is written to ``login_attempt`` (once under its user name, once under its client
address) and committed *before* the password is checked, so parallel attempts and other processes
count it at once (counting and adding hold a lock on the keys: see ``register_attempt``). An
attempt beyond the limit of either (settings ``signin_user_limit``, ``signin_address_limit`` per
``signin_window_minutes``) is refused with the moment to try again (``TooManyAttempts``: 429 with
Retry-After), never slowed down by sleeping. A success deletes the user name's rows. Passwords
are checked in a small pool of threads of their own (argon2 is deliberately expensive: it never
runs on the event loop, and waiting sign-ins hold no thread of the web server). An unknown or
deactivated user is checked against a hash as well (a dummy one for the unknown), so every
failure takes the same path and the same time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, delete, text
from sqlmodel import Session, col, select

from caseflow.accounts import dummy_hash, verify_password
from caseflow.dates import SHANGHAI, now
from caseflow.db import begin_write, get_engine
from caseflow.errors import TooManyAttempts
from caseflow.models import LoginAttempt, User
from caseflow.sessions import issue_token
from caseflow.settings import get_settings

USER, ADDRESS = "user", "address"
KEY_LENGTH = 120


@dataclass(frozen=True)
class Attempt:
    """An attempt counted: its user-name key, its address key and the ids of its two rows."""

    user_key: str
    address_key: str
    row_ids: tuple[int, ...]


def user_key(username: str) -> str:
    """Counted per user name whatever its case or surrounding blanks ("Clerk " is "clerk")."""
    return username.strip().casefold()[:KEY_LENGTH]


def _limits() -> tuple[dt.timedelta, dict[str, int]]:
    settings = get_settings()
    window = dt.timedelta(minutes=settings.signin_window_minutes)
    return window, {USER: settings.signin_user_limit, ADDRESS: settings.signin_address_limit}


def register_attempt(
    engine: Engine, username: str, address: str, moment: dt.datetime | None = None
) -> Attempt:
    """Count an attempt before its password is checked, or refuse it when the user name or the
    address has used up its failures in the window (a refusal is not counted: a lock-out does not
    feed itself).

    Counting and adding are one transaction holding the keys' lock (SQLite: the write lock of
    ``BEGIN IMMEDIATE``; PostgreSQL: a transaction advisory lock per key), so of any number of
    parallel attempts, in any number of processes, at most the limit get through.
    """
    moment = moment or now()
    window, limits = _limits()
    keys = {USER: user_key(username), ADDRESS: (address or "?")[:KEY_LENGTH]}
    with Session(engine, expire_on_commit=False) as session:
        begin_write(session)
        try:
            if session.get_bind().dialect.name == "postgresql":
                for lock in sorted(_lock_id(kind, key) for kind, key in keys.items()):
                    session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock})
            for kind, key in keys.items():
                recent = list(
                    session.exec(
                        select(LoginAttempt.attempted_at)
                        .where(
                            col(LoginAttempt.kind) == kind,
                            col(LoginAttempt.key) == key,
                            col(LoginAttempt.attempted_at) >= moment - window,
                        )
                        .order_by(col(LoginAttempt.attempted_at))
                    )
                )
                if len(recent) >= limits[kind]:
                    # the earliest moment when fewer than the limit remain in the window
                    retry_at = recent[len(recent) - limits[kind]] + window
                    raise _refusal(kind, limits[kind], window, retry_at, moment)
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < moment - window))
            rows = [LoginAttempt(kind=kind, key=key, attempted_at=moment) for kind, key in keys.items()]
            session.add_all(rows)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return Attempt(keys[USER], keys[ADDRESS], tuple(r.id for r in rows if r.id is not None))


def _lock_id(kind: str, key: str) -> int:
    """A 64-bit advisory lock id for one counted key."""
    digest = hashlib.blake2b(f"caseflow-signin:{kind}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _refusal(
    kind: str, limit: int, window: dt.timedelta, retry_at: dt.datetime, moment: dt.datetime
) -> TooManyAttempts:
    seconds = max(1, math.ceil((retry_at - moment).total_seconds()))
    minutes = window.total_seconds() / 60
    who = "该用户名" if kind == USER else "本机地址"
    at = retry_at.astimezone(SHANGHAI).strftime("%H:%M:%S")
    return TooManyAttempts(
        f"登录失败次数过多：{who}在{minutes:g}分钟内已失败{limit}次。"
        f"请于 {at}（约{math.ceil(seconds / 60)}分钟后）再试。",
        seconds,
    )


def attempt_succeeded(engine: Engine, attempt: Attempt) -> None:
    """A success: the user name's failures are forgotten, and this attempt counts nowhere."""
    with Session(engine) as session:
        begin_write(session)
        session.exec(
            delete(LoginAttempt).where(
                (col(LoginAttempt.id).in_(attempt.row_ids))
                | ((col(LoginAttempt.kind) == USER) & (col(LoginAttempt.key) == attempt.user_key))
            )
        )
        session.commit()


def check_password(engine: Engine, username: str, password: str) -> int | None:
    """The id of the active user with this name and password, else None; always one argon2 check."""
    with Session(engine) as session:
        user = session.exec(select(User).where(col(User.username) == username)).first()
        stored = user.password_hash if user is not None else dummy_hash()
        user_id, active = (user.id, user.active) if user is not None else (None, False)
    matches = verify_password(password, stored)
    return user_id if matches and active else None


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def password_pool() -> ThreadPoolExecutor:
    """The threads that check passwords (``password_workers`` of them, per process)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(get_settings().password_workers, thread_name_prefix="password")
        return _pool


async def sign_in(username: str, password: str, address: str, *, kind: str) -> str | None:
    """Sign in from an event loop: a new token of ``kind`` ("api" or "web"), or None for a wrong
    user name or password; ``TooManyAttempts`` when the limits are reached. The database work runs
    in the loop's default threads, the password check in ``password_pool``."""
    engine = get_engine()
    loop = asyncio.get_running_loop()
    attempt = await asyncio.to_thread(register_attempt, engine, username, address)
    user_id = await loop.run_in_executor(password_pool(), check_password, engine, username, password)
    if user_id is None:
        return None
    await asyncio.to_thread(attempt_succeeded, engine, attempt)
    return await asyncio.to_thread(_issue, engine, user_id, kind)


def _issue(engine: Engine, user_id: int, kind: str) -> str:
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, user_id)
        assert user is not None
        return issue_token(session, user, kind)
