"""Intake checks (issue 16 item 6) through every way in: the service, the JSON API and the form.

The same model (``caseflow.cases.intake.Application``) refuses a 居民身份证 number without its GB 11643
check digit, a 统一社会信用代码 without its GB 32100 check character, an ID type not on the list, a bad
phone or e-mail, with Chinese messages naming the field; 计算期限 refuses a future arrival exactly as
登记 does. Nothing is stored by a refusal. A request registered with the Chinese name or the code of
its ID type is stored under the name, so that the same person's earlier rows (free text such as
居民身份证) still match by their keyed commitment.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import pytest
from sqlmodel import col, select

from caseflow import identity, service
from caseflow.dates import SHANGHAI
from caseflow.errors import FactsError
from caseflow.evidence.chain import verify_all
from caseflow.models import Applicant, EvidenceEvent
from tests.idnumbers import RIC_1234, full_width, valid_uscc
from tests.integration.conftest import T0, World
from tests.integration.webapp import Web, application

API = "/api/v1"
HTML = {"Accept": "text/html"}
BAD_RIC = RIC_1234[:17] + "5"
USCC = valid_uscc("91310115MA1FL2X4Q")


def register(world: World, **changes: Any) -> Any:
    return service.register(
        session=world.session,
        actor=world["clerk"],
        agency_code="city",
        application=world.application(**changes),
        now=T0 + dt.timedelta(hours=1),
    )


def errors_of(world: World, **changes: Any) -> dict[str, str]:
    before = len(world.session.exec(select(Applicant)).all())
    with pytest.raises(FactsError) as info:
        register(world, **changes)
    world.session.rollback()
    assert len(world.session.exec(select(Applicant)).all()) == before  # nothing half-stored
    return dict(info.value.errors)


# --- the service ------------------------------------------------------------------------------------


def test_the_service_refuses_bad_particulars_and_stores_nothing(world: World) -> None:
    assert errors_of(world, id_number=BAD_RIC) == {
        "id_number": "居民身份证号码校验位不正确（GB 11643-1999），请对照证件逐位核对"
    }
    assert "不在列表中" in errors_of(world, id_type="身份证")["id_type"]
    org = {
        "applicant_type": "commercial",
        "applicant_name": "某某科技有限公司",
        "id_type": "统一社会信用代码",
    }
    assert "校验码不正确（GB 32100-2015）" in errors_of(world, **org, id_number=USCC[:17] + "0")["id_number"]
    both = errors_of(world, phone="12345678", email="wang.example.cn")
    assert set(both) == {"phone", "email"} and "区号" in both["phone"] and "“@”" in both["email"]


def test_the_type_is_stored_by_its_chinese_name_whichever_way_it_was_given(world: World) -> None:
    by_name = register(world, id_type="居民身份证", id_number=RIC_1234)
    by_code = register(world, id_type="resident_id", id_number=full_width(RIC_1234))
    org = register(
        world,
        applicant_type="commercial",
        applicant_name="某某科技有限公司",
        id_type="credit_code",
        id_number=USCC,
    )
    rows = {c.id: world.session.get(Applicant, c.applicant_id) for c in (by_name, by_code, org)}
    assert [r.id_type for r in rows.values() if r] == ["居民身份证", "居民身份证", "统一社会信用代码"]
    one, two = rows[by_name.id], rows[by_code.id]
    assert one is not None and two is not None
    # The same person (full-width digits are the same digits): the same keyed commitment.
    assert one.id_number_hmac == two.id_number_hmac
    assert identity.reveal(two) == full_width(RIC_1234)  # stored as given
    event = world.session.exec(
        select(EvidenceEvent).where(col(EvidenceEvent.case_id) == by_code.id).order_by(col(EvidenceEvent.seq))
    ).first()
    assert event is not None and json.loads(event.payload)["facts"]["id_type"] == "居民身份证"
    assert verify_all(world.session)[1] is None  # evidence replay agrees with the rows


def test_a_legacy_free_text_type_still_matches_its_person(world: World) -> None:
    """A row stored before the list (free text 居民身份证) and a new request by code: one person."""
    old = register(world, id_type="居民身份证", id_number=RIC_1234)
    new = register(world, id_type="resident_id", id_number=RIC_1234)
    a, b = world.session.get(Applicant, old.applicant_id), world.session.get(Applicant, new.applicant_id)
    assert a is not None and b is not None and a.id_number_hmac == b.id_number_hmac
    assert identity.commitment("居民身份证", RIC_1234) == b.id_number_hmac


# --- the JSON API -----------------------------------------------------------------------------------


def test_the_api_refuses_a_bad_id_number_in_chinese_naming_the_field(web: Web) -> None:
    clerk = web.api("clerk")
    refused = clerk.post(f"{API}/requests", json=application(id_number=BAD_RIC, email="lisi@"))
    assert refused.status_code == 422
    body = refused.json()
    assert "code" in body
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"id_number", "email"}
    assert "居民身份证号码校验位不正确（GB 11643-1999）" in fields["id_number"]
    assert "电子邮箱地址“lisi@”格式不正确" in fields["email"]
    assert web.requests() == 0
    created = clerk.post(f"{API}/requests", json=application(id_type="resident_id"))
    assert created.status_code == 201, created.text
    assert created.json()["applicant_detail"]["id_type"] == "居民身份证"


def test_the_api_schema_lists_the_id_types(web: Web) -> None:
    schema = web.client().get("/openapi.json").json()
    assert schema["components"]["schemas"]["IdType"]["enum"] == [
        "resident_id",
        "credit_code",
        "passport",
        "hk_macao_permit",
        "taiwan_permit",
        "foreign_permanent_residence",
        "other",
    ]


# --- the form ---------------------------------------------------------------------------------------


def intake(**changes: str) -> dict[str, str]:
    arrived = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=1)
    form = {
        "applicant_type": "natural_person",
        "applicant_name": "王五",
        "id_type": "resident_id",
        "id_number": RIC_1234,
        "phone": "13600000000",
        "email": "",
        "address": "某市某区人民路2号",
        "description": "本市2025年新建学校的选址论证报告",
        "document_no_sought": "",
        "provision_form": "paper",
        "channel": "in_person",
        "arrived_at": arrived.strftime("%Y-%m-%dT%H:%M"),
        "confirmed_on": "",
        "receipt_proof": "",
    }
    form.update(changes)
    return form


def field_error(page: str, field: str) -> str:
    """The error block that follows the field's input or select."""
    found = re.search(rf'id="{field}"[^>]*>.*?<div class="error">(.*?)</div>', page, re.S)
    assert found, f"no error beside {field}"
    return html.unescape(found.group(1))


