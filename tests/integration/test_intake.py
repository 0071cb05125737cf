"""Registering requests through the service, on both databases: Art. 29 content, Art. 31 receipt dates,
tracking numbers and query codes, the first evidence event and the uploaded documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, func, select

from caseflow import identity, law, service
from caseflow.cases.intake import QUERY_CODE_ALPHABET, QUERY_CODE_LENGTH
from caseflow.dates import SHANGHAI
from caseflow.errors import CaseflowError, FactsError, Forbidden, NotFound
from caseflow.evidence.chain import verify_all
from caseflow.evidence.store import DocumentStore
from caseflow.models import Applicant, Case, CaseDocument, Counter, Document, EvidenceEvent
from tests.integration.conftest import T0, World

D = dt.date
UTC = dt.UTC
POSTAL = ["post", "letter", "internet", "fax"]


def on(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def register(
    world: World,
    *,
    now: dt.datetime = T0,
    actor: str = "clerk",
    agency: str = "city",
    uploads: tuple[service.Upload, ...] = (),
    **changes: Any,
) -> Case:
    """Register ``world.application(**changes)``; ``arrived_at`` defaults to ``now``."""
    changes.setdefault("arrived_at", now.isoformat())
    return service.register(
        session=world.session,
        actor=world[actor],
        agency_code=agency,
        application=world.application(**changes),
        now=now,
        uploads=uploads,
    )


def stored(world: World) -> tuple[int, int, int, int]:
    """(requests, applicants, evidence events, counters' sum): what a refused registration must not touch."""
    s = world.session
    s.expire_all()
    return (
        s.exec(select(func.count()).select_from(Case)).one(),
        s.exec(select(func.count()).select_from(Applicant)).one(),
        s.exec(select(func.count()).select_from(EvidenceEvent)).one(),
        s.exec(select(func.coalesce(func.sum(Counter.value), 0))).one(),
    )


def refused(world: World, error: type[Exception] | tuple[type[Exception], ...], **kwargs: Any) -> Any:
    before = stored(world)
    with pytest.raises(error) as info:
        register(world, **kwargs)
    assert stored(world) == before, "a refused registration stored something"
    return info.value


def fields(err: FactsError) -> list[str]:
    return [f for f, _ in err.errors]


def first_event(world: World, case: Case) -> EvidenceEvent:
    return world.session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.seq) == 1)
    ).one()


# --- Receipt date (Art. 31) ------------------------------------------------------------------------


#: Arrival moments (any offset) and the legal receipt date in Asia/Shanghai.
ARRIVALS = [
    (dt.datetime(2026, 9, 27, 17, 0, tzinfo=UTC), D(2026, 9, 28)),  # 01:00 on Monday in Shanghai
    (dt.datetime(2026, 9, 27, 15, 59, 59, tzinfo=UTC), D(2026, 9, 27)),  # 23:59:59 on Sunday
    (dt.datetime(2026, 9, 28, 15, 59, 59, tzinfo=UTC), D(2026, 9, 28)),
    (dt.datetime(2026, 9, 28, 16, 0, tzinfo=UTC), D(2026, 9, 29)),
    (dt.datetime(2026, 9, 28, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))), D(2026, 9, 28)),
]


def test_in_person_receipt_is_the_shanghai_date_of_arrival(world: World) -> None:
    for arrived, receipt in ARRIVALS:
        case = register(world, now=on(D(2026, 9, 30)), arrived_at=arrived.isoformat())
        assert case.receipt_date == receipt, arrived
        world.session.expire_all()
        row = world.session.get(Case, case.id)
        assert row is not None
        assert row.receipt_date == receipt and row.arrived_at == arrived  # the same instant, read back aware
        assert row.arrived_at.utcoffset() is not None
        assert row.channel == "in_person" and row.receipt_proof == ""


