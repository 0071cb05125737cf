"""Intake checks of the applicant's particulars (issue 16 item 6): the ID type list, the GB 11643 check
digit of a 居民身份证 number, the GB 32100 check character of a 统一社会信用代码, phone numbers and
e-mail addresses; each refusal a Chinese sentence naming its field and the standard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from caseflow import law
from caseflow.cases import applicant_checks as checks
from caseflow.cases.intake import Application
from caseflow.demo import credit_code, resident_id
from tests.idnumbers import RIC_123X, RIC_1234, full_width, valid_ric, valid_uscc

USCC = "91310115MA1FL2X4Q5"
BASE: dict[str, Any] = {
    "applicant_type": "natural_person",
    "applicant_name": "王小明",
    "id_type": "resident_id",
    "id_number": RIC_1234,
    "phone": "13800000000",
    "description": "2025年本市道路维修工程的预算",
    "provision_form": "electronic",
    "channel": "in_person",
    "arrived_at": "2026-09-28T09:30:00+08:00",
}


def refusal(**changes: Any) -> dict[str, str]:
    """The application's field errors: {field: message}."""
    with pytest.raises(ValidationError) as info:
        Application.model_validate({**BASE, **changes})
    return {str(e["loc"][0]): str(e["msg"]).removeprefix("Value error, ") for e in info.value.errors()}


def accepted(**changes: Any) -> Application:
    return Application.model_validate({**BASE, **changes})


# --- The ID type list --------------------------------------------------------------------------------


def test_the_id_types_are_the_seven_documents_with_chinese_names() -> None:
    assert list(law.ID_TYPE_NAMES.values()) == [
        "居民身份证",
        "统一社会信用代码",
        "护照",
        "港澳居民来往内地通行证",
        "台湾居民来往大陆通行证",
        "外国人永久居留身份证",
        "其他",
    ]
    assert set(law.ID_TYPE_NAMES) == set(law.IdType)


@pytest.mark.parametrize("kind", list(law.IdType))
def test_a_type_is_given_by_its_code_or_its_chinese_name_and_kept_as_its_name(kind: law.IdType) -> None:
    person = kind in law.PERSONAL_ID_TYPES
    number = RIC_1234 if kind is law.IdType.RESIDENT_ID else USCC if not person else "E12345678"
    applicant_type = "natural_person" if person else "commercial"
    for given_as in (kind.value, law.ID_TYPE_NAMES[kind]):
        app = accepted(id_type=given_as, id_number=number, applicant_type=applicant_type)
        assert app.id_type is kind and app.id_type_name == law.ID_TYPE_NAMES[kind]


@pytest.mark.parametrize("free_text", ["身份证", "二代证", "ID card", "营业执照"])
def test_a_type_not_on_the_list_is_refused_with_the_list(free_text: str) -> None:
    message = refusal(id_type=free_text)["id_type"]
    assert f"证件类型“{free_text}”不在列表中" in message
    assert all(name in message for name in law.ID_TYPE_NAMES.values())


def test_an_empty_type_asks_for_one() -> None:
    assert refusal(id_type="")["id_type"] == "请选择证件类型"


def test_a_natural_person_cannot_prove_identity_with_a_credit_code() -> None:
    message = refusal(id_type="统一社会信用代码", id_number=USCC)["id_type"]
    assert "自然人" in message and "第二十九条" in message


@pytest.mark.parametrize(
    "applicant_type", ["commercial", "research", "public_interest", "legal_services", "other_org"]
)
def test_an_organisation_gives_its_credit_code_or_other(applicant_type: str) -> None:
    message = refusal(applicant_type=applicant_type)["id_type"]  # 居民身份证
    assert "法人或者其他组织" in message and "统一社会信用代码" in message and "其他" in message
    assert accepted(applicant_type=applicant_type, id_type="统一社会信用代码", id_number=USCC)
    assert accepted(applicant_type=applicant_type, id_type="其他", id_number="Company No. 12345678")


# --- 居民身份证: GB 11643-1999 -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [RIC_1234, RIC_123X, RIC_123X.replace("X", "x"), full_width(RIC_123X)])
def test_a_valid_resident_id_is_accepted_as_given(number: str) -> None:
    assert accepted(id_number=number).id_number == number  # stored as given (normalised only to check)


def test_a_wrong_check_digit_is_refused_naming_the_standard() -> None:
    wrong = RIC_1234[:17] + "5"
    assert (
        refusal(id_number=wrong)["id_number"]
        == "居民身份证号码校验位不正确（GB 11643-1999），请对照证件逐位核对"
    )
    assert "校验位不正确" in refusal(id_number=full_width(wrong))["id_number"]
    assert "校验位不正确" in refusal(id_number=RIC_123X[:17] + "0")["id_number"]


def test_a_bad_birth_date_is_refused() -> None:
    body = "11010119900230123"  # 30 February
    number = body + checks.ric.calc_check_digit(body + "0")
    assert "出生日期19900230不是有效的日期（GB 11643-1999）" in refusal(id_number=number)["id_number"]
    future = valid_ric(dt.date(2100, 1, 1))
    assert "出生日期21000101不可能" in refusal(id_number=future)["id_number"]


@pytest.mark.parametrize(
    ("number", "said"),
    [
        ("110101900101123", "15位的第一代居民身份证已于2013年1月1日停止使用"),
        ("1101011990010612", "应为18位，现为16位"),
        ("11010119900106123Y", "最后一位为数字或X"),
        ("1101011990O106123X", "前17位应为数字"),
    ],
)
def test_a_malformed_resident_id_says_what_is_wrong(number: str, said: str) -> None:
    message = refusal(id_number=number)["id_number"]
    assert said in message and "GB 11643-1999" in message


