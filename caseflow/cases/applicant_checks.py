"""Checks of the applicant's particulars at intake (Art. 29 para. 2 item 1: name, identity, contact).

The identity document is one of ``law.IdType``; a 居民身份证 number must carry its GB 11643-1999 check
digit (ISO 7064 MOD 11-2) and a real birth date, a 统一社会信用代码 its GB 32100-2015 check character
(MOD 31). The check characters are computed by python-stdnum (``stdnum.cn.ric``, ``stdnum.cn.uscc``);
phone numbers are judged by libphonenumber's metadata (``phonenumbers``) and e-mail addresses by
``email-validator``. Every refusal is a Chinese sentence naming the standard or the form expected.
Values are checked in their NFKC form (full-width digits are digits) and stored as given.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import email_validator
import phonenumbers
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from caseflow import dates, law

_RESIDENT = f"（{law.RESIDENT_ID_STANDARD}）"
_CREDIT = f"（{law.CREDIT_CODE_STANDARD}）"
#: GB 32100-2015 characters: digits and capital letters except I, O, Z, S and V.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORGANISATION_TYPES = frozenset(law.ApplicantType) - {law.ApplicantType.NATURAL_PERSON}
_BY_NAME = {name: kind for kind, name in law.ID_TYPE_NAMES.items()}
_EXTENSION = re.compile(r"^(?P<main>.+?)\s*(?:转|分机|ext\.?|x|#|-)\s*(?P<ext>\d{1,6})$", re.IGNORECASE)


def nfkc(text: str) -> str:
    """Full-width digits and letters as digits and letters, white space dropped, upper case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def id_type(value: object) -> object:
    """An ID type given as its code (``resident_id``) or its Chinese name (居民身份证): the code.

    Anything else is refused with the list to choose from (a new request needs a type from the list;
    rows stored before keep whatever text they hold)."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise ValueError("请选择证件类型")
    if text in _BY_NAME:
        return _BY_NAME[text]
    if text in {k.value for k in law.IdType}:
        return law.IdType(text)
    choices = "、".join(law.ID_TYPE_NAMES.values())
    raise ValueError(f"证件类型“{value}”不在列表中，请选择：{choices}")


def check_id_type_for(applicant_type: law.ApplicantType, kind: law.IdType) -> None:
    """A natural person proves identity with a personal document, an organisation with its
    统一社会信用代码 (or 其他, for one without a code, such as an organisation abroad)."""
    basis = law.APPLICATION_CONTENT_BASIS.label
    name = law.ID_TYPE_NAMES[kind]
    if applicant_type is law.ApplicantType.NATURAL_PERSON and kind not in law.PERSONAL_ID_TYPES:
        raise ValueError(
            f"申请人为自然人的，身份证明应为本人的证件（居民身份证、护照、通行证等），"
            f"不能是{name}；{name}是法人或者其他组织的代码（{basis}）"
        )
    if applicant_type in ORGANISATION_TYPES and kind not in law.ORGANISATION_ID_TYPES:
        raise ValueError(
            f"申请人为法人或者其他组织的，身份证明应为统一社会信用代码，不能是{name}；"
            f"没有统一社会信用代码的（如境外组织），证件类型选择“其他”（{basis}）"
        )


def check_id_number(kind: law.IdType, number: str, today: dt.date | None = None) -> None:
    """Refuse a number that cannot be a valid one of its kind (the others are checked by the clerk)."""
    if kind is law.IdType.RESIDENT_ID:
        check_resident_id(number, today)
    elif kind is law.IdType.CREDIT_CODE:
        check_credit_code(number)


def check_resident_id(number: str, today: dt.date | None = None) -> None:
    text = nfkc(number)
    if len(text) == 15 and text.isdigit():
        raise ValueError(
            "15位的第一代居民身份证已于2013年1月1日停止使用，请填写第二代居民身份证的18位号码" + _RESIDENT
        )
    if len(text) != 18:
        raise ValueError(f"居民身份证号码应为18位，现为{len(text)}位{_RESIDENT}")
    if not (text[:17].isascii() and text[:17].isdigit()) or text[17] not in "0123456789X":
        raise ValueError(f"居民身份证号码前17位应为数字，最后一位为数字或X{_RESIDENT}")
    if text[17] != ric.calc_check_digit(text):
        raise ValueError(f"居民身份证号码校验位不正确{_RESIDENT}，请对照证件逐位核对")
    try:
        born = ric.get_birth_date(text)
    except StdnumError:
        raise ValueError(f"居民身份证号码第7至14位的出生日期{text[6:14]}不是有效的日期{_RESIDENT}") from None
    if born > (today or dates.today()) or born.year < 1880:
        raise ValueError(f"居民身份证号码第7至14位的出生日期{text[6:14]}不可能{_RESIDENT}")


def check_credit_code(code: str) -> None:
    text = nfkc(code).replace("-", "")
    if len(text) != 18:
        raise ValueError(f"统一社会信用代码应为18位，现为{len(text)}位{_CREDIT}")
    wrong = sorted({c for c in text if c not in CREDIT_CODE_ALPHABET})
    if wrong:
        raise ValueError(
            f"统一社会信用代码只含数字和大写英文字母（不用I、O、Z、S、V），不能含“{'、'.join(wrong)}”{_CREDIT}"
        )
    if not text[2:8].isdigit():
        raise ValueError(f"统一社会信用代码第3至8位是登记管理机关的行政区划码，应为数字{_CREDIT}")
    if text[17] != uscc.calc_check_digit(text):
        raise ValueError(f"统一社会信用代码校验码不正确{_CREDIT}，请对照证照逐位核对")


PHONE_FORMS = (
    "手机号码为11位（如13812345678），固定电话须带区号（如010-12345678，分机写在“转”后），"
    "境外号码以+和国家或地区代码开头（如+852 21234567）"
)


def check_phone(phone: str) -> None:
    """A mainland mobile, a landline with its area code (and extension), or an international number."""
    if not phone:
        return
    text = unicodedata.normalize("NFKC", phone).strip()
    if _valid_phone(text):
        return
    split = _EXTENSION.match(text)
    if split and _valid_phone(split["main"], landline=True):
        return
    digits = re.sub(r"[\s\-()]", "", text)
    if digits.isdigit() and len(digits) in (7, 8):
        raise ValueError(f"固定电话须带区号（如010-{digits}），有分机的写在“转”后")
    if digits.isdigit() and digits.startswith("1") and not digits.startswith("10"):
        raise ValueError(f"手机号码“{phone}”无效：应为11位、以13至19开头")
    raise ValueError(f"联系电话“{phone}”不是有效的电话号码；{PHONE_FORMS}")


def _valid_phone(text: str, landline: bool = False) -> bool:
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(number):
        return False
    kinds = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return not landline or phonenumbers.number_type(number) in kinds


def check_email(email: str) -> None:
    """The address's syntax (internationalised addresses allowed); the domain is not looked up."""
    if not email:
        return
    try:
        email_validator.validate_email(email, check_deliverability=False)
        return
    except email_validator.EmailNotValidError:
        pass
    folded = unicodedata.normalize("NFKC", email)
    if folded != email and _valid_email(folded):
        raise ValueError("电子邮箱地址含全角字符（如＠、．），请改用半角字符")
    if "@" not in folded:
        raise ValueError(f"电子邮箱地址“{email}”缺少“@”（应如 name@example.cn）")
    raise ValueError(f"电子邮箱地址“{email}”格式不正确（应如 name@example.cn）")


def _valid_email(text: str) -> bool:
    try:
        email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True
