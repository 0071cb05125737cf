"""What the public pages reached by a signed link have in common (issue 18): the applicant's request
page (``caseflow.api.web.applicant``), its supplement and withdrawal forms
(``caseflow.api.web.applicant_actions``) and the online application's page
(``caseflow.api.web.submission_status``).

A URL that carries a token must leave in no Referer header and stay in no cache (``TOKEN_HEADERS``).
Their forms have no session to bind a CSRF token to: the Origin check (``refuse_cross_site``), which
accepts "null", what a browser sends from a page under ``Referrer-Policy: no-referrer``; the token
(or the code typed into a look-up) is the proof of access, so a forged post could only show its
answer to the one who holds it.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from caseflow.api.deps import cross_site_origin
from caseflow.portal import access

#: Pages whose URL carries a token: the token leaves in no Referer header and stays in no cache.
TOKEN_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

R = TypeVar("R", bound=Response)


def refuse_cross_site(request: Request, page: str = "查询") -> None:
    """403 for a form posted from another site (Origin "null" and no Origin pass)."""
    if cross_site_origin(request) not in (None, "null"):
        raise HTTPException(403, f"请从本系统的{page}页面提交")


def token_page(response: R) -> R:
    """The response with ``TOKEN_HEADERS``."""
    response.headers.update(TOKEN_HEADERS)
    return response


def to_token_page(url: str) -> RedirectResponse:
    """303 to a page whose URL carries a token."""
    return RedirectResponse(url, status_code=303, headers=TOKEN_HEADERS)


def link_refusal_status(exc: access.LinkError) -> int:
    """410 for a link that expired, 403 for one that was damaged."""
    return 410 if exc.expired else 403
