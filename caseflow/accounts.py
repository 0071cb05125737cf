"""Users, agencies and passwords (argon2 via pwdlib)."""

from __future__ import annotations

import re
import secrets
from functools import cache

from pwdlib import PasswordHash
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.errors import FactsError, NotFound
from caseflow.models import Agency, User
from caseflow.states.roles import ROLE_NAMES, ROLES

_hasher = PasswordHash.recommended()
MIN_PASSWORD_LENGTH = 8
#: Separation of duties: who drafts replies (clerk) does not also approve them (reviewer) in the
#: same agency, unless an admin records an exception (``caseflow.account_admin``).
DRAFTING, APPROVING = "clerk", "reviewer"
DUTIES_RULE = "职责分离：同一机关的同一用户不得同时担任经办人（拟稿）和法制审核（审核）"


def conflicting_duties(roles: list[str] | frozenset[str] | set[str]) -> bool:
    return DRAFTING in roles and APPROVING in roles


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FactsError([("password", f"密码至少{MIN_PASSWORD_LENGTH}个字符（收到{len(password)}个）")])
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


#: An agency's code: it names the agency in URLs, file names, tracking numbers and the CLI.
AGENCY_CODE = re.compile(r"[a-z0-9-]{1,40}")


def check_agency_code(code: str) -> None:
    """Refuse a code outside ``^[a-z0-9-]{1,40}$`` (naming the field, in the clerks' language)."""
    if not AGENCY_CODE.fullmatch(code):
        rule = "机关代码只能由小写字母 a-z、数字 0-9 和连字符 - 组成，长度 1 至 40 个字符"
        raise FactsError([("code", f"{rule}（收到：{code[:60]!r}）")])


def check_agency_kind(kind: str) -> None:
    """Refuse a kind that is not a ``law.AgencyKind`` (naming the field)."""
    if kind not in {k.value for k in law.AgencyKind}:
        choices = "、".join(f"{k.value}（{name}）" for k, name in law.AGENCY_KIND_NAMES.items())
        raise FactsError([("kind", f"机关类别应为{choices}之一（收到：{kind[:40]!r}）")])


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
    kind: str = "department",
) -> Agency:
    """Add an agency under ``parent_code`` (or as a root); its materialised path is set here."""
    check_agency_code(code)
    check_agency_kind(kind)
    if session.exec(select(Agency).where(col(Agency.code) == code)).first() is not None:
        raise FactsError([("code", f"机关代码 {code} 已经存在")])
    parent = None
    if parent_code is not None:
        parent = session.exec(select(Agency).where(col(Agency.code) == parent_code)).first()
        if parent is None:
            raise NotFound(f"没有代码为 {parent_code} 的上级机关")
    agency = Agency(
        code=code,
        name=name,
        parent_id=parent.id if parent else None,
        letter_prefix=letter_prefix,
        address=address,
        review_body=review_body,
        court=court,
        kind=kind,
    )
    session.add(agency)
    session.flush()
    agency.path = f"{parent.path if parent else '/'}{agency.id}/"
    session.add(agency)
    return agency


def check_roles(roles: list[str]) -> None:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise FactsError(
            [
                (
                    "roles",
                    f"角色应为{'、'.join(ROLE_NAMES[r] for r in ROLES)}中的一个或几个"
                    f"（收到：{'、'.join(roles)[:80] or '无'}）",
                )
            ]
        )


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    agency_code: str,
    duties_exception: bool = False,
) -> User:
    """A new user. Both the drafting and the approving role only with ``duties_exception`` (the
    caller records the exception: ``caseflow.account_admin.create``)."""
    check_roles(roles)
    if conflicting_duties(set(roles)) and not duties_exception:
        raise FactsError([("roles", f"{DUTIES_RULE}；如确需兼任，须由管理员登记例外及其理由")])
    if session.exec(select(User).where(col(User.username) == username)).first() is not None:
        raise FactsError([("username", f"用户名 {username} 已经存在")])
    agency = session.exec(select(Agency).where(col(Agency.code) == agency_code)).first()
    if agency is None or agency.id is None:
        raise NotFound(f"没有代码为 {agency_code} 的机关")
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


@cache
def dummy_hash() -> str:
    """A hash made like every user's, of a password nobody knows: checked for unknown user names, so
    that they take the time of a wrong password."""
    return _hasher.hash(secrets.token_urlsafe(24))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password (one argon2 check whoever asks). Without the
    limits of ``caseflow.signin``: for the command line and tests, not for the web."""
    user = session.exec(select(User).where(col(User.username) == username)).first()
    matches = verify_password(password, user.password_hash if user is not None else dummy_hash())
    if user is None or not user.active or not matches:
        return None
    return user
