"""Report pages for supervisors and auditors: the annual report laid out like the official tables (xlsx
download, finalization), the office's working figures with server-drawn charts, and the candidates
for proactive disclosure. Thin handlers: parse the form, call ``caseflow.reports``, render."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from caseflow import law
from caseflow.api.deps import Authorized, Caller, SessionDep, actor_of, authorize, check_csrf
from caseflow.api.downloads import disposition_headers
from caseflow.api.refusal_status import status_of
from caseflow.api.web.rendering import render
from caseflow.dates import today
from caseflow.errors import CaseflowError, FactsError, NotFound
from caseflow.models import Agency
from caseflow.reports import candidates as candidates_module
from caseflow.reports import charts, layout, service
from caseflow.reports import figures as figures_module
from caseflow.reports import render as report_render
from caseflow.reports.figures import REPLY_KINDS
from caseflow.reports.scope import FIRST_YEAR, check_period, resolve_agency
from caseflow.states.roles import SUPERVISOR

router = APIRouter(prefix="/reports", dependencies=[Depends(authorize)], include_in_schema=False)


class FormError(ValueError):
    """A form value that cannot be read: shown on the page, in Chinese."""

    status = 422


class UnknownAgency(FormError):
    status = 404


def _agency(session: Session, caller: Caller, code: str) -> Agency:
    """The chosen agency (default: the caller's own); another branch's answers like a missing one."""
    try:
        return resolve_agency(session, actor_of(caller), code or None)
    except NotFound:
        raise UnknownAgency(f"没有机关“{code}”，或该机关不在您可以查看的范围内") from None


def _agencies(session: Session, caller: Caller) -> list[Agency]:
    actor = actor_of(caller)
    return [a for a in session.exec(select(Agency).order_by(col(Agency.path))) if actor.sees(a.path)]


def _year(value: str) -> int:
    text = value.strip()
    if not text:
        return today().year - 1
    if not text.isdigit():
        raise FormError(f"年度“{text}”不是数字")
    year = int(text)
    if not FIRST_YEAR <= year <= today().year:
        raise FormError(f"年度须在{FIRST_YEAR}年至{today().year}年之间")
    return year


def _day(value: str, name: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise FormError(f"{name}“{value}”不是有效日期（YYYY-MM-DD）") from None


def _refused(
    request: Request, template: str, context: dict[str, Any], exc: FormError | CaseflowError
) -> HTMLResponse:
    """The page again with the form as given and what was wrong with it."""
    if isinstance(exc, FormError):
        return render(request, template, exc.status, **{**context, "error": str(exc)})
    return render(request, template, status_of(exc), **{**context, "error": exc.message})


def _scope(
    session: Session,
    caller: Caller,
    agency: str,
    date_from: str,
    date_to: str,
    *,
    default_days: int | None = None,
) -> tuple[Agency, dt.date, dt.date]:
    """The agency and period a figures form asks for (the start, if not given, ``default_days`` back)."""
    home = _agency(session, caller, agency[:40])
    now = today()
    start = _day(date_from[:10], "起始日期")
    if start is None and default_days is not None:
        start = now - dt.timedelta(days=default_days)
    first, last = check_period(start, _day(date_to[:10], "截止日期"), now)
    return home, first, last


def _query(**params: object) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


# --- the annual report ---------------------------------------------------------------------------


def _annual_page(
    request: Request,
    session: Session,
    caller: Caller,
    *,
    year_text: str,
    agency: str,
    subtree: bool,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "agencies": _agencies(session, caller),
        "years": list(range(today().year, FIRST_YEAR - 1, -1)),
        "agency_code": agency,
        "subtree": subtree,
        "year": year_text,
        "result": None,
        "error": error,
        "notice": notice,
        "can_finalize": SUPERVISOR in caller.roles,
    }
    try:
        year = _year(year_text)
        context["year"] = year
        home = _agency(session, caller, agency)
        result = service.annual(
            session, actor_of(caller), year=year, agency_code=home.code, today=today(), subtree=subtree
        )
    except (FormError, CaseflowError) as exc:
        return _refused(request, "report_annual.html", context, exc)
    changes = []
    if result.finalized:
        for change in result.finalized["changes"]:
            row, column = layout.figure_label(change["table"], change["row"], change["column"])
            changes.append({**change, "row_label": row, "column_label": column})
    params = {"year": year, "agency": result.agency.code, "subtree": "1" if subtree else "0"}
    context.update(
        result=result,
        agency_code=result.agency.code,
        tables=report_render.tables(result.report),
        extra=report_render.extra(result.report),
        changes=changes,
        year_ended=year < today().year,
        download=lambda fmt, finalized=False: (
            "/reports/annual/download?" + _query(**params, format=fmt, finalized="1" if finalized else None)
        ),
    )
    return render(request, "report_annual.html", status, **context)


@router.get("/annual", name="page_report_annual")
def page_report_annual(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    year: str = "",
    agency: str = "",
    subtree: str = "0",
    done: str = "",
) -> HTMLResponse:
    notice = "已定稿：定稿数据及其哈希已保存，此后数据变化将在本页和督办看板提示。" if done else None
    return _annual_page(
        request,
        session,
        caller,
        year_text=year[:10],
        agency=agency[:40],
        subtree=subtree != "0",
        notice=notice,
    )


@router.get("/annual/download", name="page_report_annual_download")
def page_report_annual_download(
    caller: Authorized,
    session: SessionDep,
    year: str = "",
    agency: str = "",
    subtree: str = "0",
    format: str = "xlsx",
    finalized: str = "",
) -> Response:
    try:
        number = _year(year[:10])
    except FormError as exc:
        raise FactsError([("year", str(exc))]) from None
    fmt = service.parse_format(format[:10])
    result = service.annual(
        session,
        actor_of(caller),
        year=number,
        agency_code=agency[:40] or None,
        today=today(),
        subtree=subtree != "0",
        as_finalized=bool(finalized),
    )
    return Response(
        result.render(fmt),
        media_type=service.MEDIA_TYPES[fmt],
        headers=disposition_headers(result.filename(fmt), fallback=result.ascii_filename(fmt)),
    )


@router.post("/annual/finalize", name="page_report_annual_finalize")
async def page_report_annual_finalize(request: Request, caller: Authorized, session: SessionDep) -> Response:
    await check_csrf(request, caller)
    form = await request.form()
    year_text = str(form.get("year", ""))[:10]
    agency = str(form.get("agency", ""))[:40]
    subtree = str(form.get("subtree", "0")) != "0"
    reason = str(form.get("reason", ""))[:4000]
    try:
        if not year_text.strip():
            raise FormError("请选择要定稿的年度")
        year = _year(year_text)
        _agency(session, caller, agency)
        done = service.finalize(
            session,
            actor_of(caller),
            year=year,
            agency_code=agency or None,
            today=today(),
            subtree=subtree,
            reason=reason,
        )
    except FormError as exc:
        return _annual_page(
            request,
            session,
            caller,
            year_text=year_text,
            agency=agency,
            subtree=subtree,
            status=exc.status,
            error=str(exc),
        )
    except CaseflowError as exc:
        return _annual_page(
            request,
            session,
            caller,
            year_text=year_text,
            agency=agency,
            subtree=subtree,
            status=status_of(exc),
            error=f"未能定稿：{exc.message}",
        )
    query = _query(year=year, agency=done["agency"], subtree="1" if subtree else "0", done="1")
    return RedirectResponse(f"/reports/annual?{query}", 303)


# --- the office's figures ------------------------------------------------------------------------


def _scope_form(
    session: Session, caller: Caller, agency: str, date_from: str, date_to: str, subtree: str
) -> dict[str, Any]:
    """What the figures and candidates pages show in their agency-and-period form, as given."""
    return {
        "agencies": _agencies(session, caller),
        "agency_code": agency[:40],
        "date_from": date_from[:10],
        "date_to": date_to[:10],
        "subtree": subtree != "0",
        "data": None,
        "error": None,
    }


LEFT_LABELS = {"overdue": "已逾期", "0-3": "0-3日", "4-10": "4-10日", "11-20": "11-20日", ">20": "20日以上"}


@router.get("/figures", name="page_report_figures")
def page_report_figures(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    agency: str = "",
    date_from: str = "",
    date_to: str = "",
    subtree: str = "1",
) -> HTMLResponse:
    context = _scope_form(session, caller, agency, date_from, date_to, subtree)
    try:
        home, start, end = _scope(session, caller, agency, date_from, date_to)
    except (FormError, CaseflowError) as exc:
        return _refused(request, "report_figures.html", context, exc)
    data = figures_module.office_figures(
        session, home, start=start, end=end, today=today(), subtree=subtree != "0"
    )
    names = {a.code: a.name for a in context["agencies"]}
    waited = data["working_days_to_reply"]
    context.update(
        data=data,
        published=figures_module.published_lines(data["published"]),
        agency_code=home.code,
        date_from=start.isoformat(),
        date_to=end.isoformat(),
        chart_channels=charts.columns(list(data["by_channel"].items()), title="收到申请按渠道"),
        chart_replies=charts.columns(
            [(REPLY_KINDS[k], data["replies"][k]) for k in REPLY_KINDS],
            title="答复按时、延期与逾期",
            colors=("#2da44e", "#d98200", "#b30000"),
        ),
        chart_waited=charts.columns(
            list(waited["distribution"].items()), title="收到申请至答复的工作日数分布", colors=("#1f6feb",)
        ),
        chart_left=charts.columns(
            [(LEFT_LABELS.get(k, k), v) for k, v in data["open"]["by_working_days_left"].items()],
            title="办理中案件按剩余工作日",
            colors=("#b30000", "#d98200", "#57606a", "#57606a", "#57606a"),
        ),
        chart_handlers=charts.bars(
            sorted(data["open"]["by_handler"].items(), key=lambda kv: -kv[1]), title="办理中案件按经办人"
        ),
        chart_agencies=charts.bars(
            sorted(
                ((names.get(k, k), v) for k, v in data["open"]["by_agency"].items()), key=lambda kv: -kv[1]
            ),
            title="办理中案件按机关",
            label_width=220,
        ),
    )
    return render(request, "report_figures.html", **context)


# --- candidates for proactive disclosure ---------------------------------------------------------


@router.get("/candidates", name="page_report_candidates")
def page_report_candidates(
    request: Request,
    caller: Authorized,
    session: SessionDep,
    agency: str = "",
    date_from: str = "",
    date_to: str = "",
    subtree: str = "1",
    min_applicants: str = "2",
    threshold: str = "0.5",
) -> HTMLResponse:
    context = _scope_form(session, caller, agency, date_from, date_to, subtree)
    context.update(
        min_applicants=min_applicants[:4],
        threshold=threshold[:5],
        outcome_names={o.code: o.name for o in law.OUTCOMES} | {"open": "办理中"},
    )
    try:
        home, start, end = _scope(session, caller, agency, date_from, date_to, default_days=365)
        try:
            people = int(min_applicants)
            similarity = float(threshold)
        except ValueError:
            raise FormError("申请人数须为整数，相似度须为0.1至1之间的小数") from None
        data = candidates_module.candidates(
            session,
            home,
            start=start,
            end=end,
            subtree=subtree != "0",
            min_applicants=people,
            threshold=similarity,
        )
    except (FormError, CaseflowError) as exc:
        return _refused(request, "report_candidates.html", context, exc)
    context.update(data=data, agency_code=home.code, date_from=start.isoformat(), date_to=end.isoformat())
    return render(request, "report_candidates.html", **context)
