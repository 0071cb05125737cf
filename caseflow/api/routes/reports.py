"""JSON API v1: the annual report (tables 三 and 四, also as HTML or xlsx), its finalization (the
period lock), the office's working figures and the candidates for proactive disclosure.

Every route works on an agency the caller may see (default: the caller's own) and, unless
``subtree=false``, its whole subtree; another branch's agency answers 404 like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

from caseflow.api.deps import API_ERRORS, Authorized, SessionDep, actor_of, authorize
from caseflow.api.downloads import disposition_headers
from caseflow.dates import today
from caseflow.reports import candidates as candidates_module
from caseflow.reports import figures as figures_module
from caseflow.reports import service
from caseflow.reports.scope import FIRST_YEAR, check_period, resolve_agency
from caseflow.texts import TEXT_PATTERN

router = APIRouter(
    prefix="/api/v1/reports", dependencies=[Depends(authorize)], tags=["reports"], responses=API_ERRORS
)

#: Text without control characters (``caseflow.api.limits`` refuses them everywhere: 422).
TEXT = TEXT_PATTERN
Year = Annotated[
    int,
    Query(ge=FIRST_YEAR, le=9999, description="The report's year (2008 to the current year; later: 404)"),
]
AgencyCode = Annotated[
    str | None,
    Query(max_length=40, pattern=TEXT, description="An agency code (default: your own agency)"),
]
Subtree = Annotated[bool, Query(description="Include the agencies below it (default) or not")]
#: The annual report counts the agency's own requests (Arts. 49-50) unless the aggregate is asked for.
Aggregate = Annotated[
    bool,
    Query(description="The aggregate (汇总) over the agencies below it; default: the agency's own requests"),
]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD, as the schema says (pydantic alone would also read "0" as 1970-01-01)."""
    if value is not None and not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        raise ValueError("日期应写作“年-月-日”（如 2026-11-28）")
    return value


def _whole_number(value: object) -> object:
    """A JSON integer (2025 or 2025.0), never a string, a boolean or a fraction."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("请填写整数")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("请填写整数")
    return int(value)


From = Annotated[
    dt.date | None,
    BeforeValidator(_iso_date),
    Query(alias="from", description="First day (default: 1 January; before 2008-05-01: trimmed)"),
]
To = Annotated[
    dt.date | None, BeforeValidator(_iso_date), Query(description="Last day (default and at most: today)")
]


ANNUAL_CONTENT = {
    "description": "The report as JSON (default), HTML or xlsx",
    "content": {media: {} for media in service.MEDIA_TYPES.values()},
}


@router.get("/annual", name="annual_report", response_model=None, responses={200: ANNUAL_CONTENT})
def annual_report(
    caller: Authorized,
    session: SessionDep,
    year: Year,
    agency: AgencyCode = None,
    subtree: Aggregate = False,
    format: Annotated[Literal["json", "html", "xlsx"], Query(description="The report's form")] = "json",
    finalized: Annotated[bool, Query(description="The figures as finalized, not as they are now")] = False,
) -> Response:
    """Tables 三 and 四 of the annual report (国办公开办函〔2021〕30号) with their checks:
    `{"year", "agency", "table3": {ROW: {COL: n}}, "table4", "checks", "finalized"}`; `finalized`
    says whether and when the report was finalized and lists every figure changed since."""
    fmt = service.parse_format(format)
    result = service.annual(
        session,
        actor_of(caller),
        year=year,
        agency_code=agency,
        today=today(),
        subtree=subtree,
        as_finalized=finalized,
    )
    if fmt is service.ReportFormat.JSON:
        return JSONResponse(result.to_json())
    return Response(
        result.render(fmt),
        media_type=service.MEDIA_TYPES[fmt],
        headers=disposition_headers(result.filename(fmt), fallback=result.ascii_filename(fmt)),
    )


class FinalizeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Annotated[int, BeforeValidator(_whole_number)] = Field(
        ge=FIRST_YEAR, le=9999, description="A year that has ended (else 409)"
    )
    agency: str | None = Field(default=None, max_length=40, pattern=TEXT)
    subtree: StrictBool = False
    reason: str = Field(
        default="", max_length=4000, pattern=TEXT, description="Required when revising a finalized report"
    )


@router.post("/annual/finalize", name="finalize_annual_report", status_code=201)
def finalize_annual_report(caller: Authorized, session: SessionDep, body: FinalizeBody) -> dict[str, Any]:
    """Finalize the year's report (supervisors): its figures and their SHA-256 are kept; later
    changes are flagged. Refused before the year has ended or while its check fails; a second
    finalization with other figures is a revision and needs a reason."""
    return service.finalize(
        session,
        actor_of(caller),
        year=body.year,
        agency_code=body.agency,
        today=today(),
        subtree=body.subtree,
        reason=body.reason,
    )


@router.get("/figures", name="office_figures")
def office_figures(
    caller: Authorized,
    session: SessionDep,
    agency: AgencyCode = None,
    date_from: From = None,
    to: To = None,
    subtree: Subtree = True,
) -> dict[str, Any]:
    """Requests by channel, replies on time / extended / late, working days to reply (average,
    90th percentile, distribution) over the period, and open requests now by working days left,
    by handler and by agency."""
    home = resolve_agency(session, actor_of(caller), agency)
    start, end = check_period(date_from, to, today())
    return figures_module.office_figures(session, home, start=start, end=end, today=today(), subtree=subtree)


@router.get("/candidates", name="disclosure_candidates")
def disclosure_candidates(
    caller: Authorized,
    session: SessionDep,
    agency: AgencyCode = None,
    date_from: From = None,
    to: To = None,
    subtree: Subtree = True,
    min_applicants: Annotated[int, Query(ge=2, le=1000)] = 2,
    threshold: Annotated[float, Query(ge=0.1, le=1.0, description="Jaccard similarity")] = 0.5,
) -> dict[str, Any]:
    """Information several applicants asked one agency for (Art. 44), near-duplicates included,
    with counts, outcomes and the requests; default period: the last twelve months."""
    home = resolve_agency(session, actor_of(caller), agency)
    now = today()
    start, end = check_period(date_from or now - dt.timedelta(days=365), to, now)
    return candidates_module.candidates(
        session,
        home,
        start=start,
        end=end,
        subtree=subtree,
        min_applicants=min_applicants,
        threshold=threshold,
    )
