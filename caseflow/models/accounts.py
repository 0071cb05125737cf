"""The agencies (a tree), the staff's accounts and what guards them: sign-in tokens and
attempts, the admins' account changes and the recorded exceptions to the separation of duties.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from caseflow.dates import now
from caseflow.models.columns import AwareDateTime, moment_field


class Agency(SQLModel, table=True):
    """An administrative agency (行政机关); agencies form a tree via ``parent_id``."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    #: Materialised path of ids, "/1/4/9/": the subtree of agency 4 is every path starting "/1/4/".
    path: str = Field(default="/", max_length=400, index=True)
    #: Letter settings: 文号 prefix (e.g. "乳政公开"), address, review body (复议机关), court.
    letter_prefix: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=300)
    review_body: str = Field(default="", max_length=200)
    court: str = Field(default="", max_length=200)
    #: What the agency is for the remedies against it (``law.AgencyKind``): a department, or a people's
    #: government (county level or above, or township). A department's review body is derived as its
    #: nearest government's name, a government's as the next government up (Review Law Art. 24);
    #: ``review_body``, when set, overrides the derivation (Art. 27: vertical, tax, state security).
    kind: str = Field(default="department", max_length=20)
    #: Art. 17 (保密审查): the office lets the handler's own confirmation stand for the review of a
    #: disclosed.public reply (already published); otherwise the reviewer role reviews every disclosure.
    handler_confirms_published: bool = False


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=300)
    #: Comma-separated roles from DOMAIN.md section 1: clerk, reviewer, supervisor, auditor, admin.
    roles: str = Field(max_length=200)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    active: bool = True
    #: Where reminders are mailed when SMTP is configured (empty: in-app only).
    email: str = Field(default="", max_length=200)
    created_at: dt.datetime = moment_field()

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class AuthToken(SQLModel, table=True):
    """An opaque bearer token (API) or browser session: only its SHA-256 is stored; revocable."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=10)  # api | web
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    created_at: dt.datetime = moment_field()
    expires_at: dt.datetime = Field(sa_column=Column(AwareDateTime(), nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(AwareDateTime(), nullable=True))


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt not (yet) known to have succeeded, counted per user name (``kind`` "user")
    and per client address ("address") before the password is checked; shared by every process.
    A success deletes the user's rows; rows older than the window are pruned."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_kind_key_at", "kind", "key", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # user | address
    key: str = Field(max_length=120)
    attempted_at: dt.datetime = Field(
        default_factory=now, sa_column=Column(AwareDateTime(), nullable=False, index=True)
    )


class AccountChange(SQLModel, table=True):
    """An admin's change to a user account: append-only (triggers refuse UPDATE and DELETE), no
    password material. ``action``: create, deactivate, activate, reset_password, set_roles,
    revoke_tokens."""

    __tablename__ = "account_change"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = moment_field()
    actor: str = Field(max_length=80)
    action: str = Field(max_length=30)
    target_user_id: int = Field(foreign_key="app_user.id", index=True)
    target: str = Field(max_length=80)
    roles_before: str = Field(default="", max_length=200)
    roles_after: str = Field(default="", max_length=200)
    #: What else is worth knowing: the tokens revoked, the exception's reason.
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class RoleException(SQLModel, table=True):
    """A recorded exception to the separation of duties: one user holds both the drafting role
    (clerk) and the approving role (reviewer) in an agency, granted by an admin for a reason.
    Even then nobody approves a reply they drafted (``caseflow.cases.four_eyes``)."""

    __tablename__ = "role_exception"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    agency_id: int = Field(foreign_key="agency.id")
    roles: str = Field(max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    granted_by: str = Field(max_length=80)
    granted_at: dt.datetime = moment_field()