def test_in_person_at_night_in_utc_is_the_next_morning_in_shanghai(world: World) -> None:
    case = register(world, arrived_at="2026-09-27T17:00:00Z")
    assert case.receipt_date == D(2026, 9, 28)
    assert case.reply_due == D(2026, 10, 30)  # as for a Monday receipt, not a Sunday one
    facts = json.loads(first_event(world, case).payload)["facts"]
    assert facts["receipt_date"] == "2026-09-28"


@pytest.mark.parametrize("channel", POSTAL)
def test_other_channels_need_confirmation_and_proof(world: World, channel: str) -> None:
    """One channel per run on a fresh database (the tracking numbers below are per database)."""
    arrived = dt.datetime(2026, 9, 27, 17, 0, tzinfo=UTC)  # 2026-09-28 in Shanghai
    base = {"channel": channel, "arrived_at": arrived.isoformat(), "now": on(D(2026, 9, 30))}
    err = refused(world, FactsError, **base, receipt_proof="EMS9876543210CN")
    assert fields(err) == ["confirmed_on"] and "第三十一条" in err.message
    err = refused(world, FactsError, **base, confirmed_on="2026-09-29")
    assert fields(err) == ["receipt_proof"]
    err = refused(world, FactsError, **base, confirmed_on="2026-09-29", receipt_proof="   ")
    assert fields(err) == ["receipt_proof"]
    # Before the day it arrived (in Shanghai: the 27th in UTC is already the 28th there).
    err = refused(world, FactsError, **base, confirmed_on="2026-09-27", receipt_proof="x")
    assert fields(err) == ["confirmed_on"]
    # In the future (a letter: any day after its arrival is refused first, Art. 31).
    rule = law.RECEIPT_RULES[law.Channel(channel)]
    reason = {"late_confirmation_reason": "x"} if rule.later is law.LaterReceipt.WITH_REASON else {}
    err = refused(world, FactsError, **base, confirmed_on="2026-10-01", receipt_proof="x", **reason)
    assert fields(err) == ["confirmed_on"]
    assert ("第三十一条" if rule.later is law.LaterReceipt.NEVER else "晚于今天") in err.message

    # A confirmation the day after the arrival: per channel (Art. 31; test_receipt_confirmation.py).
    later = {"confirmed_on": "2026-09-29", "receipt_proof": "确认记录 2026-09-29 10:12"}
    if rule.later is law.LaterReceipt.NEVER:
        err = refused(world, FactsError, **base, **later)
        assert fields(err) == ["confirmed_on"] and rule.basis.label in err.message
        base["arrived_at"] = on(D(2026, 9, 29), 8).isoformat()  # it arrived the day it was confirmed
    elif rule.later is law.LaterReceipt.WITH_REASON:
        later["late_confirmation_reason"] = "申请人次日方回复确认"
    case = register(world, **base, **later)
    assert (case.channel, case.receipt_date, case.reply_due) == (channel, D(2026, 9, 29), D(2026, 11, 2))
    assert case.receipt_proof == "确认记录 2026-09-29 10:12"
    same_day = register(
        world, **{**base, "arrived_at": arrived.isoformat()}, confirmed_on="2026-09-28", receipt_proof="x"
    )
    assert same_day.receipt_date == D(2026, 9, 28)
    facts = json.loads(first_event(world, case).payload)["facts"]
    assert facts["receipt_date"] == "2026-09-29"
    assert facts["receipt_rule"] == law.RECEIPT_DATE_RULES[law.Channel(channel)]


@pytest.mark.parametrize("channel", ["in_person", "internet"])
def test_saturday_receipt_falls_due_with_the_friday_before(world: World, channel: str) -> None:
    def receive(day: dt.date) -> Case:
        if channel == "in_person":
            return register(world, now=on(day), arrived_at=on(day).isoformat())
        return register(
            world,
            now=on(day),
            channel=channel,
            arrived_at=on(day).isoformat(),
            confirmed_on=day.isoformat(),
            receipt_proof="网上确认",
        )

    friday, saturday = receive(D(2026, 10, 16)), receive(D(2026, 10, 17))
    assert saturday.receipt_date == D(2026, 10, 17)
    assert friday.reply_due == saturday.reply_due == D(2026, 11, 13)
    assert friday.supplement_notice_due == saturday.supplement_notice_due
    # 2026-10-10 is a Saturday declared a working day: it counts like any working day.
    assert receive(D(2026, 10, 9)).reply_due == D(2026, 11, 5)
    assert receive(D(2026, 10, 10)).reply_due == D(2026, 11, 6)


