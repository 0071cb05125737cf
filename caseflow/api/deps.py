"""Dependencies: the database session, the signed-in user, one authorization rule per route, the
request being worked on (scoped: another agency's request is 404), CSRF for browser forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Path, Request
from pydantic import BaseModel, BeforeValidator
from sqlmodel import Session

from caseflow import service
from caseflow.api.errors import CodedHTTPException
from caseflow.api.permissions import PERMISSIONS, PUBLIC
from caseflow.api.session_cookie import SESSION_COOKIE
from caseflow.db import get_engine
from caseflow.models import AuthToken, Case, User
from caseflow.sessions import csrf_ok, user_for_token
from caseflow.settings import get_settings
from caseflow.states.roles import ROLE_NAMES

#: Ids beyond this are no id of ours (and would overflow the database's integer): 404, never 500.
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _iso_date(value: object) -> object:
    """A date given as text must be YYYY-MM-DD (pydantic alone also takes "0" as 1970-01-01)."""
    if isinstance(value, str):
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError("日期应写作“年-月-日”（如 2026-11-28）")
        return dt.date.fromisoformat(value)
    return value


#: A date parameter: YYYY-MM-DD only (no Unix timestamps, no other ISO forms).
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer of the JSON API (``caseflow.api.main`` builds them): a stable machine ``code`` and a
    Chinese ``detail`` for people, and for some kinds more: the fields at fault (422, each ``field``
    its machine name, each ``message`` Chinese), the state and the actions allowed in it (409 illegal
    now), the version expected and found (409 stale). The codes are listed in docs/interfaces.md."""

    #: What went wrong, in Chinese (for people; its wording may change).
    detail: str
    #: What went wrong, for programs (never changes): e.g. "not_found", "illegal_transition",
    #: "stale_version", "invalid_request", "csrf_failed", "too_large", "sign_in_throttled".
    code: str
    errors: list[FieldProblem] | None = None
    state: str | None = None
    allowed: list[str] | None = None
    action: str | None = None
    expected_version: int | None = None
    version: int | None = None
    #: Seconds until the call will be taken again (429; also the Retry-After header).
    retry_after: int | None = None


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: The error answers every API route may give, documented in the OpenAPI description (the 422 replaces
#: FastAPI's default, whose shape is not the one ``caseflow.api.main`` answers with).
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body cannot be read (not UTF-8, or not the declared form or JSON)"),
    401: _error("Not signed in, or the bearer token is invalid, expired or revoked"),
    403: _error("The caller's roles may not use this route or take this action"),
    404: _error("No such request, letter or action for this caller"),
    409: _error("Illegal in the request's state, stale version, or against a rule"),
    413: _error("The body is larger than the upload limit"),
    422: _error("Invalid input: each error names its field"),
}


def cross_site_origin(request: Request) -> str | None:
    """The other site a browser says this request comes from (its Origin, else its Referer), or None
    when it comes from this site or from no browser at all (scripts send neither header). Against
    login CSRF: a foreign page must not sign a victim's browser in to an account of its choosing."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return None
    netloc = urlsplit(claimed).netloc if claimed != "null" else ""
    ours = {request.headers.get("host", ""), urlsplit(get_settings().base_url).netloc}
    return None if netloc and netloc in ours else claimed


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


@dataclass(frozen=True)
class Caller:
    """Who calls: a user signed in by bearer token (API) or session cookie (pages), or nobody."""

    user: User | None
    actor: service.Actor | None
    via: str  # "token", "cookie" or "anonymous"
    token: str | None = None
    token_row: AuthToken | None = None

    @property
    def roles(self) -> frozenset[str]:
        return self.user.role_set if self.user else frozenset({"anonymous"})


def _caller(request: Request, session: Session) -> Caller:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        found = user_for_token(session, token, "api")
        if found is None:
            raise CodedHTTPException(
                401,
                "令牌无效、已过期或已被撤销，请重新取得令牌",
                code="invalid_token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        user, row = found
        return Caller(user, service.Actor.of(session, user), "token", token, row)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = user_for_token(session, cookie, "web")
        if found is not None:
            user, row = found
            return Caller(user, service.Actor.of(session, user), "cookie", cookie, row)
    return Caller(None, None, "anonymous")


def authorize(request: Request, session: SessionDep) -> Caller:
    """The single authorization rule: the route's entry in ``PERMISSIONS`` against the caller's roles.
    Browser forms (cookie sessions) must also carry the session's CSRF token."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    allowed = PERMISSIONS.get(name or "")
    caller = _caller(request, session)
    request.state.caller = caller
    if allowed is None:
        raise CodedHTTPException(
            403, f"该地址（{name}）没有设定访问权限，一律拒绝", code="no_permission_rule"
        )
    if allowed == PUBLIC:
        return caller
    if caller.user is None:
        if request.url.path.startswith("/api/"):
            raise CodedHTTPException(
                401,
                "请先登录：用 POST /api/v1/auth/token 取得令牌，并在 Authorization 请求头中附上",
                code="not_signed_in",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise CodedHTTPException(401, "请先登录", code="not_signed_in")
    unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
    if caller.via == "cookie" and unsafe and request.url.path.startswith("/api/") and caller.token:
        if not csrf_ok(caller.token, request.headers.get("x-csrf-token")):
            raise CodedHTTPException(
                403, "使用浏览器会话调用接口时须附上 X-CSRF-Token 请求头", code="csrf_failed"
            )
    if not caller.roles & allowed:
        roles = "、".join(ROLE_NAMES.get(r, r) for r in sorted(caller.roles))
        raise CodedHTTPException(403, f"您的角色（{roles}）无权使用该页面或接口", code="forbidden")
    return caller


Authorized = Annotated[Caller, Depends(authorize)]


def actor_of(caller: Caller) -> service.Actor:
    assert caller.actor is not None
    return caller.actor


async def check_csrf(request: Request, caller: Caller) -> None:
    """Forms posted with a session cookie carry ``csrf_token`` (field or X-CSRF-Token header)."""
    if caller.via != "cookie" or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    presented = request.headers.get("x-csrf-token")
    if presented is None:
        form = await request.form()
        value = form.get("csrf_token")
        presented = value if isinstance(value, str) else None
    assert caller.token is not None
    if not csrf_ok(caller.token, presented):
        raise CodedHTTPException(
            403,
            "表单的安全令牌缺失或已失效（可能是页面打开太久或已重新登录），请刷新页面后重试",
            code="csrf_failed",
        )


def current_case(case_id: Id, caller: Authorized, session: SessionDep) -> Case:
    """The request in the path, if the caller's agencies include it (else 404, never 403)."""
    return service.load_visible(session, actor_of(caller), case_id, lock=False)


CurrentCase = Annotated[Case, Depends(current_case)]
