"""Account administration: an admin creates users, deactivates and reactivates them, resets
passwords, changes roles and revokes all of a user's sign-ins. One transaction each, each recorded in
``account_change`` (append-only; who, when, what, whom, roles before and after, never a password).

Two rules hold here: at least one active admin remains (nobody deactivates or demotes the last
one, themselves included), and one user holds both the drafting and the approving role of an agency
only under a recorded exception (``role_exception``: the reason, who granted it, when).
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from caseflow.accounts import (
    DUTIES_RULE,
    check_roles,
    conflicting_duties,
    create_user,
    hash_password,
)
from caseflow.db import write_transaction
from caseflow.errors import FactsError, NotFound, RuleViolation
from caseflow.models import AccountChange, LoginAttempt, RoleException, User
from caseflow.sessions import revoke_all
from caseflow.signin import user_key

ACTION_NAMES = {
    "create": "新增用户",
    "deactivate": "停用账户",
    "activate": "重新启用账户",
    "reset_password": "重置密码",
    "set_roles": "修改角色",
    "revoke_tokens": "注销全部登录",
    "agency_settings": "修改机关设置",  # caseflow.agency_settings.update (the target names the agency)
}
LAST_ADMIN_RULE = "系统至少须保留一个有效的管理员账户"
MAX_REASON = 500


def _user(session: Session, username: str) -> User:
    """The user, locked for this transaction (FOR UPDATE on PostgreSQL)."""
    stmt = select(User).where(col(User.username) == username).execution_options(populate_existing=True)
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    user = session.exec(stmt).first()
    if user is None or user.id is None:
        raise NotFound(f"没有用户 {username}")
    return user


def _record(
    session: Session, actor: str, action: str, user: User, before: str, detail: str = ""
) -> AccountChange:
    assert user.id is not None
    change = AccountChange(
        actor=actor,
        action=action,
        target_user_id=user.id,
        target=user.username,
        roles_before=before,
        roles_after=user.roles,
        detail=detail,
    )
    session.add(change)
    return change


def _active_admins(session: Session) -> list[User]:
    """The active admins, locked (PostgreSQL: FOR UPDATE, in id order) before any other user row of a
    change that may demote one: two admins demoting each other at once cannot both succeed, and
    the locks are always taken in the same order (no deadlock)."""
    stmt = (
        select(User)
        .where(col(User.active), col(User.roles).contains("admin"))
        .order_by(col(User.id))
        .execution_options(populate_existing=True)
    )
    if session.get_bind().dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    return [u for u in session.exec(stmt) if "admin" in u.role_set]


def _keep_an_admin(admins: list[User], user: User, *, active: bool, roles: frozenset[str]) -> None:
    """Refuse a change that leaves no active admin."""
    if "admin" not in user.role_set or not user.active or ("admin" in roles and active):
        return
    if not [u for u in admins if u.id != user.id]:
        raise RuleViolation(
            f"{LAST_ADMIN_RULE}：{user.username} 是最后一个有效的管理员，不能停用或取消其管理员角色"
        )


def forget_failures(session: Session, username: str) -> None:
    """The user name's failed sign-ins are forgotten (an admin lifting a lock-out)."""
    session.exec(
        delete(LoginAttempt).where(
            col(LoginAttempt.kind) == "user", col(LoginAttempt.key) == user_key(username)
        )
    )


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise FactsError([("exception_reason", f"例外理由不超过{MAX_REASON}字")])
    return reason


def _duties_exception(
    session: Session, actor: str, user: User, roles: list[str], reason: str, *, held: bool
) -> RoleException | None:
    """Both duties need a recorded exception: a new one with its reason (returned), unless the user
    holds both already under one (None)."""
    if not conflicting_duties(set(roles)):
        return None
    existing = session.exec(
        select(RoleException)
        .where(col(RoleException.user_id) == user.id, col(RoleException.agency_id) == user.agency_id)
        .order_by(col(RoleException.id).desc())
    ).first()
    if held and existing is not None and not reason:
        return None
    if not reason:
        raise FactsError(
            [("exception_reason", f"{DUTIES_RULE}；如确需兼任，请填写例外理由（将记录授权人和时间）")]
        )
    assert user.id is not None
    exception = RoleException(
        user_id=user.id,
        agency_id=user.agency_id,
        roles=",".join(sorted(roles)),
        reason=reason,
        granted_by=actor,
    )
    session.add(exception)
    return exception


