"""The lists of requests: a filter, the lists' order, and one page of it.

The order (open work with a running deadline by the deadline, most overdue first; then open requests
whose clock is stopped, oldest first; then concluded requests, most recently concluded first) is kept
by the database in generated columns (``Case.list_rank``, ``list_due``, ``list_done``, ``list_tie``)
and indexed in that order, scoped by agency, by handler, or whole (migration 0022). A page is found
by its position after (or before) a row's sort key (keyset pagination: ``Cursor``), an index seek
however deep the page; a page number alone (old links) still works, by counting rows in the index.
A page's total counts at most ``COUNT_CAP`` rows (beyond that "1000+ 件": counting a million rows is a
walk over a million index entries, whatever the index). The text search is served by
``caseflow.search_index``; a search matching more than the cap is walked instead: the lists' index
in order, each row tested, up to a page's worth of matches (``WALK_ROWS`` rows at most, then the
index's matches are sorted after all), its total known to be capped as soon as a bounded walk of the
filtered rows finds more than the cap of matches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from caseflow import search_index
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.case_summary import summary
from caseflow.cases.actor import Actor
from caseflow.models import Agency, Applicant, Case, User
from caseflow.states.machine import OPEN_STATES
from caseflow.visibility import visible_agencies


@dataclass(frozen=True)
class CaseFilter:
    state: str | None = None
    overdue: bool | None = None
    due_within: int | None = None  # working days
    agency: str | None = None
    q: str | None = None
    outcome: str | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    handler: str | None = None
    #: disclosure or correction (Art. 41)
    kind: str | None = None
    #: only requests still being handled
    open_only: bool | None = None
    #: only requests marked 重大复杂疑难
    complex_only: bool | None = None
    #: any of these states (the dashboard's cards that count several states)
    states: tuple[str, ...] | None = None
    #: only open requests whose lapse the sweep proposed (补正或缴费期限已过，待确认)
    lapse_proposed_only: bool | None = None
    #: only open requests whose clock is stopped (补正、征求意见、缴费)
    paused_only: bool | None = None


#: "Due soon" on the lists and the dashboard: the reply deadline within this many working days.
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class Cursor:
    """A row's place in the lists' order: (rank, due, done, tie), as ``Case.list_*`` hold it."""

    rank: int
    due: dt.date | None
    done: dt.date | None
    tie: int

    def token(self) -> str:
        due = self.due.isoformat() if self.due else ""
        done = self.done.isoformat() if self.done else ""
        return f"{self.rank}~{due}~{done}~{self.tie}"

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """The cursor a page link carries; ValueError if it is not one."""
        rank, due, done, tie = token.split("~")
        cursor = cls(
            int(rank),
            dt.date.fromisoformat(due) if due else None,
            dt.date.fromisoformat(done) if done else None,
            int(tie),
        )
        if cursor.rank not in (0, 1, 2) or (cursor.due is None) != (cursor.rank == 2):
            raise ValueError(token)
        if (cursor.done is None) != (cursor.rank != 2):
            raise ValueError(token)
        return cursor


#: ``before=END``: the last page (the rows before the end of the list).
END = "end"

#: A list's total is counted up to this many rows; a longer list shows "1000+ 件" (``ListPage.capped``).
COUNT_CAP = 1000


def list_order() -> list[Any]:
    """The order of every list (see the module's docstring), as the indexes hold it."""
    return [col(Case.list_rank), col(Case.list_due), col(Case.list_done).desc(), col(Case.list_tie)]


def _reverse_order() -> list[Any]:
    return [
        col(Case.list_rank).desc(),
        col(Case.list_due).desc(),
        col(Case.list_done),
        col(Case.list_tie).desc(),
    ]


def _past(cursor: Cursor, forward: bool) -> list[ColumnElement[bool]]:
    """The rows of the cursor's rank after it (forward) or before it."""
    tie = col(Case.list_tie) > cursor.tie if forward else col(Case.list_tie) < cursor.tie
    if cursor.rank < 2:
        due = col(Case.list_due)
        bound = due >= cursor.due if forward else due <= cursor.due
        return [bound, or_(due != cursor.due, tie)]
    done = col(Case.list_done)
    bound = done <= cursor.done if forward else done >= cursor.done
    return [bound, or_(done != cursor.done, tie)]


def conditions(
    session: Session,
    actor: Actor,
    flt: CaseFilter,
    *,
    today: dt.date,
    cal: WorkingCalendar,
) -> Any:
    """The filter's WHERE."""
    where: list[ColumnElement[bool]] = [visible_agencies(session, actor)]
    open_states = [s.value for s in OPEN_STATES]
    if flt.state:
        where.append(col(Case.state) == flt.state)
    if flt.open_only:
        where += [col(Case.list_rank) < 2]
    if flt.complex_only:
        where.append(col(Case.complex).is_(True))
    if flt.states:
        where.append(col(Case.state).in_(list(flt.states)))
    if flt.lapse_proposed_only:
        where += [col(Case.state).in_(open_states), col(Case.lapse_proposed).is_not(None)]
    if flt.paused_only:
        where += [col(Case.state).in_(open_states), col(Case.paused).is_(True)]
    if flt.kind:
        where.append(col(Case.kind) == flt.kind)
    # Rank 0 is "open with a running deadline" and list_due its deadline: the index's own range.
    if flt.overdue:
        where += [col(Case.list_rank) == 0, col(Case.list_due) < today]
    if flt.due_within is not None:
        limit = cal.add_working_days(today, flt.due_within) if flt.due_within > 0 else today
        where += [col(Case.list_rank) == 0, col(Case.list_due) >= today, col(Case.list_due) <= limit]
    if flt.agency:
        where.append(col(Case.agency_id).in_(select(Agency.id).where(col(Agency.code) == flt.agency)))
    if flt.outcome:
        where.append(col(Case.outcome) == flt.outcome)
    if flt.received_from:
        where.append(col(Case.receipt_date) >= flt.received_from)
    if flt.received_to:
        where.append(col(Case.receipt_date) <= flt.received_to)
    if flt.handler:
        where.append(col(Case.handler_id).in_(select(User.id).where(col(User.username) == flt.handler)))
    if flt.q:
        where.append(text_match(session, flt.q))
    return and_(*where)


def text_match(session: Session, q: str) -> ColumnElement[bool]:
    """Tracking number, description or applicant's name contains ``q`` (index-served when it can be)."""
    if search_index.served(q):
        return search_index.prepare(session.connection(), q).matches
    like = f"%{q}%"
    return or_(
        col(Case.tracking_no).like(like),
        col(Case.description).like(like),
        col(Case.applicant_id).in_(select(Applicant.id).where(col(Applicant.name).like(like))),
    )


@dataclass(frozen=True)
class ListPage:
    #: the number of rows in the list, or ``COUNT_CAP`` when there are more (``capped``)
    total: int
    rows: list[dict[str, Any]]
    #: the first and the last row's place (the links to the previous and the next page)
    first: Cursor | None
    last: Cursor | None
    #: the list has more than ``COUNT_CAP`` rows (``total`` is then the cap: "1000+ 件")
    capped: bool = False
    #: whether rows follow this page's last row / precede its first
    more_after: bool = False
    more_before: bool = False

    @property
    def total_text(self) -> str:
        """The total as the pages show it: "37", or "1000+"."""
        return f"{self.total}+" if self.capped else str(self.total)


#: A walk along the lists' index for a search's page reads at most this many rows; the count's walk
#: (any order) at most ``WALK_COUNT_ROWS``: past that the index's matches are fewer than a page (a
#: twentieth) of the rows, and cheaper to find and sort.
WALK_ROWS = 5_000
WALK_COUNT_ROWS = 20_000
#: SQLite: a search whose index finds at most this many requests is not walked (finding them is cheap).
FEW_MATCHES = 5_000


@dataclass(frozen=True)
class _Walk:
    """A search walked along the lists' index: the filter without the text, and the text's test."""

    base: Any
    test: ColumnElement[bool]


def _walk_count(session: Session, walk: _Walk, cap: int) -> int:
    """Matches among the first ``WALK_COUNT_ROWS`` filtered rows, counted up to ``cap + 1``."""
    rows = sa_select(walk.test.label("m")).where(walk.base).limit(WALK_COUNT_ROWS).subquery()
    hits = sa_select(rows.c.m).where(rows.c.m).limit(cap + 1).subquery()
    return int(session.execute(sa_select(func.count()).select_from(hits)).scalar_one())


def _select_keys(
    session: Session,
    condition: Any,
    walk: _Walk | None,
    where: list[Any],
    order: list[Any],
    limit: int,
    offset: int = 0,
) -> list[Any]:
    """The keys of the rows meeting ``condition`` and ``where`` in ``order``: ``limit`` of them
    after ``offset``. A walk tests the first ``WALK_ROWS`` (past ``offset``) of the filtered rows in
    order (the rows come out of the walk in its order) and falls back on ``condition`` when it
    stopped at that bound before finding them all."""
    keys = _key_columns()
    if walk is not None:
        bound = WALK_ROWS + offset
        inner = sa_select(*keys, walk.test.label("m")).where(walk.base, *where).order_by(*order)
        rows = inner.limit(bound).subquery()
        stmt = sa_select(*[rows.c[k.key] for k in keys]).where(rows.c.m).offset(offset).limit(limit)
        found = list(session.execute(stmt).all())
        if len(found) >= limit:
            return found
        seen = sa_select(col(Case.id)).where(walk.base, *where).limit(bound).subquery()
        if int(session.execute(sa_select(func.count()).select_from(seen)).scalar_one()) < bound:
            return found  # the walk went to the end: these are all
    stmt = sa_select(*keys).where(condition, *where).order_by(*order).offset(offset).limit(limit)
    return list(session.execute(stmt).all())


def count_capped(session: Session, condition: Any, cap: int | None = None) -> tuple[int, bool]:
    """(rows matching ``condition`` up to ``cap``, whether there are more): a count that stops."""
    cap = COUNT_CAP if cap is None else cap
    inner = sa_select(col(Case.id)).where(condition).limit(cap + 1).subquery()
    found = int(session.execute(sa_select(func.count()).select_from(inner)).scalar_one())
    return min(found, cap), found > cap


def _key_columns() -> list[Any]:
    return [col(Case.id), col(Case.list_rank), col(Case.list_due), col(Case.list_done), col(Case.list_tie)]


def _keys(
    session: Session,
    condition: Any,
    cursor: Cursor | None,
    forward: bool,
    size: int,
    walk: _Walk | None = None,
) -> list[Any]:
    """Up to ``size`` (id, rank, due, done, tie) after (or before) ``cursor``, one rank at a time
    (each an index range)."""
    order = list_order() if forward else _reverse_order()
    if cursor is None:
        return _select_keys(session, condition, walk, [], order, size)
    found: list[Any] = []
    for rank in range(cursor.rank, 3) if forward else range(cursor.rank, -1, -1):
        where = [col(Case.list_rank) == rank]
        if rank == cursor.rank:
            where += _past(cursor, forward)
        found += _select_keys(session, condition, walk, where, order[1:], size - len(found))
        if len(found) >= size:
            break
    return found


def list_page(
    session: Session,
    actor: Actor,
    flt: CaseFilter,
    *,
    today: dt.date,
    page: int = 1,
    size: int = 50,
    after: Cursor | None = None,
    before: Cursor | str | None = None,
    calendar: WorkingCalendar | None = None,
) -> ListPage:
    """One page of the list: the ``size`` rows after ``after``, or before ``before`` (``END``: the
    last rows), or else page ``page`` counted from the start."""
    cal = calendar or default_calendar()
    walk: _Walk | None = None
    if flt.q and search_index.served(flt.q):
        search = search_index.prepare(session.connection(), flt.q, FEW_MATCHES)
        base = conditions(session, actor, replace(flt, q=None), today=today, cal=cal)
        condition = and_(base, search.matches)
        walk = _Walk(base, search.test)
        # Many matches: known by a bounded walk (unless the index says there are few), a page is
        # then the first ones along the order, not all of them sorted.
        few = search.estimate is not None and search.estimate <= FEW_MATCHES
        if not few and _walk_count(session, walk, COUNT_CAP) > COUNT_CAP:
            total, capped = COUNT_CAP, True
        else:
            total, capped = count_capped(session, condition)
        walk = walk if capped else None
    else:
        condition = conditions(session, actor, flt, today=today, cal=cal)
        total, capped = count_capped(session, condition)
    # One row more than the page shows: whether there is a next (or previous) page.
    if after is not None:
        keys = _keys(session, condition, after, True, size + 1, walk)
        more_after, more_before = len(keys) > size, True
        keys = keys[:size]
    elif before is not None:
        start = None if before == END else before
        assert start is None or isinstance(start, Cursor)
        # The last page holds what is left after whole pages (when the total is known).
        count = size if start is not None or capped else (total - 1) % size + 1 if total else 0
        keys = _keys(session, condition, start, False, count + 1, walk)
        more_after, more_before = start is not None, len(keys) > count
        keys = list(reversed(keys[:count]))
    else:
        keys = _select_keys(session, condition, walk, [], list_order(), size + 1, (page - 1) * size)
        more_after, more_before = len(keys) > size, page > 1
        keys = keys[:size]
    page_ids = [k[0] for k in keys]
    stmt = (
        select(Case, Applicant, Agency)
        .join(Applicant, col(Applicant.id) == col(Case.applicant_id))
        .join(Agency, col(Agency.id) == col(Case.agency_id))
        .where(col(Case.id).in_(page_ids))
    )
    position = {case_id: n for n, case_id in enumerate(page_ids)}
    found = sorted(session.exec(stmt), key=lambda row: position[row[0].id])
    rows = [summary(case, applicant, agency, today=today, calendar=cal) for case, applicant, agency in found]
    marks = [Cursor(k[1], k[2], k[3], k[4]) for k in keys]
    first, last = (marks[0], marks[-1]) if marks else (None, None)
    return ListPage(total, rows, first, last, capped, more_after, more_before)


def list_cases(
    session: Session,
    actor: Actor,
    flt: CaseFilter,
    *,
    today: dt.date,
    page: int = 1,
    size: int = 50,
    calendar: WorkingCalendar | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """(total, rows of page ``page``) in the order of ``list_order`` (the total counted up to
    ``COUNT_CAP``)."""
    found = list_page(session, actor, flt, today=today, page=page, size=size, calendar=calendar)
    return found.total, found.rows
