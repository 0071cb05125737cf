"""The FastAPI application: the JSON API v1, the pages, error mapping in one place, security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.routing import compile_path

from caseflow.api.errors import METHOD_NOT_ALLOWED_PAGE, http_code, http_detail
from caseflow.api.limits import MAX_BODY, TOO_LARGE, BodyLimit, check_inputs, describe_text_limits
from caseflow.api.refusal_status import status_of
from caseflow.api.web.offline import STATIC_PREFIXES
from caseflow.api.web.rendering import error_page
from caseflow.errors import CaseflowError, FactsError, IllegalTransition, StaleVersion, TooManyAttempts
from caseflow.replies.fonts import FontMissing
from caseflow.settings import get_settings

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
#: /docs: Swagger UI from this server only (``caseflow.api.web.offline``); its styles set inline attributes.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
#: Item 8: nothing a page or an answer shows is kept by the browser (Back after sign-out shows
#: nothing); static files (the same for everyone) may be cached.
NO_STORE = "no-store"
STATIC_CACHE = "public, max-age=86400"


class Guard(BaseHTTPMiddleware):
    """Security headers on every response; a declared body over the upload limit refused with 413
    before routing (a chunked one is counted by ``caseflow.api.limits.BodyLimit`` as it arrives)."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY:
            response: Response = _too_large(request)
        else:
            response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path == "/docs":
            response.headers["Content-Security-Policy"] = DOCS_CSP
        static = request.url.path.startswith(STATIC_PREFIXES) and response.status_code == 200
        response.headers["Cache-Control"] = STATIC_CACHE if static else NO_STORE
        return response


def _too_large(request: Request) -> Response:
    if _wants_html(request):
        from caseflow.api.web.apply import apply_too_large
        from caseflow.api.web.formkeeping import intake_too_large

        return (
            intake_too_large(request)
            or apply_too_large(request)
            or error_page(request, 413, TOO_LARGE, "too_large")
        )
    return JSONResponse({"detail": TOO_LARGE, "code": "too_large"}, 413)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", "text/html"
    )


def _field_message(error: Any) -> tuple[str, str]:
    """(field, Chinese message) of a validation error; a whole-model check says "field: message"."""
    from caseflow.api.web.forms import zh_error, zh_validation

    loc = tuple(error["loc"])
    where = ".".join(str(p) for p in (loc[1:] if loc[:1] == ("body",) else loc))  # (a fact named body)
    message = str(error["msg"]).removeprefix("Value error, ")
    name, _, rest = message.partition(": ")
    if rest and name.isidentifier() and not where:
        return name, zh_error(rest)
    return where, zh_validation(error)


def _summary(errors: list[dict[str, str]], action: str | None = None) -> str:
    """One Chinese sentence naming each field at fault by its label: "填写有误：姓名或名称：不能为空"."""
    from caseflow.api.web.forms import label_of

    return "填写有误：" + "；".join(f"{label_of(e['field'], action)}：{e['message']}" for e in errors)


def _allowed_methods(request: Request, starlette_says: str | None) -> str:
    """Every method some route serves at this path (a 405's ``Allow``; Starlette names only the
    methods of the first route matching the path). Included routers are walked through FastAPI's
    route contexts, whose paths carry the routers' prefixes."""
    methods = {m.strip() for m in (starlette_says or "").split(",") if m.strip()}
    for context in iter_route_contexts(request.app.router.routes):
        if context.path and compile_path(context.path)[0].fullmatch(request.url.path):
            methods |= getattr(context.original_route, "methods", None) or set()
    return ", ".join(sorted(methods))


def _body(exc: CaseflowError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, IllegalTransition):
        body.update(state=exc.state, allowed=exc.allowed, action=exc.action)
    if isinstance(exc, StaleVersion):
        body.update(expected_version=exc.expected, version=exc.actual)
    if isinstance(exc, FactsError):
        from caseflow.api.web.forms import zh_error

        body["errors"] = [{"field": f, "message": zh_error(m)} for f, m in exc.errors]
        body["detail"] = _summary(body["errors"], getattr(exc, "action", None))
    if isinstance(exc, TooManyAttempts):
        body["retry_after"] = exc.retry_after
    return body


@asynccontextmanager
async def _with_scheduler(app: FastAPI) -> AsyncIterator[None]:
    """Run the scheduled jobs beside the application (one instance of several leads)."""
    from caseflow.db import get_engine
    from caseflow.scheduled.scheduler import Scheduler

    scheduler = Scheduler(get_engine())
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown()


