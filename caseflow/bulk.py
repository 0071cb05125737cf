"""Bulk data for benchmarks and load tests: many requests inserted directly, with valid evidence.

Each request gets a legal clock ledger (from ``caseflow.demo.random_timeline``), its derived deadline
fields from ``caseflow.clock``, a plausible state, and an evidence chain built with the engine's
own serialisation and hashing (``caseflow.evidence.chain.build_payload``), so ``caseflow verify``
passes. Rows go in with Core ``INSERT``s in batches, one transaction per batch; no letters are
rendered (bulk data stands for history, not for issued documents).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import col

from caseflow import clock, identity, law
from caseflow.calendar import WorkingCalendar, default_calendar
from caseflow.dates import SHANGHAI
from caseflow.demo import credit_code, random_timeline, resident_id
from caseflow.evidence.chain import GENESIS, EventRecord, build_payload, sha256_hex
from caseflow.models import Agency, Applicant, Case, Counter, EvidenceEvent, User

OUTCOME_WEIGHTS = {
    o.code: (30 if o.group == "disclosed" else 6 if o.code == "partial" else 1)
    for o in law.outcomes_for(law.RequestKind.DISCLOSURE)  # bulk requests are disclosure requests
}


def _sealed(keys: identity.IdentityKeys, id_type: str, number: str) -> dict[str, str]:
    sealed = identity.seal(id_type, number, keys)
    return {"id_number_enc": sealed.enc, "id_number_hmac": sealed.hmac, "id_number_masked": sealed.masked}


def _applicant_identity(keys: identity.IdentityKeys, kind: law.ApplicantType, draw: int) -> dict[str, str]:
    """A natural person's 居民身份证 or an organisation's 统一社会信用代码 (Art. 29), sealed."""
    if kind is law.ApplicantType.NATURAL_PERSON:
        return {"id_type": "居民身份证", **_sealed(keys, "居民身份证", resident_id(draw))}
    return {"id_type": "统一社会信用代码", **_sealed(keys, "统一社会信用代码", credit_code(draw))}


def bulk_requests(
    engine: Engine,
    *,
    count: int,
    seed: int,
    today: dt.date,
    agency_codes: list[str],
    handler: str = "clerk",
    batch: int = 2000,
    calendar: WorkingCalendar | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert ``count`` requests spread over the two years before ``today``; returns how many."""
    cal = calendar or default_calendar()
    rng = random.Random(seed)
    first = dt.date(today.year - 2, 1, 1)
    with engine.begin() as conn:
        agencies: dict[str, int | None] = {
            row[0]: row[1] for row in conn.execute(select(col(Agency.code), col(Agency.id)))
        }
        default_handler = conn.execute(select(col(User.id)).where(col(User.username) == handler)).scalar_one()
        # Each agency's requests go to one of its own clerks (the named handler where it is one).
        clerks: dict[int, int] = {}
        users = select(col(User.id), col(User.username), col(User.roles), col(User.agency_id))
        for user_id, username, roles, agency_id in conn.execute(users.order_by(col(User.id))):
            if "clerk" in roles.split(",") and (agency_id not in clerks or username == handler):
                clerks[agency_id] = int(user_id or 0)
        next_id = (conn.execute(select(func.max(col(Case.id)))).scalar() or 0) + 1
        next_applicant = (conn.execute(select(func.max(col(Applicant.id)))).scalar() or 0) + 1
    serial: dict[tuple[str, int], int] = {}
    keys = identity.load_keys()
    done = 0
    while done < count:
        n = min(batch, count - done)
        applicants: list[dict[str, Any]] = []
        cases: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for _ in range(n):
            code = rng.choice(agency_codes)
            timeline = random_timeline(rng, cal, first, today - dt.timedelta(days=1))
            received = timeline.received
            serial[(code, received.year)] = serial.get((code, received.year), 0) + 1
            tracking = f"{code.upper()}-{received.year}-B{serial[(code, received.year)]:07d}"
            deadline = clock.compute(timeline, cal)
            moment = dt.datetime.combine(received, dt.time(10, 0), SHANGHAI)
            kind = rng.choices(list(law.ApplicantType), weights=[70, 12, 5, 4, 5, 4])[0]
            applicants.append(
                {
                    "id": next_applicant,
                    "type": kind.value,
                    "name": f"申请人{next_applicant}",
                    # valid numbers, as registration checks them (GB 11643 / GB 32100)
                    **_applicant_identity(keys, kind, rng.randrange(10**8)),
                    "phone": "13800000000",
                    "email": "",
                    "address": "",
                    "created_at": moment,
                }
            )
            state, outcome, answered = _fate(rng, deadline, today, timeline, cal)
            record = EventRecord(
                actor=handler,
                role="clerk",
                action="register",
                from_state=None,
                to_state="received",
                facts={"tracking_no": tracking, "bulk": True, "receipt_date": received.isoformat()},
                basis=(law.APPLICATION_CONTENT_BASIS.label, law.RECEIPT_DATE_BASIS.label),
            )
            payload = build_payload(record, tracking_no=tracking, seq=1, moment=moment, prev_hash=GENESIS)
            head = sha256_hex(payload)
            events.append(
                {
                    "case_id": next_id,
                    "seq": 1,
                    "moment": moment,
                    "actor": handler,
                    "role": "clerk",
                    "action": "register",
                    "from_state": None,
                    "to_state": "received",
                    "payload": payload,
                    "prev_hash": GENESIS,
                    "hash": head,
                }
            )
            count_events = 1
            # The ledger and the outcome are evidence too (``caseflow verify`` replays them): a request
            # still open with clock events (a supplement received, a pause ended) records them as well.
            if state != "received" or timeline.events:
                later = (
                    moment + dt.timedelta(days=rng.randint(1, 30))
                    if state != "received"
                    else dt.datetime.combine(max(e.date for e in timeline.events), dt.time(16, 0), SHANGHAI)
                )
                record = EventRecord(
                    actor=handler,
                    role="clerk",
                    action="bulk_history",
                    from_state="received",
                    to_state=state,
                    facts={"outcome": outcome, "ledger": timeline.to_json()},
                )
                payload = build_payload(record, tracking_no=tracking, seq=2, moment=later, prev_hash=head)
                events.append(
                    {
                        "case_id": next_id,
                        "seq": 2,
                        "moment": later,
                        "actor": handler,
                        "role": "clerk",
                        "action": "bulk_history",
                        "from_state": "received",
                        "to_state": state,
                        "payload": payload,
                        "prev_hash": head,
                        "hash": sha256_hex(payload),
                    }
                )
                head = events[-1]["hash"]
                count_events = 2
            cases.append(
                {
                    "id": next_id,
                    "tracking_no": tracking,
                    "query_code": f"{rng.randrange(16**8):08X}",
                    "agency_id": agencies[code],
                    "applicant_id": next_applicant,
                    "handler_id": clerks.get(agencies[code] or 0, default_handler),
                    "channel": rng.choice(list(law.Channel)).value,
                    "arrived_at": moment,
                    "receipt_date": received,
                    "receipt_proof": "",
                    "description": _description(rng, received),
                    "document_no_sought": "",
                    "provision_form": "electronic",
                    "state": state,
                    "outcome": outcome,
                    "complex": False,
                    "extended": deadline.extended_days > 0,
                    "version": count_events,
                    "draft": None,
                    "ledger": [e.to_json() for e in timeline.events],
                    "rules": deadline.rules.code,
                    "reply_due": deadline.reply_due,
                    "supplement_notice_due": deadline.supplement_notice_due,
                    "paused": deadline.paused,
                    "pause_reason": deadline.pause_reason,
                    "provisional": deadline.provisional,
                    "extension_days": deadline.extended_days,
                    "supplement_due": None,
                    "answered_on": answered if state == "answered" else None,
                    "delivered_on": answered if state == "answered" else None,
                    # withdrawn or deemed abandoned: concluded on that day without a reply
                    "closed_on": answered if state in ("withdrawn", "closed") else None,
                    "event_count": count_events,
                    "last_hash": head,
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
            next_id += 1
            next_applicant += 1
        with engine.begin() as conn:
            conn.execute(insert(Applicant), applicants)
            conn.execute(insert(Case), cases)
            conn.execute(insert(EvidenceEvent), events)
        done += n
        if progress:
            progress(done)
    with engine.begin() as conn:
        for (code, year), value in serial.items():
            conn.execute(insert(Counter).values(scope="bulk", key=f"{code}:{year}", value=value))
    return done


#: What applicants ask for, with the year they mean: repeated across applicants, as in real offices,
#: so that the proactive-disclosure candidates have something to find.
SUBJECTS = (
    "{y}年本市道路维修工程的预算",
    "{y}年老旧小区改造项目清单及资金安排",
    "{y}年度部门预算和决算",
    "{y}年某地块征收补偿安置方案",
    "{y}年某建设项目环境影响评价批复文件",
    "{y}年政府采购项目中标结果",
    "{y}年城市更新项目立项批复",
    "{y}年新建学校项目的建设工程规划许可证",
    "{y}年农村集体土地征收公告",
    "{y}年棚户区改造补偿标准",
    "{y}年本区河道整治工程验收报告",
    "{y}年公共租赁住房分配结果",
)
ASKING = ("", "申请公开", "请提供", "希望获取")


def _description(rng: random.Random, received: dt.date) -> str:
    year = received.year - (1 if rng.random() < 0.3 else 0)
    return rng.choice(ASKING) + rng.choice(SUBJECTS).format(y=year)


def _fate(
    rng: random.Random,
    deadline: clock.Deadline,
    today: dt.date,
    timeline: clock.Timeline,
    cal: WorkingCalendar,
) -> tuple[str, str | None, dt.date | None]:
    """A state consistent with the ledger: old requests are mostly answered (most within the period,
    some on its last day, a few late), recent ones open."""
    if deadline.paused:
        return (
            (
                "supplement-required"
                if deadline.pause_reason == "supplement"
                else "fee-pending"
                if deadline.pause_reason == "fee"
                else "consultation"
            ),
            None,
            None,
        )
    due = deadline.reply_due
    assert due is not None
    if due < today and rng.random() < 0.97 or rng.random() < 0.3:
        outcome = rng.choices(list(OUTCOME_WEIGHTS), weights=list(OUTCOME_WEIGHTS.values()))[0]
        answered = _answered_on(rng, timeline, due, today, cal)
        if outcome.startswith("other."):
            return ("withdrawn" if outcome == "other.other" else "closed"), outcome, answered
        return "answered", outcome, answered
    return ("extended" if deadline.extended_days else "received"), None, None


def _answered_on(
    rng: random.Random, timeline: clock.Timeline, due: dt.date, today: dt.date, cal: WorkingCalendar
) -> dt.date:
    """After the ledger's last event: within the period mostly, 4% late, never after today."""
    start = max([timeline.received, *(e.date for e in timeline.events)])
    if rng.random() < 0.04 and due < today - dt.timedelta(days=1):
        return min(cal.add_working_days(due, rng.randint(1, 8)), today - dt.timedelta(days=1))
    room = cal.working_days_between(start, min(due, today))
    if room <= 1 or rng.random() < 0.25:
        return min(due, today)
    return cal.add_working_days(start, rng.randint(1, room))