def test_arrival_in_the_future_or_without_time_zone_refused(world: World) -> None:
    err = refused(world, FactsError, now=T0, arrived_at=(T0 + dt.timedelta(minutes=1)).isoformat())
    assert fields(err) == ["arrived_at"]
    err = refused(world, FactsError, now=T0, arrived_at="2026-09-28T09:00:00")
    assert fields(err) == ["arrived_at"]


# --- Content (Art. 29) -----------------------------------------------------------------------------


#: Application changes (None: the key left out) and the field the refusal must name (Art. 29).
ART29_ERRORS: list[tuple[dict[str, Any], str]] = [
    ({"applicant_name": ""}, "applicant_name"),
    ({"applicant_name": "   "}, "applicant_name"),
    ({"applicant_name": None}, "applicant_name"),
    ({"id_number": ""}, "id_number"),
    ({"id_number": None}, "id_number"),
    ({"id_type": ""}, "id_type"),
    ({"description": ""}, "description"),
    ({"description": " \n "}, "description"),
    ({"description": None}, "description"),
    ({"phone": "", "email": "", "address": ""}, "phone"),
    ({"phone": " ", "email": "", "address": "  "}, "phone"),
    ({"provision_form": "carrier_pigeon"}, "provision_form"),
    ({"channel": "telepathy"}, "channel"),
    ({"applicant_type": "alien"}, "applicant_type"),
    ({"nickname": "小明"}, "nickname"),
]


def test_art29_missing_content_names_the_field(world: World) -> None:
    for changes, field in ART29_ERRORS:
        application = world.application(**{k: v for k, v in changes.items() if v is not None})
        for key in [k for k, v in changes.items() if v is None]:
            del application[key]
        before = stored(world)
        with pytest.raises(FactsError) as info:
            service.register(
                session=world.session,
                actor=world["clerk"],
                agency_code="city",
                application=application,
                now=T0,
            )
        assert field in fields(info.value), (changes, info.value.errors)
        if field == "phone":
            assert "联系方式" in info.value.message and "第二十九条" in info.value.message
        assert stored(world) == before
    assert register(world).tracking_no == "CITY-2026-00001"


def test_one_contact_is_enough(world: World) -> None:
    for contact in ({"phone": "", "email": "wang@example.cn"}, {"phone": "", "address": "某市某路1号"}):
        assert register(world, **contact).state == "received"


@pytest.mark.parametrize(
    "changes",
    [
        {"applicant_name": "𠀾𪚥王小明", "id_number": "１１０１０１１９９００１０７１２３Ｘ"},
        {"applicant_name": "𪚥", "id_number": "11010119900107123X", "address": "某市𠀾街道１２号"},
        {
            "applicant_type": "commercial",
            "applicant_name": "某市𪚥𪚥科技有限公司",
            "id_type": "统一社会信用代码",
            "id_number": "９１３１０１１５ＭＡ１ＦＬ２Ｘ４Ｑ５",
            "email": "𠀾@例子.中国",
            "phone": "",
        },
    ],
)
def test_rare_characters_and_full_width_digits_stored_exactly(world: World, changes: dict[str, Any]) -> None:
    description = "请公开𠀾𪚥路口２０２５年改造工程的预算（第１２号文）"
    case = register(world, description=description, **changes)
    given = world.application(description=description, **changes)
    world.session.expire_all()
    applicant = world.session.get(Applicant, case.applicant_id)
    row = world.session.get(Case, case.id)
    assert applicant is not None and row is not None
    for key in ("applicant_name", "id_type", "phone", "email", "address"):
        column = "name" if key == "applicant_name" else key
        value = getattr(applicant, column)
        assert value == given[key] and len(value) == len(given[key]), key
    # The ID number is encrypted at rest (issue 13 item 6): exactly the given one when decrypted.
    assert identity.reveal(applicant) == given["id_number"]
    assert applicant.type == given["applicant_type"]
    assert row.description == description
    facts = json.loads(first_event(world, case).payload)["facts"]
    assert (facts["applicant_name"], facts["description"]) == (given["applicant_name"], description)
    assert "id_number" not in facts and identity.matches(applicant, facts)
    assert verify_all(world.session) == (1, None)


