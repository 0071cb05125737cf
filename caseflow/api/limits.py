"""Limits on what a request may carry: the body's size however it is sent, and no control characters
in any input (query parameters, form fields, JSON bodies, headers).

``BodyLimit`` is a pure ASGI wrapper counting the body bytes the application receives: a body with a
``Content-Length`` over the limit and a chunked body (``Transfer-Encoding: chunked``, no length) are
both refused with 413 as soon as the count passes the limit, before the rest is read. The refusal is
an ``HTTPException`` raised where the application reads the body, so the error mapping of
``caseflow.api.main`` answers it (JSON for the API, the error page for pages).

``check_inputs`` is a dependency of every route: a NUL or another control character anywhere in the
input is a 422 naming the field, on every database (PostgreSQL would refuse it only when writing).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caseflow.api.permissions import PERMISSIONS, PUBLIC
from caseflow.api.session_cookie import SESSION_COOKIE
from caseflow.texts import TEXT_PATTERN, control_problem

MAX_BODY = 20 * 1024 * 1024  # uploads of scans and envelopes; larger: 413
TOO_LARGE = f"上传的内容超过 {MAX_BODY // (1024 * 1024)} MB 的上限，请压缩或分开上传"
MAX_FILENAME, MAX_MEDIA_TYPE = 255, 100
#: Header values: no control character but tab (HTTP itself refuses NUL, CR and LF).
_HEADER_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes, counted as they arrive."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        received = 0

        async def counted() -> Message:
            nonlocal received
            if declared is not None and declared > self.limit:
                raise HTTPException(413, TOO_LARGE)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


# --- control characters ---------------------------------------------------------------------------


def _problems(value: Any, where: tuple[str | int, ...]) -> list[dict[str, Any]]:
    """Every string (and key) of a parsed JSON value holding a control character, by location."""
    found: list[dict[str, Any]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, where)]
    while stack:
        item, loc = stack.pop()
        if isinstance(item, str):
            if problem := control_problem(item):
                found.append(_error(loc, problem))
        elif isinstance(item, dict):
            for key, sub in item.items():
                if isinstance(key, str) and (problem := control_problem(key)):
                    found.append(_error(loc, f"字段名{problem}"))
                stack.append((sub, (*loc, str(key))))
        elif isinstance(item, list):
            stack.extend((sub, (*loc, i)) for i, sub in enumerate(item))
    return found


def _error(loc: tuple[str | int, ...], message: str) -> dict[str, Any]:
    return {"loc": loc, "msg": message, "type": "value_error", "input": None}


def _refused_anyway(request: Request) -> bool:
    """A call without credentials to a route that needs them (``deps.authorize`` answers 401)."""
    name = getattr(request.scope.get("route"), "name", None) or ""
    anonymous = "authorization" not in request.headers and SESSION_COOKIE not in request.cookies
    return anonymous and PERMISSIONS.get(name) != PUBLIC


def _declared_fields(request: Request, where: str) -> set[str] | None:
    """The query parameters or form fields a route declares (FastAPI reads only those), or None
    when it declares none and reads what it needs itself (the pages: everything is checked)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:  # the route's own parameters and those of its dependencies
        current = dependants.pop()
        names |= {p.alias for p in (current.query_params if where == "query" else current.body_params)}
        dependants.extend(current.dependencies)
    return names or None


def _declared_json_keys(request: Request) -> set[str] | None:
    """The keys a route's JSON body model declares (pydantic ignores or refuses any other), or None
    when the route reads its body itself."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.dependant.body_params:
        return None
    params = route.dependant.body_params
    model = params[0].field_info.annotation
    embed = getattr(params[0].field_info, "embed", False)
    if len(params) == 1 and not embed and isinstance(model, type) and issubclass(model, BaseModel):
        return {field.alias or name for name, field in model.model_fields.items()}
    return {param.alias for param in params}


def _upload_problem(filename: str, media_type: str) -> str | None:
    """An uploaded file's name and type are stored with it (columns of 300 and 100 characters)."""
    if problem := control_problem(filename, single_line=True) or control_problem(
        media_type, single_line=True
    ):
        return f"文件名或文件类型{problem}"
    if len(filename) > MAX_FILENAME or len(media_type) > MAX_MEDIA_TYPE:
        return f"文件名至多 {MAX_FILENAME} 个字符，文件类型至多 {MAX_MEDIA_TYPE} 个字符"
    return None


async def check_inputs(request: Request) -> None:
    """422 naming the field when a query parameter, a form field, the JSON body or a header holds a
    control character (tab, line feed and carriage return allowed in text; the models refuse them
    where a single line is expected)."""
    errors: list[dict[str, Any]] = []
    declared = _declared_fields(request, "query")
    for name, value in request.query_params.multi_items():
        if declared is None or name in declared:  # (FastAPI ignores the others, and so does this)
            errors += _problems(value, ("query", name))
    for name, value in request.headers.items():
        if _HEADER_CONTROLS.search(value):
            errors.append(_error(("header", name), "含有不允许的控制字符"))
    if errors:
        raise RequestValidationError(errors)
    if _refused_anyway(request):
        return  # the body of a call that will be answered 401 is not read
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        declared = _declared_fields(request, "body")
        for field, entry in form.multi_items():
            if declared is not None and field not in declared:
                continue  # not read by the route: FastAPI ignores it, so does this check
            if control_problem(field):
                errors.append(_error(("body",), "字段名含有不允许的控制字符"))
            if isinstance(entry, str):
                errors += _problems(entry, ("body", field))
            elif problem := _upload_problem(entry.filename or "", entry.content_type or ""):
                errors.append(_error(("body", field), problem))
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = await request.json()
        except ValueError:
            body = None  # not JSON: the route's own parsing answers it
        keys = _declared_json_keys(request)
        if isinstance(body, dict) and keys is not None:
            body = {k: v for k, v in body.items() if k in keys}  # the model ignores or refuses the rest
        if isinstance(body, dict) and isinstance(body.get("facts"), dict):
            # an action's facts are named as the engine names them ("reason", not "facts.reason")
            errors += _problems({k: v for k, v in body.items() if k != "facts"}, ("body",))
            errors += _problems(body["facts"], ("body",))
        else:
            errors += _problems(body, ("body",))
    if errors:
        raise RequestValidationError(errors)


def describe_text_limits(app: FastAPI) -> None:
    """Say in the OpenAPI description what ``check_inputs`` refuses: every string parameter and
    request body property without a format, an enumeration or a pattern of its own gets the
    no-control-character pattern (clients and API fuzzers then know a NUL is invalid input, 422)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.get("components", {}).get("schemas", {})
            stack: list[Any] = []
            for path_item in schema.get("paths", {}).values():
                for operation in path_item.values():
                    if isinstance(operation, dict):
                        stack += [operation.get("parameters", []), operation.get("requestBody", {})]
            seen: set[str] = set()
            while stack:
                item = stack.pop()
                if isinstance(item, dict):
                    ref = item.get("$ref")
                    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                        name = ref.rsplit("/", 1)[1]
                        if name not in seen:
                            seen.add(name)
                            stack.append(components.get(name, {}))
                    if (
                        item.get("type") == "string"
                        and not {"format", "enum", "pattern", "const"} & item.keys()
                    ):
                        item["pattern"] = TEXT_PATTERN
                    stack.extend(item.values())
                elif isinstance(item, list):
                    stack.extend(item)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
