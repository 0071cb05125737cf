"""Receipt dates per channel (Art. 31; issue 14, item 7), through the service and the intake page,
on SQLite and PostgreSQL.

In person: the day submitted. Post: the day signed for (may follow the arrival, as the postal record
shows). An ordinary letter: confirmed with the applicant on the day it arrives; a later confirmation
is refused and nothing is stored. Internet, fax: a confirmation later than the arrival day only with
its reason, which the register event records and the receipt letter (登记回执) states.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from sqlmodel import col, select

from caseflow import law
from caseflow.dates import SHANGHAI
from caseflow.errors import FactsError
from caseflow.models import Case, EvidenceEvent
from caseflow.replies.issue import issued_files, issued_letters
from tests.integration.conftest import World
from tests.integration.test_intake import D, fields, on, refused, register
from tests.integration.test_pages import assert_html_page, browser, intake_form, text_of
from tests.integration.webapp import Web

ARRIVED = on(D(2026, 9, 28), 16)  # a Monday afternoon
NOW = on(D(2026, 10, 9), 11)
SAME_DAY, NEXT_DAY = "2026-09-28", "2026-09-29"
REASON = "申请于下班后经网上平台提交，次日工作时间与申请人确认"


def apply(channel: str, confirmed_on: str | None, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"channel": channel, "arrived_at": ARRIVED.isoformat(), "now": NOW, **more}
    if confirmed_on is not None:
        out["confirmed_on"] = confirmed_on
    if channel != "in_person":
        out.setdefault("receipt_proof", "确认记录 001")
    return out


def register_event(world: World, case: Case) -> dict[str, Any]:
    event = world.session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == case.id, col(EvidenceEvent.seq) == 1)
    ).one()
    body: dict[str, Any] = json.loads(event.payload)
    return body


def receipt_letter(world: World, case: Case) -> str:
    assert case.id is not None
    (letter,) = [x for x in issued_letters(world.session, case.id) if x.doc_type == "receipt"]
    return text_of(issued_files(letter)["html"].decode("utf-8"))


def test_each_channel_states_its_rule_in_law() -> None:
    rules = law.RECEIPT_RULES
    assert set(rules) == set(law.Channel)
    assert {c: r.later for c, r in rules.items()} == {
        law.Channel.IN_PERSON: law.LaterReceipt.NEVER,
        law.Channel.POST: law.LaterReceipt.SIGNED_FOR,
        law.Channel.LETTER: law.LaterReceipt.NEVER,
        law.Channel.INTERNET: law.LaterReceipt.WITH_REASON,
        law.Channel.FAX: law.LaterReceipt.WITH_REASON,
    }
    assert all(r.basis.label.startswith(f"{law.REGULATION}第三十一条") for r in rules.values())
    assert "当日" in rules[law.Channel.LETTER].text
    assert law.RECEIPT_DATE_RULES == {c: r.text for c, r in rules.items()}


def test_letter_is_confirmed_on_the_day_it_arrives(world: World) -> None:
    err = refused(world, FactsError, **apply("letter", NEXT_DAY))
    assert fields(err) == ["confirmed_on"]
    message = err.errors[0][1]
    assert "第三十一条第二项" in message and "平常信函" in message and "2026年9月29日" in message
    assert "2026年9月28日" in message  # the day that is the receipt date
    case = register(world, **apply("letter", SAME_DAY))
    assert (case.receipt_date, case.channel) == (D(2026, 9, 28), "letter")
    facts = register_event(world, case)["facts"]
    assert facts["confirmed_on"] == SAME_DAY and "late_confirmation_reason" not in facts
    assert facts["receipt_rule"] == law.RECEIPT_RULES[law.Channel.LETTER].text
    # A reason does not excuse a letter confirmed late, and is not taken where there is nothing to excuse.
    err = refused(world, FactsError, **apply("letter", NEXT_DAY, late_confirmation_reason=REASON))
    assert fields(err) == ["confirmed_on"]
    err = refused(world, FactsError, **apply("letter", SAME_DAY, late_confirmation_reason=REASON))
    assert fields(err) == ["late_confirmation_reason"] and law.RECEIPT_DATE_BASIS.label in err.errors[0][1]


def test_letter_arriving_just_before_midnight_is_confirmed_that_day(world: World) -> None:
    late_evening = dt.datetime(2026, 9, 28, 23, 59, tzinfo=SHANGHAI)
    base = {"channel": "letter", "arrived_at": late_evening.isoformat(), "now": NOW, "receipt_proof": "x"}
    refused(world, FactsError, **base, confirmed_on=NEXT_DAY)
    assert register(world, **base, confirmed_on=SAME_DAY).receipt_date == D(2026, 9, 28)
    # One minute later it arrived on the 29th (Shanghai): the 29th is the day, the 28th is before it.
    after = {**base, "arrived_at": (late_evening + dt.timedelta(minutes=1)).isoformat()}
    refused(world, FactsError, **after, confirmed_on=SAME_DAY)
    assert register(world, **after, confirmed_on=NEXT_DAY).receipt_date == D(2026, 9, 29)


@pytest.mark.parametrize("channel", ["internet", "fax"])
def test_internet_and_fax_later_confirmation_needs_its_reason(world: World, channel: str) -> None:
    err = refused(world, FactsError, **apply(channel, NEXT_DAY))
    assert fields(err) == ["late_confirmation_reason"]
    assert "第三十一条第三项" in err.errors[0][1] and "理由" in err.errors[0][1]
    err = refused(world, FactsError, **apply(channel, NEXT_DAY, late_confirmation_reason="   "))
    assert fields(err) == ["late_confirmation_reason"]
    # The same day needs no reason (and takes none).
    same = register(world, **apply(channel, SAME_DAY))
    assert same.receipt_date == D(2026, 9, 28)
    assert "确认晚于到达" not in receipt_letter(world, same)
    refused(world, FactsError, **apply(channel, SAME_DAY, late_confirmation_reason=REASON))

    case = register(world, **apply(channel, NEXT_DAY, late_confirmation_reason=REASON))
    assert case.receipt_date == D(2026, 9, 29)
    assert case.reply_due == D(2026, 11, 2)  # 20 working days from the 29th, the National Day week excluded
    body = register_event(world, case)
    assert body["facts"]["late_confirmation_reason"] == REASON
    assert body["facts"]["confirmed_on"] == NEXT_DAY and body["facts"]["receipt_date"] == NEXT_DAY
    letter = receipt_letter(world, case)
    assert "收到申请日期 2026年9月29日" in letter
    assert f"确认晚于到达的理由 申请于2026年9月28日到达，于2026年9月29日确认：{REASON}" in letter


def test_post_takes_the_day_signed_for(world: World) -> None:
    friday = on(D(2026, 9, 25), 16)
    base = {"channel": "post", "arrived_at": friday.isoformat(), "now": NOW, "receipt_proof": "EMS1"}
    case = register(world, **base, confirmed_on=SAME_DAY)  # signed for on Monday
    assert case.receipt_date == D(2026, 9, 28)
    assert "late_confirmation_reason" not in register_event(world, case)["facts"]
    err = refused(world, FactsError, **base, confirmed_on=SAME_DAY, late_confirmation_reason=REASON)
    assert fields(err) == ["late_confirmation_reason"]
    err = refused(world, FactsError, **base, confirmed_on="2026-09-24")
    assert fields(err) == ["confirmed_on"]


def test_in_person_is_the_day_submitted(world: World) -> None:
    assert register(world, **apply("in_person", None)).receipt_date == D(2026, 9, 28)
    assert register(world, **apply("in_person", SAME_DAY)).receipt_date == D(2026, 9, 28)
    err = refused(world, FactsError, **apply("in_person", NEXT_DAY))
    assert fields(err) == ["confirmed_on"]
    assert "第三十一条第一项" in err.errors[0][1] and "当面提交" in err.errors[0][1]
    err = refused(world, FactsError, **apply("in_person", "2026-09-27"))
    assert fields(err) == ["confirmed_on"]
    err = refused(world, FactsError, **apply("in_person", None, late_confirmation_reason=REASON))
    assert fields(err) == ["late_confirmation_reason"]


# --- The intake page -------------------------------------------------------------------------------


def _days_ago(days: int, hour: int = 10) -> dt.datetime:
    today = dt.datetime.now(SHANGHAI).date()
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour, 0), tzinfo=SHANGHAI)


def test_intake_page_refuses_a_late_letter_in_chinese_and_keeps_the_form(web: Web) -> None:
    client = browser(web, "clerk")
    csrf = web.csrf(client, "/intake")
    arrived, confirmed = _days_ago(3), _days_ago(2).date()
    form = intake_form(
        applicant_name="赵六",
        channel="letter",
        arrived_at=arrived.strftime("%Y-%m-%dT%H:%M"),
        confirmed_on=confirmed.isoformat(),
        receipt_proof="平信登记簿第12号",
    )
    for intent in ("compute", "save"):
        response = client.post("/intake", data={**form, "intent": intent, "csrf_token": csrf})
        page = assert_html_page(response, 422, "登记政府信息公开申请")
        field = page[page.index('id="confirmed_on"') : page.index('id="receipt_proof"')]
        errors = re.findall(r'<div class="error">(.*?)</div>', field, flags=re.S)
        assert len(errors) == 1 and "第三十一条第二项" in errors[0] and "平常信函" in errors[0]
        assert "申请未保存" in page
        # everything typed is still there
        assert 'value="赵六"' in page and 'value="平信登记簿第12号"' in page
        assert f'value="{confirmed.isoformat()}"' in page
        assert f'value="{arrived.strftime("%Y-%m-%dT%H:%M")}"' in page
        assert '<option value="letter" selected>' in page
    assert web.requests() == 0


def test_intake_page_internet_later_confirmation_with_its_reason(web: Web) -> None:
    client = browser(web, "clerk")
    csrf = web.csrf(client, "/intake")
    arrived, confirmed = _days_ago(3, 20), _days_ago(2).date()
    form = intake_form(
        channel="internet",
        arrived_at=arrived.strftime("%Y-%m-%dT%H:%M"),
        confirmed_on=confirmed.isoformat(),
        receipt_proof="网上确认记录 7",
    )
    response = client.post("/intake", data={**form, "intent": "save", "csrf_token": csrf})
    page = assert_html_page(response, 422, "登记政府信息公开申请")
    field = page[page.index('id="late_confirmation_reason"') :]
    assert "第三十一条第三项" in field[: field.index("</div>", field.index('class="error"')) + 6]
    assert web.requests() == 0
    response = client.post(
        "/intake",
        data={**form, "late_confirmation_reason": REASON, "intent": "save", "csrf_token": csrf},
    )
    assert response.status_code == 303, response.text[:500]
    case_id = int(response.headers["location"].rsplit("/", 1)[1])
    case = web.case(case_id)
    assert case.receipt_date == confirmed
    (letter,) = web.letters(case_id)
    shown = text_of(issued_files(letter)["html"].decode("utf-8"))
    assert f"确认晚于到达的理由 申请于{arrived.year}年{arrived.month}月{arrived.day}日到达" in shown
    assert REASON in shown