# --- Tracking numbers and query codes --------------------------------------------------------------


def test_tracking_numbers_are_gap_free_per_agency_and_year(world: World) -> None:
    first = register(world)
    assert first.tracking_no == "CITY-2026-00001"
    refused(world, FactsError, description="")
    refused(world, Forbidden, actor="reviewer")
    refused(world, NotFound, agency="nowhere")
    refused(world, NotFound, actor="dept_clerk")
    # A registration that fails after its number was drawn gives the number back (one transaction).
    bad_upload = service.Upload("application", "not bytes", "text/plain")  # type: ignore[arg-type]
    refused(world, (TypeError, ValueError, CaseflowError), uploads=(bad_upload,))
    second = register(world, now=T0 + dt.timedelta(hours=1))
    assert second.tracking_no == "CITY-2026-00002"
    assert register(world, agency="dept", actor="dept_clerk").tracking_no == "DEPT-2026-00001"
    assert register(world, agency="district", actor="district_clerk").tracking_no == "DISTRICT-2026-00001"
    assert register(world).tracking_no == "CITY-2026-00003"
    # The year is the receipt date's: sent on 31 December, confirmed on 4 January.
    new_year = register(
        world,
        now=on(D(2027, 1, 4)),
        channel="internet",
        arrived_at=on(D(2026, 12, 31), 20).isoformat(),
        confirmed_on="2027-01-04",
        receipt_proof="网上确认",
        late_confirmation_reason="12月31日20时提交，元旦假期后的首个工作日与申请人确认",
    )
    assert new_year.tracking_no == "CITY-2027-00001"
    assert register(world, now=on(D(2027, 1, 4), 10)).tracking_no == "CITY-2027-00002"
    assert (
        register(
            world,
            now=on(D(2027, 1, 4), 11),
            arrived_at=on(D(2026, 12, 30)).isoformat(),
        ).tracking_no
        == "CITY-2026-00004"
    )


def test_query_codes(world: World) -> None:
    cases = [register(world, now=T0 + dt.timedelta(minutes=n)) for n in range(12)]
    codes = [c.query_code for c in cases]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == QUERY_CODE_LENGTH == 8
        assert set(code) <= set(QUERY_CODE_ALPHABET)
        assert not set(code) & set("01IO")
    assert [c.tracking_no for c in cases] == [f"CITY-2026-{n:05d}" for n in range(1, 13)]


# --- The first evidence event and the uploaded documents -------------------------------------------


