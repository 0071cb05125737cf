"""What every list page shares: one page of requests in the lists' order, the paging links (首页 上一页
第N页/共M页 下一页 末页) that keep the filters, the page size choice, and the deadline and agency filters.

The order and the paging are the database's (``caseflow.queries.list_cases``); this module only turns
the query string into a filter and a page, and a page into links.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from sqlmodel import Session

from caseflow import queries
from caseflow.cases.engine import Actor
from caseflow.dates import today

#: The page sizes offered; the lists show ``DEFAULT_SIZE`` requests a page unless asked otherwise.
PAGE_SIZES = (20, 50, 100)
DEFAULT_SIZE = 50
#: The deadline filter: every request, the overdue ones, or those due within DUE_SOON_DAYS working days.
Due = Literal["", "overdue", "soon"]
DUE_CHOICES = (
    ("", "全部"),
    ("overdue", "已逾期"),
    ("soon", f"{queries.DUE_SOON_DAYS}个工作日内到期"),
)


@dataclass(frozen=True)
class Pager:
    """One list's position: the total, this page of how many, and the links to move."""

    total: int
    page: int
    size: int
    pages: int
    first: str | None
    previous: str | None
    next: str | None
    last: str | None
    #: (size, link, whether it is the current size)
    sizes: tuple[tuple[int, str, bool], ...]
    #: the first row's position (1-based) and the last's on this page
    start: int
    end: int


def deadline_filter(due: str, overdue: bool | None = None) -> dict[str, Any]:
    """CaseFilter arguments for the deadline choice (``overdue=true`` from older links counts too)."""
    if due == "overdue" or (overdue and not due):
        return {"overdue": True}
    if due == "soon":
        return {"due_within": queries.DUE_SOON_DAYS}
    return {}


def _link(request: Request, **changes: int | None) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def pager_for(
    request: Request,
    *,
    total: int,
    page: int,
    size: int,
    shown: int,
    param: str = "page",
    size_param: str = "size",
) -> Pager:
    """The pager of a list of ``total`` rows showing ``shown`` rows of page ``page``."""
    pages = max(1, math.ceil(total / size))

    def to(n: int) -> str:
        return _link(request, **{param: n})

    return Pager(
        total=total,
        page=page,
        size=size,
        pages=pages,
        first=to(1) if page > 1 else None,
        previous=to(page - 1) if page > 1 else None,
        next=to(page + 1) if page < pages else None,
        last=to(pages) if page < pages else None,
        sizes=tuple((n, _link(request, **{size_param: n, param: None}), n == size) for n in PAGE_SIZES),
        start=(page - 1) * size + 1 if shown else 0,
        end=(page - 1) * size + shown,
    )


def page_size(size: int | None) -> int:
    return size if size in PAGE_SIZES else DEFAULT_SIZE


def last_page(page: int, total: int, size: int) -> int:
    """``page`` within 1..the last page of ``total`` rows."""
    return min(max(page, 1), max(1, math.ceil(total / size)))


def page_of(
    request: Request,
    session: Session,
    actor: Actor,
    flt: queries.CaseFilter,
    *,
    page: int,
    size: int | None = None,
    param: str = "page",
    size_param: str = "size",
) -> tuple[list[dict[str, Any]], Pager]:
    """One page of the list and its pager. A page past the end shows the last page."""
    size = page_size(size)
    page = max(page, 1)
    on = today()
    total, rows = queries.list_cases(session, actor, flt, today=on, page=page, size=size)
    if page > (fitted := last_page(page, total, size)):
        page = fitted
        total, rows = queries.list_cases(session, actor, flt, today=on, page=page, size=size)
    pager = pager_for(
        request, total=total, page=page, size=size, shown=len(rows), param=param, size_param=size_param
    )
    return rows, pager