def create(
    session: Session,
    *,
    actor: str,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    agency_code: str,
    exception_reason: str = "",
) -> User:
    with write_transaction(session):
        reason = _reason(exception_reason)
        check_roles(roles)
        if conflicting_duties(set(roles)) and not reason:
            raise FactsError(
                [("exception_reason", f"{DUTIES_RULE}；如确需兼任，请填写例外理由（将记录授权人和时间）")]
            )
        user = create_user(
            session,
            username=username,
            display_name=display_name,
            password=password,
            roles=roles,
            agency_code=agency_code,
            duties_exception=bool(reason),
        )
        exception = _duties_exception(session, actor, user, roles, reason, held=False)
        _record(session, actor, "create", user, "", f"例外理由：{exception.reason}" if exception else "")
    return user


def set_active(session: Session, *, actor: str, username: str, active: bool) -> User:
    """Deactivate (every token of the user revoked at once) or reactivate a user."""
    with write_transaction(session):
        admins = _active_admins(session)
        user = _user(session, username)
        if user.active == active:
            raise RuleViolation(f"用户 {username} 已经是{'有效' if active else '停用'}状态")
        _keep_an_admin(admins, user, active=active, roles=user.role_set)
        user.active = active
        session.add(user)
        revoked = 0 if active else revoke_all(session, user.id or 0)
        if active:
            forget_failures(session, user.username)
        _record(
            session,
            actor,
            "activate" if active else "deactivate",
            user,
            user.roles,
            "" if active else f"注销登录 {revoked} 个",
        )
    return user


def reset_password(session: Session, *, actor: str, username: str, password: str) -> User:
    """A new password (the user's sign-ins are revoked: whoever knew the old one is out)."""
    with write_transaction(session):
        user = _user(session, username)
        user.password_hash = hash_password(password)
        session.add(user)
        revoked = revoke_all(session, user.id or 0)
        forget_failures(session, user.username)
        _record(session, actor, "reset_password", user, user.roles, f"注销登录 {revoked} 个")
    return user


def set_roles(
    session: Session, *, actor: str, username: str, roles: list[str], exception_reason: str = ""
) -> User:
    with write_transaction(session):
        reason = _reason(exception_reason)
        check_roles(roles)
        admins = _active_admins(session)
        user = _user(session, username)
        before = user.roles
        _keep_an_admin(admins, user, active=user.active, roles=frozenset(roles))
        exception = _duties_exception(
            session, actor, user, roles, reason, held=conflicting_duties(user.role_set)
        )
        user.roles = ",".join(
            r for r in ("clerk", "reviewer", "supervisor", "auditor", "admin") if r in roles
        )
        session.add(user)
        _record(
            session, actor, "set_roles", user, before, f"例外理由：{exception.reason}" if exception else ""
        )
    return user


def revoke_tokens(session: Session, *, actor: str, username: str) -> int:
    """Revoke every browser session and API token of the user; how many were live."""
    with write_transaction(session):
        user = _user(session, username)
        revoked = revoke_all(session, user.id or 0)
        _record(session, actor, "revoke_tokens", user, user.roles, f"注销登录 {revoked} 个")
    return revoked


def changes(session: Session, *, limit: int = 100, username: str | None = None) -> list[AccountChange]:
    """The latest account changes, newest first (of one user if ``username``)."""
    stmt = select(AccountChange).order_by(col(AccountChange.id).desc()).limit(limit)
    if username is not None:
        stmt = stmt.where(col(AccountChange.target) == username)
    return list(session.exec(stmt))


def exceptions(session: Session) -> list[RoleException]:
    return list(session.exec(select(RoleException).order_by(col(RoleException.id).desc())))


def unrecorded_conflicts(session: Session) -> list[User]:
    """Users holding both duties without a recorded exception (made before the rule existed)."""
    excepted = {(e.user_id, e.agency_id) for e in exceptions(session)}
    users = session.exec(select(User).where(col(User.active)).order_by(col(User.username)))
    return [u for u in users if conflicting_duties(u.role_set) and (u.id, u.agency_id) not in excepted]