def test_first_event_and_uploads(world: World, isolated_data_dir: Path) -> None:
    pdf = b"%PDF-1.7\n\xe7\x94\xb3\xe8\xaf\xb7\xe8\xa1\xa8 application form\n%%EOF\n"
    record = "网上申请确认记录：2026-09-29 10:12 双方确认".encode()
    uploads = (
        service.Upload("application", pdf, "application/pdf", "申请表.pdf"),
        service.Upload("confirmation", record, "text/plain", "confirmation.txt"),
    )
    case = register(
        world,
        now=on(D(2026, 9, 29), 11),
        channel="internet",
        arrived_at=T0.isoformat(),
        confirmed_on="2026-09-29",
        receipt_proof="确认记录编号 20260929-001",
        late_confirmation_reason="申请人次日方回复确认",
        uploads=uploads,
    )
    event = first_event(world, case)
    assert (event.action, event.from_state, event.to_state, event.actor, event.role) == (
        "register",
        None,
        "received",
        "clerk",
        "clerk",
    )
    body = json.loads(event.payload)
    assert (body["action"], body["from"], body["to"], body["seq"], body["case"]) == (
        "register",
        None,
        "received",
        1,
        "CITY-2026-00001",
    )
    assert body["prev_hash"] == "0" * 64
    assert body["facts"]["receipt_date"] == "2026-09-29"
    assert body["facts"]["receipt_rule"] == law.RECEIPT_DATE_RULES[law.Channel.INTERNET]
    assert body["facts"]["arrived_at"].startswith("2026-09-28T09:30:00")
    assert body["facts"]["late_confirmation_reason"] == "申请人次日方回复确认"
    assert law.RECEIPT_DATE_BASIS.label in body["basis"]
    assert law.APPLICATION_CONTENT_BASIS.label in body["basis"]
    assert law.RECEIPT_DATE_BASIS.label.endswith("第三十一条")
    assert dt.datetime.fromisoformat(body["moment"]) == on(D(2026, 9, 29), 11)

    digests = [hashlib.sha256(u.data).hexdigest() for u in uploads]
    uploaded = [{"kind": "application", "sha256": digests[0]}, {"kind": "confirmation", "sha256": digests[1]}]
    assert [d for d in body["documents"] if d in uploaded] == uploaded  # (letters issued may follow)
    for upload, digest in zip(uploads, digests, strict=True):
        assert DocumentStore().read(digest, world.session) == upload.data
        doc = world.session.get(Document, digest)
        assert doc is not None and (doc.size, doc.media_type, doc.filename) == (
            len(upload.data),
            upload.media_type,
            upload.filename,
        )
    links = world.session.exec(
        select(CaseDocument).where(col(CaseDocument.case_id) == case.id).order_by(col(CaseDocument.id))
    ).all()
    assert [(link.kind, link.sha256, link.event_seq) for link in links if link.sha256 in digests] == [
        ("application", digests[0], 1),
        ("confirmation", digests[1], 1),
    ]

    # The same content again is the same document (content-addressed), linked to the new request.
    again = register(world, now=on(D(2026, 9, 29), 12), uploads=uploads[:1])
    assert uploaded[0] in json.loads(first_event(world, again).payload)["documents"]
    assert (
        world.session.exec(
            select(func.count()).select_from(Document).where(col(Document.sha256).in_(digests))
        ).one()
        == 2
    )
    assert not (isolated_data_dir / "documents").exists()  # the bytes are the rows: one per content
    assert verify_all(world.session) == (2, None)


def test_in_person_first_event_names_its_rule(world: World) -> None:
    case = register(world)
    body = json.loads(first_event(world, case).payload)
    assert body["facts"]["receipt_rule"] == law.RECEIPT_DATE_RULES[law.Channel.IN_PERSON]
    assert body["facts"]["tracking_no"] == case.tracking_no and body["facts"]["agency"] == "city"
    assert not [d for d in body["documents"] if not d["kind"].startswith("letter")]  # no uploads
    assert case.event_count == 1 and case.last_hash == first_event(world, case).hash


# --- Who may register ------------------------------------------------------------------------------


def test_only_clerks_register(world: World) -> None:
    for actor in ("reviewer", "supervisor", "auditor", "admin", "system"):
        err = refused(world, Forbidden, actor=actor)
        assert "经办人" in err.message and actor in err.message


def test_a_clerk_registers_only_for_the_own_agency(world: World) -> None:
    for actor, agency in (
        ("clerk", "dept"),
        ("clerk", "district"),
        ("dept_clerk", "city"),
        ("district_clerk", "dept"),
        ("dept_clerk", "district"),
        ("clerk", "nowhere"),
    ):
        err = refused(world, NotFound, actor=actor, agency=agency)
        assert err.message == f"没有代码为 {agency} 的机关"  # another agency's existence is not revealed
    assert register(world, agency="dept", actor="dept_clerk").tracking_no == "DEPT-2026-00001"
