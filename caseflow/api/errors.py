"""The web layer's words for what went wrong: a stable machine ``code`` beside a Chinese ``detail`` for
every HTTP error the API and the pages give, and the titles of the error pages (the Chinese message of
each kind of pydantic validation error is ``caseflow.validation_zh``).

The codes (also listed in docs/interfaces.md) never change wording; the Chinese texts may. An engine
refusal (``caseflow.errors.CaseflowError``) carries its own code; an HTTP error raised in ``caseflow/api/``
carries one as :class:`CodedHTTPException` or gets the one of its status (:data:`HTTP_CODES`).
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException

from caseflow.api.limits import TOO_LARGE
from caseflow.validation_zh import has_cjk

#: The code of an HTTP error by its status, when the raiser named none.
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}

#: The Chinese detail of an HTTP error whose own detail is no Chinese sentence (Starlette's defaults,
#: "Not Found", "Method Not Allowed", FastAPI's "There was an error parsing the body").
HTTP_DETAILS: dict[int, str] = {
    400: "无法读取请求内容：不是有效的 UTF-8 文本，或与声明的表单、JSON 格式不符",
    401: "请先登录",
    403: "您的角色无权使用该页面或接口",
    404: "没有这个地址",
    405: "该地址不接受这种请求方式",
    409: "当前状态不允许该操作",
    413: TOO_LARGE,
    422: "填写有误",
    429: "请求过于频繁，请稍后再试",
    500: "系统内部错误，请稍后再试",
    503: "暂时无法办理，请稍后再试",
}

#: The error pages' titles by status.
TITLES: dict[int, str] = {
    400: "请求无法读取",
    401: "请先登录",
    403: "无权访问",
    404: "未找到",
    405: "请求方式不正确",
    409: "当前状态不允许该操作",
    413: "上传的内容过大",
    422: "填写有误",
    429: "请求过于频繁",
    500: "系统内部错误",
    503: "暂时无法办理",
}
#: A few refusals have a title of their own (the same status means different things to a person).
TITLES_BY_CODE: dict[str, str] = {
    "stale_version": "案件已被更新",
    "rule_violation": "依法不能办理该操作",
    "csrf_failed": "表单已失效",
    "sign_in_throttled": "登录尝试过多",
}

#: What a 405 page says: a person reaches one by opening the address of a button (a form's target).
METHOD_NOT_ALLOWED_PAGE = (
    "该地址只能通过页面上的按钮或表单提交，不能直接在地址栏打开或刷新。请返回上一页重新操作。"
)


class CodedHTTPException(HTTPException):
    """An HTTP error with a code more specific than its status's (e.g. ``csrf_failed`` for a 403)."""

    def __init__(
        self, status_code: int, detail: str, *, code: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code, detail, dict(headers) if headers else None)
        self.code = code


def http_code(status: int, exc: object = None) -> str:
    """The stable code of an HTTP error (the raiser's own, else its status's)."""
    code = getattr(exc, "code", None)
    return code if isinstance(code, str) else HTTP_CODES.get(status, "error")


def http_detail(status: int, detail: object) -> str:
    """The error's own detail if it is Chinese, else the Chinese wording of its status."""
    if isinstance(detail, str) and has_cjk(detail):
        return detail
    return HTTP_DETAILS.get(status, "请求未能完成")