def create_app(*, run_scheduler: bool = False) -> FastAPI:
    settings = get_settings()
    if settings.env == "production" and settings.secret_key == "dev-only-secret-change-me":
        raise RuntimeError("CASEFLOW_SECRET_KEY must be set in production (it signs CSRF tokens)")
    app = FastAPI(
        title="caseflow",
        version="0.1.0",
        description="依申请公开办理系统 — requests for government information as state machines.",
        lifespan=_with_scheduler if run_scheduler else None,
        docs_url=None,  # served offline by caseflow.api.web.offline (not FastAPI's CDN assets)
        redoc_url=None,
        dependencies=[Depends(check_inputs)],  # no control character in any input: 422
    )
    app.add_middleware(BodyLimit, limit=MAX_BODY)  # inside Guard: its 413 carries the headers too
    describe_text_limits(app)
    app.add_middleware(Guard)
    from caseflow.accesslog import install as no_query_strings_in_access_log

    no_query_strings_in_access_log()

    from caseflow.api.routes import misc, requests
    from caseflow.api.web import admin, case_page, intake, oversight

    app.include_router(misc.router)
    app.include_router(requests.router)
    app.include_router(intake.router)  # the clerk's intake
    app.include_router(case_page.router)  # the list of requests and one request's page
    app.include_router(oversight.router)
    app.include_router(admin.router)
    from caseflow.api.web import story as case_story_pages

    app.include_router(case_story_pages.router)  # the case page's documents
    from caseflow.api.routes import admin_users as admin_users_api
    from caseflow.api.web import login as login_pages

    app.include_router(login_pages.router)  # signing in and out, the home page
    app.include_router(admin_users_api.router)
    from caseflow.api.routes import reports as reports_api
    from caseflow.api.web import reports as reports_pages

    app.include_router(reports_api.router)
    app.include_router(reports_pages.router)
    from caseflow.api.routes import notifications as notifications_api
    from caseflow.api.web import notifications as notifications_pages

    app.include_router(notifications_api.router)
    from caseflow.api.routes import checkpoints

    app.include_router(checkpoints.router)
    app.include_router(checkpoints.pages)
    app.include_router(notifications_pages.router)
    from caseflow.api.web import offline

    offline.install(app)
    from caseflow.api.web import formkeeping

    app.include_router(formkeeping.router)
    from caseflow.api.web import verify as verify_pages

    app.include_router(verify_pages.router)
    from caseflow.api.routes import portal as portal_api

    app.include_router(portal_api.router)  # online applications (issue 18)
    from caseflow.api.web import applicant, applicant_actions, apply, inbox

    app.include_router(apply.router)  # the public application form
    app.include_router(inbox.router)  # the clerks' inbox of online applications
    app.include_router(applicant.router)  # the applicant's request page
    app.include_router(applicant_actions.router)  # online supplement and withdrawal
    from caseflow.api.web import submission_status

    app.include_router(submission_status.router)  # the applicant's page of an online application
    from caseflow.api.routes import applicant_submissions as applicant_submissions_api

    app.include_router(applicant_submissions_api.router)  # the clerk's side of them
    from caseflow.api.web import release as release_pages

    app.include_router(release_pages.router)  # records released with a reply, and their redactions

    @app.exception_handler(CaseflowError)
    async def caseflow_error(request: Request, exc: CaseflowError) -> Response:
        status = status_of(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        body = _body(exc)
        if _wants_html(request):
            page = error_page(request, status, body["detail"], exc.code)
            page.headers.update(headers or {})
            return page
        return JSONResponse(body, status, headers=headers)

    @app.exception_handler(FontMissing)
    async def font_missing(request: Request, exc: FontMissing) -> Response:
        detail = "未安装中文字体，无法生成文书。请系统管理员安装中文字体（如 Debian 的 fonts-noto-cjk）后重试"
        if _wants_html(request):
            return error_page(request, 503, detail, "font_missing")
        return JSONResponse({"detail": detail, "code": "font_missing"}, 503)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        """A fault of ours: a Chinese page or body (the traceback goes to the server's log, never to
        the person; Starlette's ServerErrorMiddleware logs and re-raises after this answer)."""
        detail = http_detail(500, None)
        if _wants_html(request):
            return error_page(request, 500, detail, "server_error")
        return JSONResponse({"detail": detail, "code": "server_error"}, 500)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if any(e["loc"][:1] == ("path",) for e in exc.errors()):  # no such id (or not a number)
            if _wants_html(request):
                return error_page(request, 404, "没有这个地址", "not_found")
            return JSONResponse({"detail": "没有这个地址", "code": "not_found"}, 404)
        errors = [dict(zip(("field", "message"), _field_message(e), strict=True)) for e in exc.errors()]
        summary = _summary(errors, request.path_params.get("action"))  # (an action's own labels)
        if _wants_html(request):
            return error_page(request, 422, summary, "invalid_request")
        return JSONResponse({"detail": summary, "code": "invalid_request", "errors": errors}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 401 and _wants_html(request):
            from caseflow.api.web.formkeeping import sign_in_redirect

            return sign_in_redirect(request)  # back to the page afterwards; "expired" if there was a session
        if exc.status_code == 413:  # a chunked body counted past the limit (caseflow.api.limits.BodyLimit)
            return _too_large(request)
        headers = dict(getattr(exc, "headers", None) or {})
        code, detail = http_code(exc.status_code, exc), http_detail(exc.status_code, exc.detail)
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request, headers.get("Allow"))
            detail = f"该地址不接受 {request.method} 请求（可用的请求方式：{headers['Allow']}）"
        if _wants_html(request):
            shown = METHOD_NOT_ALLOWED_PAGE if exc.status_code == 405 else detail
            response = error_page(request, exc.status_code, shown, code)
            response.headers.update(headers)
            return response
        body: dict[str, Any] = {"detail": detail, "code": code}
        if exc.status_code == 429 and "Retry-After" in headers and headers["Retry-After"].isdigit():
            body["retry_after"] = int(headers["Retry-After"])
        return JSONResponse(body, exc.status_code, headers=headers or None)

    return app


app = create_app()


def served_app() -> FastAPI:
    """The application as ``caseflow serve`` runs it: with the scheduler unless turned off. Logs a
    warning when its database role could disable the evidence triggers (superuser or owner)."""
    from caseflow.db import get_engine
    from caseflow.privileges import warn_if_privileged

    warn_if_privileged(get_engine())
    return create_app(run_scheduler=get_settings().scheduler)
