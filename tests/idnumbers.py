"""Valid identity numbers for tests: registering checks the GB 11643 check digit of a 居民身份证 number
and the GB 32100 check character of a 统一社会信用代码 (caseflow.cases.applicant_checks).

The numbers below keep the last four characters of the ones the tests used before, so their masked
forms (``1101**********1234``) stay as they were; only the birth date in the middle moved.
"""

from __future__ import annotations

import datetime as dt

from stdnum.cn import ric, uscc

#: 居民身份证 numbers with their check digit (18 characters).
RIC_1234 = "110101199001061234"
RIC_123X = "11010119900107123X"
RIC_OTHER_1234 = "110101199001141234"


def valid_ric(born: dt.date = dt.date(1990, 1, 1), serial: int = 123, area: str = "110101") -> str:
    """A 居民身份证 number for someone born on ``born`` in ``area``, with its GB 11643 check digit."""
    body = f"{area}{born:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def valid_uscc(body: str = "91110000MA0000000") -> str:
    """A 统一社会信用代码: the 17 characters given and their GB 32100 check character."""
    return body + uscc.calc_check_digit(body)


def full_width(number: str) -> str:
    """The number in full-width characters (１１０１…), as a clerk's input method may type it."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in number)
