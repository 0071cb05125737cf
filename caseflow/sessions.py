"""Sign-in: opaque tokens for the API and for browser sessions, stored hashed, revocable; failed
sign-ins are slowed down per user name."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time

from sqlmodel import Session, col, select

from caseflow.accounts import authenticate
from caseflow.dates import now
from caseflow.models import AuthToken, User
from caseflow.settings import get_settings

LIFETIME = {"api": dt.timedelta(days=30), "web": dt.timedelta(hours=12)}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, kind: str) -> str:
    """A new opaque token for ``user``; only its hash is kept."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    moment = now()
    session.add(
        AuthToken(
            user_id=user.id,
            kind=kind,
            token_sha256=_digest(token),
            created_at=moment,
            expires_at=moment + LIFETIME[kind],
        )
    )
    session.commit()
    return token


def user_for_token(session: Session, token: str, kind: str) -> tuple[User, AuthToken] | None:
    row = session.exec(select(AuthToken).where(col(AuthToken.token_sha256) == _digest(token))).first()
    if row is None or row.kind != kind or row.revoked_at is not None or row.expires_at <= now():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def revoke(session: Session, token: str) -> bool:
    row = session.exec(select(AuthToken).where(col(AuthToken.token_sha256) == _digest(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now()
    session.add(row)
    session.commit()
    return True


def csrf_token(session_token: str) -> str:
    """The form token bound to a browser session (HMAC with the installation's secret)."""
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, b"csrf:" + _digest(session_token).encode(), hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(session_token), presented or "")


class Throttle:
    """Failed sign-ins per user name: each failure doubles the wait before the next attempt
    (0.25 s, 0.5 s, ... at most 8 s); a success clears it. Per process."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def delay(self, username: str) -> float:
        with self._lock:
            count, _ = self._failures.get(username, (0, 0.0))
        return 0.0 if count == 0 else min(0.125 * 2**count, 8.0)

    def failed(self, username: str) -> None:
        with self._lock:
            count, _ = self._failures.get(username, (0, 0.0))
            self._failures[username] = (count + 1, time.monotonic())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


THROTTLE = Throttle()


def sign_in(session: Session, username: str, password: str) -> User | None:
    user = authenticate(session, username, password)
    if user is None:
        THROTTLE.failed(username)
        return None
    THROTTLE.succeeded(username)
    return user
