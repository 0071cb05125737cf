"""The applicant's request page (issue 18 / C): look-up, the page behind a signed link, downloads.

``/public/request``: the look-up form (tracking number + query code, posted: the code never travels
in a URL); a match redirects (303) to ``/public/r/{token}``, a link signed for the look-up's working
time (``caseflow.portal.access``). A link stops working when it expires, when it was damaged, or
when the request's query code was changed; the page then says so in Chinese beside the form.

Downloads (``/public/r/{token}/letters/{letter_no}``): the first download of each letter is its
electronic delivery, recorded through the engine (``caseflow.portal.downloads``). The PDF is saved
(attachment); the HTML letter is shown inline, since on a phone reading it is the point, under a CSP
that allows no script, no request and no frame (``default-src 'none'``, ``sandbox``: even a letter
carrying markup it should not could do nothing), with nosniff. Uploads are never served here.

The records released with the reply (``/public/r/{token}/released/{sha256}``): the copies that left
the office only (case documents of kind ``released``; an original's or any other hash is 404), saved
as PDF attachments, nosniff, no-store. Their downloads are not recorded (the reply's is its delivery).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from caseflow.api.deps import SessionDep, authorize
from caseflow.api.downloads import disposition_headers
from caseflow.api.ratelimits import check_lookup, client_address, looked_up
from caseflow.api.web.public_token import (
    TOKEN_HEADERS,
    link_refusal_status,
    refuse_cross_site,
    to_token_page,
    token_page,
)
from caseflow.api.web.rendering import render
from caseflow.models import Case
from caseflow.portal import access, downloads, followups, request_view

router = APIRouter(dependencies=[Depends(authorize)], include_in_schema=False)

#: An issued letter's HTML, shown inline: no script, no request, no frame, a sandboxed origin.
LETTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
CHANGED_CODE = "该链接已失效（查询码已变更），请使用查询编号和新的查询码重新查询"


def _lookup_form(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    """The look-up form (with why a link did not work, or why a look-up found nothing)."""
    context.setdefault("tracking_no", "")
    context.setdefault("problem", None)
    response = render(request, "applicant_lookup.html", status, **context)
    if "/public/r/" in request.url.path:  # shown in place of a token's page: the URL holds the token
        token_page(response)
    return response


@router.get("/public/request", name="page_applicant_lookup")
def page_applicant_lookup(request: Request) -> HTMLResponse:
    """The look-up form: nothing about any request."""
    return _lookup_form(request)


@router.post("/public/request", name="page_applicant_lookup_submit")
def page_applicant_lookup_submit(
    request: Request,
    session: SessionDep,
    tracking_no: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """The look-up, posted; a match goes to the request's page, anything else gets the same answer
    (counted and slowed by the shared look-up limits, ``caseflow.api.ratelimits``)."""
    refuse_cross_site(request)  # "null": the form beside a refused link (caseflow.api.web.public_token)
    number = tracking_no.strip()[:60]
    check_lookup(request, number)
    case = looked_up(request, number, request_view.find_case(session, number, code))
    if case is None or case.id is None:
        return _lookup_form(request, tracking_no=number, problem="未找到：请核对查询编号和查询码。")
    token = access.sign_link(case.id, case.query_code)
    return to_token_page(f"/public/r/{token}")


def _opened(request: Request, session: SessionDep, token: str) -> Case | HTMLResponse:
    """The request a link names, or the page saying why the link does not work."""
    try:
        case_id, tag = access.open_link(token)
    except access.LinkError as exc:
        return _lookup_form(request, link_refusal_status(exc), problem=str(exc))
    case = session.get(Case, case_id)
    if case is None:
        return _lookup_form(request, 403, problem="链接无效，请使用查询编号和查询码查询")
    if not access.code_matches(tag, case.query_code):
        return _lookup_form(request, 403, problem=CHANGED_CODE)
    return case


@router.get("/public/r/{token}", name="page_applicant_request")
def page_applicant_request(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    """The request's page: state, dates, what is awaited, the letters to the applicant."""
    check_lookup(request, None)  # a signed link cannot be a guess: counted only
    case = _opened(request, session, token)
    if isinstance(case, HTMLResponse):
        return case
    context = request_view.page(session, case)
    context.update(followups.applicant_view(session, case))
    context["token"] = token
    return token_page(render(request, "applicant_request.html", **context))


@router.get("/public/r/{token}/letters/{letter_no}", name="page_applicant_letter")
def page_applicant_letter(
    request: Request, session: SessionDep, token: str, letter_no: str, format: str = "html"
) -> Response:
    """A letter to the applicant as issued; its first download is recorded as its delivery."""
    case = _opened(request, session, token)
    if isinstance(case, HTMLResponse):
        return case
    if format not in ("html", "pdf"):
        return _lookup_form(request, 404, problem="没有这种文本格式（可选：网页、PDF）")
    fmt: downloads.Format = "pdf" if format == "pdf" else "html"
    letter, data, _ = downloads.serve(session, case, letter_no[:80], fmt, client_address(request))
    headers = {**TOKEN_HEADERS, "X-Content-Type-Options": "nosniff"}
    if fmt == "pdf":
        headers.update(disposition_headers(f"{letter.letter_no}.pdf", fallback=f"letter-{letter.id}.pdf"))
        return Response(data, media_type="application/pdf", headers=headers)
    headers["Content-Security-Policy"] = LETTER_CSP
    headers.update(
        disposition_headers(f"{letter.letter_no}.html", inline=True, fallback=f"letter-{letter.id}.html")
    )
    return Response(data, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/public/r/{token}/released/{sha256}", name="page_applicant_released")
def page_applicant_released(request: Request, session: SessionDep, token: str, sha256: str) -> Response:
    """A record's copy released with the reply, as it left the office (PDF, saved)."""
    case = _opened(request, session, token)
    if isinstance(case, HTMLResponse):
        return case
    name, data = downloads.serve_released(session, case, sha256)
    headers = {**TOKEN_HEADERS, "X-Content-Type-Options": "nosniff"}
    headers.update(disposition_headers(name, fallback=f"released-{sha256[:12]}.pdf"))
    return Response(data, media_type="application/pdf", headers=headers)
