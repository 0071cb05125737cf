"""Users, agencies and passwords (argon2 via pwdlib)."""

from __future__ import annotations

from pwdlib import PasswordHash
from sqlmodel import Session, col, select

from caseflow.errors import FactsError, NotFound
from caseflow.models import Agency, User
from caseflow.states.machine import ROLES

_hasher = PasswordHash.recommended()
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FactsError([("password", f"at least {MIN_PASSWORD_LENGTH} characters")])
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


def create_agency(
    session: Session,
    *,
    code: str,
    name: str,
    parent_code: str | None = None,
    letter_prefix: str = "",
    address: str = "",
    review_body: str = "",
    court: str = "",
) -> Agency:
    """Add an agency under ``parent_code`` (or as a root); its materialised path is set here."""
    if session.exec(select(Agency).where(col(Agency.code) == code)).first() is not None:
        raise FactsError([("code", f"agency {code!r} exists already")])
    parent = None
    if parent_code is not None:
        parent = session.exec(select(Agency).where(col(Agency.code) == parent_code)).first()
        if parent is None:
            raise NotFound(f"no agency {parent_code!r}")
    agency = Agency(
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        letter_prefix=letter_prefix,
        address=address,
        review_body=review_body,
        court=court,
    )
    session.add(agency)
    session.flush()
    agency.path = f"{parent.path if parent else '/'}{agency.id}/"
    session.add(agency)
    return agency


def create_user(
    session: Session, *, username: str, display_name: str, password: str, roles: list[str], agency_code: str
) -> User:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise FactsError(
            [("roles", f"expected some of {', '.join(ROLES)}, got {', '.join(roles) or 'none'}")]
        )
    if session.exec(select(User).where(col(User.username) == username)).first() is not None:
        raise FactsError([("username", f"user {username!r} exists already")])
    agency = session.exec(select(Agency).where(col(Agency.code) == agency_code)).first()
    if agency is None or agency.id is None:
        raise NotFound(f"no agency {agency_code!r}")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=",".join(roles),
        agency_id=agency.id,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(col(User.username) == username)).first()
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    return user
