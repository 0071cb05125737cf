"""JSON API v1 for admins: user accounts (create, deactivate, reactivate, reset password, change
roles, revoke every sign-in) and the record of account changes. Thin: ``caseflow.account_admin``
does the work, each change in one transaction with its record."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from caseflow import account_admin
from caseflow.accounts import MIN_PASSWORD_LENGTH
from caseflow.api.deps import API_ERRORS, Authorized, SessionDep, authorize
from caseflow.models import AccountChange, Agency, RoleException, User
from caseflow.states.roles import ROLES

router = APIRouter(
    prefix="/api/v1/admin", dependencies=[Depends(authorize)], responses=API_ERRORS, tags=["admin"]
)
#: A user name in the path (no control characters: a NUL is 422, never a database error).
Role = Literal["clerk", "reviewer", "supervisor", "auditor", "admin"]
assert set(get_args(Role)) == set(ROLES), "the roles of the API are the state machine's"
Username = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$")]


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    display_name: str = Field(default="", max_length=120)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    roles: list[Role] = Field(min_length=1, max_length=5)
    agency: str = Field(min_length=1, max_length=40)
    #: Needed when the roles include both clerk (drafting) and reviewer (approving).
    exception_reason: str = Field(default="", max_length=500)


class NewPassword(BaseModel):
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)


class Roles(BaseModel):
    roles: list[Role] = Field(min_length=1, max_length=5)
    exception_reason: str = Field(default="", max_length=500)


def user_out(session: Session, user: User) -> dict[str, Any]:
    agency = session.get(Agency, user.agency_id)
    exception = session.exec(
        select(RoleException)
        .where(col(RoleException.user_id) == user.id)
        .order_by(col(RoleException.id).desc())
    ).first()
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.role_set),
        "agency": agency.code if agency else None,
        "active": user.active,
        "duties_exception": None
        if exception is None
        else {
            "roles": exception.roles.split(","),
            "reason": exception.reason,
            "granted_by": exception.granted_by,
            "granted_at": exception.granted_at.isoformat(),
        },
    }


def change_out(change: AccountChange) -> dict[str, Any]:
    return {
        "at": change.at.isoformat(),
        "actor": change.actor,
        "action": change.action,
        "target": change.target,
        "roles_before": [r for r in change.roles_before.split(",") if r],
        "roles_after": [r for r in change.roles_after.split(",") if r],
        "detail": change.detail,
    }


def _name(caller: Authorized) -> str:
    assert caller.user is not None
    return caller.user.username


@router.get("/users", name="admin_list_users")
def admin_list_users(caller: Authorized, session: SessionDep) -> list[dict[str, Any]]:
    """Every user with roles, agency, whether active, and a recorded duties exception if any."""
    return [user_out(session, u) for u in session.exec(select(User).order_by(col(User.username)))]


@router.post("/users", name="admin_create_user", status_code=201)
def admin_create_user(body: NewUser, caller: Authorized, session: SessionDep) -> dict[str, Any]:
    user = account_admin.create(
        session,
        actor=_name(caller),
        username=body.username.strip(),
        display_name=body.display_name.strip() or body.username.strip(),
        password=body.password,
        roles=[str(r) for r in body.roles],
        agency_code=body.agency,
        exception_reason=body.exception_reason,
    )
    return user_out(session, user)


@router.post("/users/{username}/deactivate", name="admin_deactivate_user")
def admin_deactivate_user(username: Username, caller: Authorized, session: SessionDep) -> dict[str, Any]:
    """Deactivate: the user's sessions and tokens stop working at once (and are revoked)."""
    user = account_admin.set_active(session, actor=_name(caller), username=username, active=False)
    return user_out(session, user)


@router.post("/users/{username}/activate", name="admin_activate_user")
def admin_activate_user(username: Username, caller: Authorized, session: SessionDep) -> dict[str, Any]:
    user = account_admin.set_active(session, actor=_name(caller), username=username, active=True)
    return user_out(session, user)


@router.post("/users/{username}/password", name="admin_reset_password")
def admin_reset_password(
    username: Username, body: NewPassword, caller: Authorized, session: SessionDep
) -> dict[str, Any]:
    """Set a new password; every sign-in of the user is revoked."""
    user = account_admin.reset_password(
        session, actor=_name(caller), username=username, password=body.password
    )
    return user_out(session, user)


@router.put("/users/{username}/roles", name="admin_set_roles")
def admin_set_roles(
    username: Username, body: Roles, caller: Authorized, session: SessionDep
) -> dict[str, Any]:
    """Replace the user's roles (both clerk and reviewer only with ``exception_reason``)."""
    user = account_admin.set_roles(
        session,
        actor=_name(caller),
        username=username,
        roles=[str(r) for r in body.roles],
        exception_reason=body.exception_reason,
    )
    return user_out(session, user)


@router.post("/users/{username}/revoke-tokens", name="admin_revoke_tokens")
def admin_revoke_tokens(username: Username, caller: Authorized, session: SessionDep) -> dict[str, int]:
    """Revoke every browser session and API token of the user (they must sign in again)."""
    return {"revoked": account_admin.revoke_tokens(session, actor=_name(caller), username=username)}


@router.get("/account-changes", name="admin_account_changes")
def admin_account_changes(
    caller: Authorized,
    session: SessionDep,
    username: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """The record of account changes, newest first (of one user with ``username``)."""
    return [change_out(c) for c in account_admin.changes(session, limit=limit, username=username)]
