"""The demo's online applications (网上申请, issue 18): through the portal's own functions
(``caseflow.portal.applications.submit`` / ``confirm`` / ``return_application``), so that someone
trying ``caseflow serve --demo`` finds the portal working:

- in the city office's inbox, one submitted on the previous working day and one older, waiting past
  the next working day (the inbox highlights it, the reminder job reminds the clerks);
- one returned as not an application (a complaint), with its reasons and return notice;
- one confirmed: the demo's first request of kind ``received`` is registered this way (``confirmed``)
  instead of at the counter, so the number of requests stays what was asked for.

The access codes are shown once (``caseflow demo`` prints them) and stored only as their hashes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from caseflow.calendar import WorkingCalendar
from caseflow.cases.actor import Actor
from caseflow.dates import SHANGHAI
from caseflow.demo import resident_id
from caseflow.models import Case
from caseflow.portal import application_status, return_notice
from caseflow.portal import applications as portal

#: The demo applicants' addresses (RFC 5737 documentation ranges).
ADDRESSES = ("203.0.113.17", "198.51.100.42", "192.0.2.86", "203.0.113.5")
#: The intake fields an online form does not have (how and when it arrived is the portal's to say).
_NOT_ONLINE = ("channel", "arrived_at", "confirmed_on", "receipt_proof", "late_confirmation_reason")


@dataclass(frozen=True)
class DemoSubmission:
    submission_no: str
    access_code: str
    status: str

    @property
    def status_name(self) -> str:
        return portal.STATUS_NAMES[self.status].split("（")[0]


def online_form(application: dict[str, object], agency_code: str) -> dict[str, object]:
    """A demo request's application as the applicant types it online."""
    return {k: v for k, v in application.items() if k not in _NOT_ONLINE} | {"agency": agency_code}


def confirmed(
    session: Session,
    clerk: Actor,
    application: dict[str, object],
    agency_code: str,
    submitted_at: dt.datetime,
    now: dt.datetime,
) -> tuple[Case, DemoSubmission]:
    """Submit ``application`` online at ``submitted_at`` and confirm it 40 minutes later (the same
    day): the request is registered, channel 网络, received on the day of confirmation."""
    done = portal.submit(
        session, online_form(application, agency_code), client_address=ADDRESSES[0], now=submitted_at
    )
    row = application_status.by_number(session, done.submission_no)
    assert row is not None and row.id is not None
    at = min(submitted_at + dt.timedelta(minutes=40), now)
    case = portal.confirm(session, clerk, row.id, now=at)
    return case, DemoSubmission(done.submission_no, done.access_code, portal.CONFIRMED)


def _working_day_before(cal: WorkingCalendar, day: dt.date, n: int) -> dt.date:
    """The n-th working day before ``day``."""
    found = 0
    while found < n:
        day -= dt.timedelta(days=1)
        found += cal.is_working_day(day)
    return day


def _person(draw: int, name: str, description: str, **more: Any) -> dict[str, object]:
    return {
        "agency": "city",
        "applicant_type": "natural_person",
        "applicant_name": name,
        "id_type": "居民身份证",
        "id_number": resident_id(draw),
        "phone": f"139{draw % 10**8:08d}",
        "description": description,
        "provision_form": "electronic",
        **more,
    }


def waiting_and_returned(
    session: Session, clerk: Actor, cal: WorkingCalendar, now: dt.datetime
) -> list[DemoSubmission]:
    """Two applications waiting in the city office's inbox and one returned (see the module)."""
    today = now.astimezone(SHANGHAI).date()

    def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
        return min(dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI), now)

    out: list[DemoSubmission] = []
    returned_on = _working_day_before(cal, today, 5)
    complaint = portal.submit(
        session,
        _person(
            4_100_007, "孙丽", "投诉某小区物业公司乱收停车费，请求查处并责令退还", email="sunli@example.cn"
        ),
        client_address=ADDRESSES[1],
        now=at(_working_day_before(cal, returned_on, 1), 20, 40),
    )
    row = application_status.by_number(session, complaint.submission_no)
    assert row is not None and row.id is not None
    reasons = [return_notice.BY_CODE["complaint"].text]
    portal.return_application(session, clerk, row.id, {"reasons": reasons}, now=at(returned_on, 9, 30))
    out.append(DemoSubmission(complaint.submission_no, complaint.access_code, portal.RETURNED))
    waiting = (
        (
            _person(4_200_011, "钱进", "本市2025年中小学校舍安全改造项目的资金安排和实施单位名单"),
            at(_working_day_before(cal, today, 4), 19, 15),  # waiting past the next working day
            ADDRESSES[2],
        ),
        (
            _person(4_300_023, "周梅", "本市2025年公共租赁住房分配结果", address="某市某区某路8号"),
            at(_working_day_before(cal, today, 1), 15, 5),  # submitted the previous working day
            ADDRESSES[3],
        ),
    )
    for form, submitted_at, address in waiting:
        done = portal.submit(session, form, client_address=address, now=submitted_at)
        out.append(DemoSubmission(done.submission_no, done.access_code, portal.AWAITING))
    return out
