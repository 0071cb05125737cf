"""What every list page shares: one page of requests in the lists' order, the paging links (首页 上一页
第N页/共M页 下一页 末页) that keep the filters, the page size choice, and the deadline and agency filters.

The order and the paging are the database's (``caseflow.queries.list_cases``); this module only turns
the query string into a filter and a page, and a page into links.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from sqlmodel import Session

from caseflow import case_list, queries
from caseflow.cases.actor import Actor
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
    #: this page's number (0: not known, a page counted from the end of a list longer than the cap)
    page: int
    size: int
    pages: int
    first: str | None
    previous: str | None
    next: str | None
    last: str | None
    #: (size, link, whether it is the current size)
    sizes: tuple[tuple[int, str, bool], ...]
    #: the first row's position (1-based) and the last's on this page (0 when the page is not known)
    start: int
    end: int
    #: the list is longer than ``case_list.COUNT_CAP`` (``total`` is the cap; ``pages`` a lower bound)
    capped: bool = False

    @property
    def total_text(self) -> str:
        """The total as the pages show it ("共 37 件", "共 1000+ 件")."""
        return f"{self.total}+" if self.capped else str(self.total)


def deadline_filter(due: str, overdue: bool | None = None) -> dict[str, Any]:
    """CaseFilter arguments for the deadline choice (``overdue=true`` from older links counts too)."""
    if due == "overdue" or (overdue and not due):
        return {"overdue": True}
    if due == "soon":
        return {"due_within": queries.DUE_SOON_DAYS}
    return {}


def _link(request: Request, **changes: int | str | None) -> str:
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
    capped: bool = False,
) -> Pager:
    """The pager of a list of ``total`` rows (more when ``capped``) showing ``shown`` rows of page
    ``page`` (0: a page whose number is not known)."""
    pages = max(1, math.ceil(total / size)) + (1 if capped else 0)

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
        start=(page - 1) * size + 1 if shown and page else 0,
        end=(page - 1) * size + shown if page else 0,
        capped=capped,
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
    """One page of the list and its pager. The links carry the page's first or last row's place
    (``<param>_after`` / ``<param>_before``: keyset pagination, an index seek however deep); a page
    number alone (older links) is counted from the start. A page past the end shows the last page."""
    size = page_size(size)
    page = max(page, 1)
    on = today()
    after, before = _cursors(request, param)
    if (after or before) and param not in request.query_params:
        page = 0  # walked to from the end of a list longer than the cap: its number is not known
    found = queries.list_page(
        session, actor, flt, today=on, page=page or 1, size=size, after=after, before=before
    )
    if (after or before) and not found.rows and found.total:
        after, before, page = None, None, 1  # a stale place (the rows moved): start again
        found = queries.list_page(session, actor, flt, today=on, page=1, size=size)
    if before == case_list.END:
        page = 0 if found.capped else last_page(10**9, found.total, size)
    past_end = not found.rows and found.total if found.capped else page > last_page(page, found.total, size)
    if not (after or before) and past_end:  # a page number past the end: the last page
        page = 0 if found.capped else last_page(page, found.total, size)
        found = queries.list_page(session, actor, flt, today=on, size=size, before=case_list.END)
    pager = pager_for(
        request,
        total=found.total,
        page=page,
        size=size,
        shown=len(found.rows),
        param=param,
        size_param=size_param,
        capped=found.capped,
    )
    cursor_links = {f"{param}_after": None, f"{param}_before": None}

    def numbered(n: int) -> int | None:
        return n if page and n >= 1 else None  # pages walked to from the end carry no number

    pager = dataclasses.replace(
        pager,
        first=_link(request, **{param: None, **cursor_links}) if found.more_before else None,
        previous=(
            _link(
                request, **{param: numbered(page - 1), **cursor_links, f"{param}_before": found.first.token()}
            )
            if found.more_before and found.first and (page > 2 or not page)
            else _link(request, **{param: None, **cursor_links})
            if found.more_before
            else None
        ),
        next=_link(
            request, **{param: numbered(page + 1), **cursor_links, f"{param}_after": found.last.token()}
        )
        if found.more_after and found.last
        else None,
        last=_link(
            request,
            **{
                param: None if found.capped else pager.pages,
                **cursor_links,
                f"{param}_before": case_list.END,
            },
        )
        if found.more_after
        else None,
        sizes=tuple(
            (n, _link(request, **{size_param: n, param: None, **cursor_links}), current)
            for n, _, current in pager.sizes
        ),
    )
    return found.rows, pager


def _cursors(request: Request, param: str) -> tuple[case_list.Cursor | None, case_list.Cursor | str | None]:
    """The place the link carries (an unreadable one is ignored: the page is counted instead)."""
    after = request.query_params.get(f"{param}_after")
    before = request.query_params.get(f"{param}_before")
    try:
        if after:
            return case_list.Cursor.parse(after), None
        if before:
            return None, case_list.END if before == case_list.END else case_list.Cursor.parse(before)
    except ValueError:
        pass
    return None, None
