"""``caseflow demo``: an agency tree, one user per role and realistic requests in every state and
outcome, spread over this year and last, built through the same service functions as real work."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, func, select

from caseflow import demo_portal, law, service
from caseflow.accounts import create_agency, create_user
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.dates import SHANGHAI
from caseflow.demo_requests import Builder
from caseflow.errors import FactsError
from caseflow.models import Agency

AGENCIES = (
    # code, name, parent, 文号 prefix
    ("city", "某市人民政府办公室", None, "某政办公开"),
    ("city-nr", "某市自然资源和规划局", "city", "某自然资规公开"),
    ("city-eco", "某市生态环境局", "city", "某环公开"),
    ("east", "某市东区人民政府", "city", "东政公开"),
    ("east-hous", "某市东区住房和城乡建设局", "east", "东住建公开"),
)
ROLE_USERS = (
    ("clerk", "张晓明", ["clerk"]),
    ("reviewer", "李法审", ["reviewer"]),
    ("supervisor", "王主任", ["supervisor"]),
    ("auditor", "赵督查", ["auditor"]),
    ("admin", "系统管理员", ["admin"]),
)
DEFAULT_PASSWORD = "caseflow-demo"
REPLY_OUTCOMES = [o.code for o in law.OUTCOMES if not o.without_reply]
OPEN_KINDS = (
    "received",
    "supplement-required",
    "consultation",
    "fee-pending",
    "extended",
    "legal-review",
    "ready-to-issue",
)
CLOSED_KINDS = ("other.no_supplement", "other.fee_unpaid", "other.other")


@dataclass
class DemoResult:
    cases: int
    by_state: Counter[str]
    by_outcome: Counter[str]
    password: str
    #: The online applications (issue 18): number, access code (shown once), status.
    online: list[demo_portal.DemoSubmission] = field(default_factory=list)


def build_demo(
    session: Session,
    *,
    cases: int,
    seed: int,
    password: str = DEFAULT_PASSWORD,
    now: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """The demo data set. Refuses a database that already has agencies (use a fresh one)."""
    if session.exec(select(func.count()).select_from(Agency)).one():
        raise FactsError([("database", "数据库中已有机关；演示数据须载入空数据库")])
    cal = calendar or default_calendar()
    moment = (now or dt.datetime.now(SHANGHAI)).astimezone(SHANGHAI)
    rng = random.Random(seed)
    builder = Builder(session, rng, moment, cal)
    for code, name, parent, prefix in AGENCIES:
        create_agency(
            session,
            code=code,
            name=name,
            parent_code=parent,
            letter_prefix=prefix,
            address=f"某市人民路{rng.randint(1, 300)}号",
            # A district's department: its review body follows from the tree (本级人民政府, Review Law
            # Art. 24); the others' governments are not in the demo's tree and are set.
            review_body="" if code == "east-hous" else "某市人民政府",
            court="某市东区人民法院" if code == "east-hous" else "某市中级人民法院",
            kind=law.AgencyKind.GOVERNMENT.value if code == "east" else law.AgencyKind.DEPARTMENT.value,
        )
    for username, display, roles in ROLE_USERS:
        create_user(
            session,
            username=username,
            display_name=display,
            password=password,
            roles=roles,
            agency_code="city",
        )
    for code, name, _parent, _prefix in AGENCIES[1:]:
        for role, title in (("clerk", "经办人"), ("reviewer", "法制审核"), ("supervisor", "负责人")):
            create_user(
                session,
                username=f"{role}-{code}",
                display_name=f"{name}{title}",
                password=password,
                roles=[role],
                agency_code=code,
            )
    session.commit()
    from caseflow.models import User

    for user in session.exec(select(User)):
        actor = service.Actor.of(session, user)
        builder.actors[user.username] = actor
        home = session.get(Agency, user.agency_id)
        assert home is not None
        for role in ("clerk", "reviewer", "supervisor"):
            if role in user.role_set:
                builder.actors[f"{role}@{home.code}"] = actor
    kinds = [*REPLY_OUTCOMES, *CLOSED_KINDS, *OPEN_KINDS, "withheld.third_party"]
    today = moment.date()
    first = dt.date(today.year - 1, 1, 4)
    by_state: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    for i in range(cases):
        kind = (
            kinds[i]
            if i < len(kinds)
            else rng.choices(
                [*REPLY_OUTCOMES, *CLOSED_KINDS, *OPEN_KINDS],
                weights=[
                    30 if c.startswith("disclosed") else 8 if c == "partial" else 2 for c in REPLY_OUTCOMES
                ]
                + [2, 1, 2]
                + [3] * len(OPEN_KINDS),
            )[0]
        )
        agency_code = rng.choice(AGENCIES)[0] if rng.random() < 0.4 else "city"
        if kind in OPEN_KINDS:
            received = cal.add_working_days(today - dt.timedelta(days=rng.randint(10, 20)), 1)
        else:
            span = (today - dt.timedelta(days=200) - first).days
            received = first + dt.timedelta(days=rng.randrange(span))
        case = builder.build(kind, agency_code, received)
        by_state[case.state] += 1
        if case.outcome:
            by_outcome[case.outcome] += 1
        if progress:
            progress(i + 1)
    builder.online += demo_portal.waiting_and_returned(session, builder.actor("clerk"), cal, moment)
    return DemoResult(cases, by_state, by_outcome, password, builder.online)