@given(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999), st.integers(0, 16))
def test_any_single_digit_changed_breaks_the_check_digit(born: dt.date, serial: int, position: int) -> None:
    number = valid_ric(born, serial)
    checks.check_resident_id(number)
    for digit in "0123456789":
        if digit != number[position]:
            changed = number[:position] + digit + number[position + 1 :]
            with pytest.raises(ValueError):
                checks.check_resident_id(changed)


@given(st.integers(0, 10**8 - 1))
def test_the_demo_data_numbers_are_valid(draw: int) -> None:
    checks.check_resident_id(resident_id(draw))
    checks.check_credit_code(credit_code(draw))


# --- 统一社会信用代码: GB 32100-2015 ----------------------------------------------------------------------

ORG = {"applicant_type": "commercial", "id_type": "credit_code"}


@pytest.mark.parametrize(
    "code", [USCC, USCC.lower(), full_width(USCC), "9131 0115 MA1F L2X4 Q5", "91110000600037341L"]
)
def test_a_valid_credit_code_is_accepted(code: str) -> None:
    assert accepted(**ORG, id_number=code).id_number == code


@pytest.mark.parametrize(
    ("code", "said"),
    [
        (USCC[:17] + "6", "统一社会信用代码校验码不正确（GB 32100-2015），请对照证照逐位核对"),
        (USCC[:17], "应为18位，现为17位"),
        ("91310115MA1FL2XOQ5", "不能含“O”"),
        ("9131011SMA1FL2X4Q5", "不能含“S”"),
        ("91A10115MA1FL2X4Q5", "第3至8位是登记管理机关的行政区划码"),
    ],
)
def test_a_wrong_credit_code_is_refused_naming_the_standard(code: str, said: str) -> None:
    message = refusal(**ORG, id_number=code)["id_number"]
    assert said in message and "GB 32100-2015" in message


@given(st.text(alphabet=checks.CREDIT_CODE_ALPHABET, min_size=9, max_size=9), st.integers(0, 8))
def test_a_credit_code_with_one_character_changed_is_refused(organisation: str, position: int) -> None:
    code = valid_uscc("91110000" + organisation)
    checks.check_credit_code(code)
    index = 8 + position
    for c in checks.CREDIT_CODE_ALPHABET:
        if c != code[index]:
            with pytest.raises(ValueError, match="校验码不正确"):
                checks.check_credit_code(code[:index] + c + code[index + 1 :])


def test_other_documents_are_not_checked_for_a_format() -> None:
    for kind in ("护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "外国人永久居留身份证", "其他"):
        assert accepted(id_type=kind, id_number="E1234567(A)").id_number == "E1234567(A)"


# --- Phone ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "19612345678",
        "+86 138 1234 5678",
        "0086 13812345678",
        "+8613812345678",
        "010-12345678",
        "(010) 1234 5678",
        "0755-23456789",
        "010-12345678 转 123",
        "010-12345678转123",
        "010-12345678-123",
        "021 6123 4567 分机 88",
        "+86 10 1234 5678",
        "400-123-4567",
        "+852 2123 4567",
        "+1 650 253 0000",
        "１３８１２３４５６７８",
    ],
)
def test_valid_phone_numbers_are_accepted(phone: str) -> None:
    assert accepted(phone=phone).phone == phone


@pytest.mark.parametrize(
    ("phone", "said"),
    [
        ("12812345678", "手机号码“12812345678”无效"),
        ("1381234567", "手机号码“1381234567”无效"),
        ("12345678", "固定电话须带区号（如010-12345678）"),
        ("138-1234-56789", "手机号码“138-1234-56789”无效：应为11位"),
        ("电话号码", "不是有效的电话号码"),
        ("+999 123", "不是有效的电话号码"),
    ],
)
def test_an_invalid_phone_number_is_refused_in_chinese(phone: str, said: str) -> None:
    message = refusal(phone=phone)["phone"]
    assert said in message


def test_a_refused_phone_and_email_are_both_reported() -> None:
    assert set(refusal(phone="12345", email="wang.example.cn")) == {"phone", "email"}


# --- E-mail ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", ["wang@example.cn", "wang.xiao-ming+gov@mail.example.gov.cn", "王@例子.中国"]
)
def test_valid_email_addresses_are_accepted(email: str) -> None:
    assert accepted(email=email).email == email


@pytest.mark.parametrize(
    ("email", "said"),
    [
        ("wang.example.cn", "电子邮箱地址“wang.example.cn”缺少“@”"),
        ("wang@example", "电子邮箱地址“wang@example”格式不正确"),
        ("wang@@example.cn", "格式不正确"),
        ("wang xiao@example.cn", "格式不正确"),
        ("wang＠example．cn", "含全角字符"),
    ],
)
def test_an_invalid_email_is_refused_in_chinese(email: str, said: str) -> None:
    assert said in refusal(email=email)["email"]


def test_every_refusal_is_in_chinese() -> None:
    for changes in (
        {"id_type": "x"},
        {"id_number": "123"},
        {"phone": "123"},
        {"email": "x"},
        {"applicant_type": "commercial"},
        {**ORG, "id_number": "123"},
    ):
        for message in refusal(**changes).values():
            assert any("\u4e00" <= c <= "\u9fff" for c in message), message
