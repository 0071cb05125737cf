"""Messages to applicants (issue 18 / E): e-mail through a real SMTP server on loopback (aiosmtpd) and
SMS texts through the logging gateway or an office's own class; created once, sent at most once."""

from __future__ import annotations

import datetime as dt
import logging
import re
from email.message import Message
from typing import Any, ClassVar

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from caseflow.dates import zh
from caseflow.models import Applicant, ApplicantMessage, Case, OnlineApplication
from caseflow.portal import applications as portal
from caseflow.portal.access import code_matches, open_link
from caseflow.portal.sms import GatewayError, LogGateway, SmsRefused, load_gateway
from caseflow.scheduled import JOBS
from caseflow.scheduled.applicant_mail import _create
from caseflow.scheduled.runs import run_job
from caseflow.settings import get_settings
from tests.integration.conftest import T0, World
from tests.integration.smtp import REFUSED, Inbox
from tests.integration.webapp import Web

MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)
ID_NUMBER = "110101199001061234"


def _run(engine: Engine, at: dt.datetime) -> tuple[Any, Any]:
    return run_job(engine, JOBS["applicant_mail"], at)


def _messages(engine: Engine) -> list[ApplicantMessage]:
    with Session(engine) as s:
        return list(s.exec(select(ApplicantMessage).order_by(col(ApplicantMessage.id))))


def _text(message: Message) -> str:
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def _link(text: str) -> str:
    match = re.search(r"^(\S+)/public/r/(\S+)$", text, re.MULTILINE)
    assert match is not None and match.group(1) == get_settings().base_url.rstrip("/")
    return match.group(2)


def _online_case(world: World, email: str = "lisi@example.cn") -> Case:
    form = {
        "agency": "city",
        "applicant_type": "natural_person",
        "applicant_name": "李四",
        "id_type": "居民身份证",
        "id_number": ID_NUMBER,
        "phone": "13912345678",
        "email": email,
        "description": "2025年本市公园绿化养护合同",
        "provision_form": "paper",  # reachable because it came in online
    }
    submitted = portal.submit(
        world.session, form, client_address="203.0.113.9", now=T0 - dt.timedelta(hours=1)
    )
    row = world.session.exec(
        select(OnlineApplication).where(col(OnlineApplication.submission_no) == submitted.submission_no)
    ).one()
    return portal.confirm(world.session, world["clerk"], row.id or 0, now=T0)


def test_online_registration_is_mailed_once_with_a_link_that_opens(
    world: World, engine: Engine, inbox: Inbox, web: Web
) -> None:
    case = _online_case(world)
    # Not reached: applied on paper for paper (not agreed), or electronically without an address.
    world.new_case(provision_form="paper", email="paper@example.cn")
    world.new_case(provision_form="electronic", email="")
    run, _ = _run(engine, T0 + 2 * MINUTE)
    assert run.status == "ok" and run.done == 1
    (mail,) = inbox.messages
    assert mail["To"].addresses[0].addr_spec == "lisi@example.cn" and mail["From"] == "gk@example.gov.cn"
    assert "已登记" in mail["Subject"]
    text = _text(mail)
    assert case.tracking_no in text and f"收到申请日期：{zh(case.receipt_date)}" in text
    assert case.reply_due is not None and f"答复期限：{zh(case.reply_due)}" in text
    assert ID_NUMBER not in text and ID_NUMBER[:4] not in text and case.query_code not in text
    case_id, tag = open_link(_link(text))
    assert case_id == case.id and code_matches(tag, case.query_code)
    (row,) = _messages(engine)
    assert (row.kind, row.channel, row.recipient) == ("receipt", "email", "l***@example.cn")
    assert row.sent_at is not None and row.provider_ref == mail["Message-ID"]
    assert "/public/r/" not in row.body  # the link (a credential) is made at sending, never stored
    page = web.browser("clerk").get(f"/cases/{case.id}")  # the clerk sees that the applicant was told
    assert page.status_code == 200 and "已通知申请人（邮件，" in page.text and "已登记" in page.text
    # Again: nothing is created or sent twice.
    run, _ = _run(engine, T0 + 4 * MINUTE)
    assert run.done == 0 and len(inbox.messages) == 1 and len(_messages(engine)) == 1
    # A consultation letter goes to the third party: the applicant is not messaged about it.
    world.act(
        case,
        "start_consultation",
        {"party_kind": "third_party", "party_name": "某建设工程有限公司", "matters": "合同中的商业信息"},
        at=T0 + DAY,
    )
    run, _ = _run(engine, T0 + DAY + 2 * MINUTE)
    assert run.done == 0 and len(inbox.messages) == 1 and len(_messages(engine)) == 1


def test_supplement_notice_then_what_is_awaited_until_when(
    world: World, engine: Engine, inbox: Inbox
) -> None:
    # Applied in person, asking for an electronic answer, with an e-mail address: reached.
    case = world.new_case(email="wang@example.cn", provision_form="electronic")
    items = ["申请人身份证明复印件", "所需信息的具体名称或文号"]
    case = world.act(case, "request_supplement", {"items": items}, at=T0 + DAY)
    run, _ = _run(engine, T0 + DAY + 2 * MINUTE)
    assert run.done == 1  # the notice; the receipt of the day before is older than a first run looks back
    notice = inbox.messages[-1]
    assert "补正申请告知书" in notice["Subject"] and all(item in _text(notice) for item in items)
    case = world.act(
        case,
        "record_notice_delivery",
        {
            "document": "supplement_notice",
            "method": "post",
            "proof": "EMS1234567890CN",
            "received_on": "2026-09-30",
        },
        at=T0 + 2 * DAY,
    )
    assert case.supplement_due is not None
    run, _ = _run(engine, T0 + 2 * DAY + 2 * MINUTE)
    assert run.done == 1
    awaited = inbox.messages[-1]
    text = _text(awaited)
    assert (
        f"请于{zh(case.supplement_due)}前" in awaited["Subject"]
        and f"请于{zh(case.supplement_due)}前" in text
    )
    assert items[0] in text and "第三十条" in text
    assert open_link(_link(text))[0] == case.id
    assert [m.kind for m in _messages(engine)] == ["letter", "awaited"]