def test_the_form_shows_the_id_type_list_and_keeps_the_choice(web: Web) -> None:
    client = web.browser("clerk")
    client.headers.update(HTML)
    page = client.get("/intake").text
    select_html = page[
        page.index('<select id="id_type"') : page.index("</select>", page.index('id="id_type"'))
    ]
    assert re.findall(r'<option value="([a-z_]+)"', select_html) == [
        "resident_id",
        "credit_code",
        "passport",
        "hk_macao_permit",
        "taiwan_permit",
        "foreign_permanent_residence",
        "other",
    ]
    csrf = web.csrf(client, "/intake")
    form = intake(applicant_type="commercial", id_type="credit_code", id_number=USCC[:17] + "0", phone="6512")
    refused = client.post("/intake", data={**form, "csrf_token": csrf, "intent": "save"})
    assert refused.status_code == 422
    assert "统一社会信用代码校验码不正确（GB 32100-2015）" in field_error(refused.text, "id_number")
    assert '<option value="credit_code" selected>' in refused.text
    assert f'value="{USCC[:17]}0"' in refused.text  # the value typed is kept
    assert web.requests() == 0


def test_computing_refuses_a_future_arrival_exactly_as_registering_does(web: Web) -> None:
    client = web.browser("clerk")
    client.headers.update(HTML)
    csrf = web.csrf(client, "/intake")
    tomorrow = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).replace(hour=9, minute=30)
    form = {**intake(arrived_at=tomorrow.strftime("%Y-%m-%dT%H:%M")), "csrf_token": csrf}
    computed = client.post("/intake", data={**form, "intent": "compute"})
    saved = client.post("/intake", data={**form, "intent": "save"})
    assert computed.status_code == saved.status_code == 422
    assert 'id="computed"' not in computed.text
    said = [field_error(r.text, "arrived_at") for r in (computed, saved)]
    expected = f"到达时间{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日 09:30晚于现在"
    assert all(s.startswith(expected) and s.endswith("尚未到达的申请不能登记") for s in said), said
    assert said[0].split("（")[0] == said[1].split("（")[0]
    assert web.requests() == 0
