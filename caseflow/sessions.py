"""Opaque tokens for the API and for browser sessions, stored hashed, revocable (one at a time or all
of a user's at once); the CSRF token bound to a browser session. Signing in is ``caseflow.signin``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import update
from sqlmodel import Session, col, select

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


def revoke_all(session: Session, user_id: int) -> int:
    """Revoke every live token of a user (API and browser); how many. The caller commits."""
    result = session.exec(
        update(AuthToken)
        .where(col(AuthToken.user_id) == user_id, col(AuthToken.revoked_at).is_(None))
        .values(revoked_at=now())
    )
    return int(result.rowcount or 0)


def csrf_token(session_token: str) -> str:
    """The form token bound to a browser session (HMAC with the installation's secret)."""
    key = get_settings().secret_key.encode("utf-8")
    return hmac.new(key, b"csrf:" + _digest(session_token).encode(), hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(session_token), presented or "")