def test_a_claimed_message_is_never_resent_and_a_refused_one_is_released(
    world: World, engine: Engine, inbox: Inbox
) -> None:
    claimed = world.new_case(email="first@example.cn")
    refused = world.new_case(email=REFUSED)
    world.session.rollback()
    moment = T0 + 2 * MINUTE
    _create(engine, moment, frozenset({"email"}))
    with Session(engine) as s:  # a crash after claiming the first, before sending it
        s.execute(
            update(ApplicantMessage)
            .where(col(ApplicantMessage.case_id) == claimed.id)
            .values(claimed_at=moment)
        )
        s.commit()
    run, result = _run(engine, moment)
    assert inbox.messages == [] and run.status == "errors"
    assert [f.tracking_no for f in result.failed] == [refused.tracking_no]
    by_case = {m.case_id: m for m in _messages(engine)}
    assert by_case[claimed.id].sent_at is None and by_case[claimed.id].claimed_at is not None
    assert by_case[refused.id].claimed_at is None and "550" in by_case[refused.id].error
    # The applicant's address is corrected: the refused one goes now, the claimed one still never.
    with Session(engine) as s:
        s.execute(
            update(Applicant).where(col(Applicant.id) == refused.applicant_id).values(email="ok@example.cn")
        )
        s.commit()
    run, _ = _run(engine, moment + 2 * MINUTE)
    assert run.status == "ok" and [m["To"].addresses[0].addr_spec for m in inbox.messages] == [
        "ok@example.cn"
    ]
    assert by_case[refused.id].recipient == "g***@example.gov.cn"
    assert {m.case_id: m.recipient for m in _messages(engine)}[refused.id] == "o***@example.cn"


def test_switched_on_later_it_does_not_announce_old_letters(
    world: World, engine: Engine, inbox: Inbox
) -> None:
    world.new_case(email="old@example.cn", provision_form="email")
    with pytest.MonkeyPatch.context() as mp:  # mail not configured yet
        mp.delenv("CASEFLOW_SMTP_HOST")
        get_settings.cache_clear()
        assert _run(engine, T0 + dt.timedelta(hours=1))[0].done == 0
    get_settings.cache_clear()
    assert _messages(engine) == []
    _run(engine, T0 + dt.timedelta(hours=1, minutes=2))
    assert inbox.messages == [] and _messages(engine) == []
    later = world.new_case(email="new@example.cn", provision_form="email", at=T0 + dt.timedelta(hours=2))
    _run(engine, T0 + dt.timedelta(hours=2, minutes=2))
    assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == ["new@example.cn"]
    assert later.tracking_no in _text(inbox.messages[0])


class RecordingGateway:
    """An office's own gateway (loaded from CASEFLOW_SMS_GATEWAY as a dotted path)."""

    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str) -> str:
        if phone == "13700000000":
            raise SmsRefused("号码无效")
        self.sent.append((phone, text))
        return f"op-{len(self.sent)}"


def test_sms_through_the_log_gateway_and_an_office_class(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CASEFLOW_SMS_GATEWAY", "log")
    get_settings.cache_clear()
    case = world.new_case(phone="138 0000 0000", provision_form="electronic")
    with caplog.at_level(logging.INFO, logger="caseflow.sms"):
        run, _ = _run(engine, T0 + 2 * MINUTE)
    assert run.done == 1
    (record,) = [r for r in caplog.records if r.name == "caseflow.sms"]
    logged = record.getMessage()
    assert "13800000000" in logged and case.tracking_no in logged and ID_NUMBER not in logged
    assert open_link(logged.rsplit("/public/r/", 1)[1])[0] == case.id
    (row,) = _messages(engine)  # no e-mail without SMTP
    assert row.channel == "sms" and row.recipient == "138****0000" and row.provider_ref.startswith("log-")
    assert row.sent_at is not None
    # An office's own class: texts handed to it; one it refuses is released for the next run.
    monkeypatch.setenv("CASEFLOW_SMS_GATEWAY", f"{__name__}:RecordingGateway")
    get_settings.cache_clear()
    RecordingGateway.sent.clear()
    ok = world.new_case(phone="+86 139-0000-0000", provision_form="electronic", at=T0 + DAY)
    bad = world.new_case(phone="13700000000", provision_form="electronic", at=T0 + DAY)
    run, result = _run(engine, T0 + DAY + 2 * MINUTE)
    assert [phone for phone, _ in RecordingGateway.sent] == ["13900000000"]
    assert ok.tracking_no in RecordingGateway.sent[0][1]
    assert run.status == "errors" and [f.tracking_no for f in result.failed] == [bad.tracking_no]
    by_case = {m.case_id: m for m in _messages(engine)}
    assert by_case[ok.id].provider_ref == "op-1" and by_case[ok.id].sent_at is not None
    assert by_case[bad.id].claimed_at is None and "号码无效" in by_case[bad.id].error
    get_settings.cache_clear()


def test_gateway_setting() -> None:
    assert load_gateway("") is None and isinstance(load_gateway("log"), LogGateway)
    assert isinstance(load_gateway(f"{__name__}:RecordingGateway"), RecordingGateway)
    for wrong in ("nosuch.module:X", f"{__name__}:Nothing", "justaname", f"{__name__}:MINUTE"):
        with pytest.raises(GatewayError):
            load_gateway(wrong)
